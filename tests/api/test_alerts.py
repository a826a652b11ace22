"""/api/alerts/: staff manage rules, send a test, read the delivery log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from moon.push.models import AlertDelivery, AlertRule

pytestmark = pytest.mark.django_db
RULES = "/api/alerts/rules/"


def create(client: Client, **fields: Any) -> Any:
    body = {"name": "hot", "event": "hot", "url": "json://127.0.0.1:9/hook", **fields}
    return client.post(RULES, body, content_type="application/json")


def test_staff_create_a_rule_and_get_its_secret(staff_client: Client) -> None:
    response = create(staff_client, min_liquidity_usd=5000, exclude_flags=["thin"])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["secret"]) == 64
    assert body["exclude_flags"] == ["thin"]
    rule = AlertRule.objects.get()
    assert rule.created_by is not None
    assert staff_client.get(RULES).json()[0]["id"] == rule.pk


def test_a_bad_channel_url_is_refused_with_a_clear_message(staff_client: Client) -> None:
    response = create(staff_client, url="telegram-bot-please")

    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["url"]
    assert message.startswith("Apprise cannot use this URL")
    assert not AlertRule.objects.exists()


def test_an_unknown_flag_and_a_missing_threshold_are_refused(staff_client: Client) -> None:
    unknown = create(staff_client, exclude_flags=["spicy"])
    no_threshold = create(staff_client, event="score_at_least")

    assert "exclude_flags" in unknown.json()["error"]["fields"]
    assert "threshold" in no_threshold.json()["error"]["fields"]


def test_an_update_is_checked_like_a_creation(staff_client: Client) -> None:
    rule_id = create(staff_client).json()["id"]
    refused = staff_client.patch(
        f"{RULES}{rule_id}/",
        {"channel": "webhook"},  # the json:// URL is no webhook URL
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "http:// or https://" in refused.json()["error"]["fields"]["url"][0]
    accepted = staff_client.patch(
        f"{RULES}{rule_id}/", {"enabled": False}, content_type="application/json"
    )
    assert accepted.json()["enabled"] is False


def test_a_test_alert_is_queued_and_logged(staff_client: Client) -> None:
    rule_id = create(staff_client).json()["id"]

    response = staff_client.post(f"{RULES}{rule_id}/test/")

    assert response.status_code == 202
    assert response.json()["event"] == "test"
    assert response.json()["status"] == "pending"
    log = staff_client.get(f"/api/alerts/deliveries/?rule={rule_id}").json()
    assert [row["id"] for row in log] == [AlertDelivery.objects.get().pk]
    unknown = staff_client.get("/api/alerts/deliveries/?colour=red")
    assert set(unknown.json()["error"]["fields"]) == {"colour"}
    wrong = staff_client.get("/api/alerts/deliveries/?rule=x")
    assert set(wrong.json()["error"]["fields"]) == {"rule"}


def test_rules_are_staff_only(client: Client, user_client: Client) -> None:
    assert client.get(RULES).status_code in (401, 403)
    assert user_client.get(RULES).status_code == 403
    assert user_client.get("/api/alerts/deliveries/").status_code == 403


@pytest.fixture
def user_client(client: Client) -> Client:
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="trader"))
    return client

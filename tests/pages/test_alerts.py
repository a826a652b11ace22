"""/alerts/: staff see the rules, add one (a bad channel is refused), send a test, read the log."""

import pytest
from django.test import Client

from moon.push.models import AlertDelivery, AlertRule
from moon.push.services import delivery_send
from tests.pages.html import parse
from tests.webhook import running_webhook

pytestmark = pytest.mark.django_db


def test_the_page_is_for_staff(client: Client, user_client: Client) -> None:
    assert client.get("/alerts/").status_code == 302
    assert user_client.get("/alerts/").status_code == 302


def test_a_rule_added_on_the_page_is_listed_and_its_test_is_logged(staff_client: Client) -> None:
    with running_webhook() as hook:
        added = staff_client.post(
            "/alerts/",
            {
                "name": "to my bot",
                "event": "risk_flag",
                "flags": ["mint_authority", "freeze_authority"],
                "channel": "webhook",
                "url": hook.url,
                "cooldown_minutes": 10,
                "enabled": "on",
            },
        )
        assert added.status_code == 302
        rule = AlertRule.objects.get()
        assert rule.flags == ["mint_authority", "freeze_authority"]

        tested = staff_client.post(f"/alerts/{rule.pk}/test/", HTTP_HX_REQUEST="true")
        delivery_send(AlertDelivery.objects.get().pk)

    assert tested.status_code == 200
    assert "A test alert for “to my bot” is on its way" in tested.content.decode()
    page = parse(staff_client.get("/alerts/").content)
    row = page.find("tr", data_rule=str(rule.pk)).text()
    assert "a token gets a risk flag: mint_authority, freeze_authority" in row
    assert "http://127.0.0.1…" in row  # the channel, without its path
    (logged,) = [tr for tr in page.find_all("tr") if "data-delivery" in tr.attrs]
    assert logged.attrs["data-status"] == "sent"
    assert "moon: test of to my bot" in logged.text()
    assert len(hook.received) == 1


def test_a_bad_channel_is_refused_on_the_page(staff_client: Client) -> None:
    response = staff_client.post(
        "/alerts/",
        {
            "name": "x",
            "event": "hot",
            "channel": "apprise",
            "url": "nope://",
            "cooldown_minutes": 5,
        },
    )

    assert response.status_code == 200
    field = parse(response.content).find("div", data_field="url")
    assert "Apprise cannot use this URL" in field.find("div", class_="field-errors").text()
    assert not AlertRule.objects.exists()


def test_the_log_refreshes_alone(staff_client: Client) -> None:
    response = staff_client.get("/alerts/log/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="delivery-log"')


def test_the_admin_refuses_a_bad_channel_and_sends_a_test(staff_client: Client) -> None:
    refused = staff_client.post(
        "/admin/push/alertrule/add/",
        {
            "name": "bad",
            "event": "hot",
            "channel": "apprise",
            "url": "nope://",
            "secret": "s",
            "cooldown_minutes": 5,
            "flags": "[]",
            "exclude_flags": "[]",
        },
    )
    assert refused.status_code == 200
    assert "Apprise cannot use this URL" in refused.content.decode()
    assert not AlertRule.objects.exists()

    rule = AlertRule.objects.create(name="ok", event="hot", url="json://127.0.0.1:9/x")
    sent = staff_client.post(
        "/admin/push/alertrule/",
        {"action": "send_test", "_selected_action": [rule.pk]},
        follow=True,
    )
    assert "Test alerts queued for 1 rule:" in sent.content.decode()
    (delivery,) = AlertDelivery.objects.all()
    assert (delivery.rule, delivery.event) == (rule, "test")
    log = staff_client.get("/admin/push/alertdelivery/")
    assert log.status_code == 200
    assert "moon: test of ok" in log.content.decode()

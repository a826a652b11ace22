"""Throttling: per anonymous IP, per user, and the write scope; 429 with Retry-After."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import MINT
from tests.factories import TokenFactory

pytestmark = pytest.mark.django_db


def test_anonymous_reads_are_throttled_per_ip(
    throttle_rates: Callable[..., None], client: Client
) -> None:
    throttle_rates(anon="2/min")

    statuses = [client.get("/api/tokens/").status_code for _ in range(3)]
    other_ip = client.get("/api/tokens/", REMOTE_ADDR="10.0.0.2")

    assert statuses == [200, 200, 429]
    assert other_ip.status_code == 200


def test_a_429_says_when_to_come_back(throttle_rates: Callable[..., None], client: Client) -> None:
    throttle_rates(anon="1/hour")
    client.get("/api/tokens/")

    response = client.get("/api/tokens/")

    assert response.status_code == 429
    assert 3590 <= int(response["Retry-After"]) <= 3600
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("throttled", {})
    assert error["message"].startswith("Request was throttled. Expected available in ")


def test_a_forged_forwarded_for_does_not_escape_the_anon_throttle(
    throttle_rates: Callable[..., None], client: Client
) -> None:
    throttle_rates(anon="1/min")

    first = client.get("/api/tokens/", HTTP_X_FORWARDED_FOR="1.1.1.1")
    second = client.get("/api/tokens/", HTTP_X_FORWARDED_FOR="2.2.2.2")

    assert (first.status_code, second.status_code) == (200, 429)


def test_users_have_their_own_rate(
    throttle_rates: Callable[..., None], client: Client, staff_token: str
) -> None:
    throttle_rates(anon="1/min", user="3/min")
    auth = {"HTTP_AUTHORIZATION": f"Token {staff_token}"}

    statuses = [client.get("/api/tokens/", **auth).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_writes_are_throttled_by_the_write_scope(
    throttle_rates: Callable[..., None], staff_client: Client, settings: Any
) -> None:
    TokenFactory(mint_address=MINT)
    throttle_rates(user="100/min", write="2/min")

    writes = [staff_client.post(f"/api/tokens/{MINT}/refresh/").status_code for _ in range(3)]
    read = staff_client.get("/api/tokens/")

    assert writes == [202, 202, 429]
    assert read.status_code == 200  # reads are not counted against writes


def test_with_redis_down_requests_pass_unthrottled(
    throttle_rates: Callable[..., None], client: Client, settings: Any
) -> None:
    throttle_rates(anon="1/min")
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    statuses = [client.get("/api/tokens/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]

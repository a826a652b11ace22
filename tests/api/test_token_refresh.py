"""POST /api/tokens/<mint>/refresh/: who may, what is queued on the real broker, 409, 503."""

import time
import uuid
from typing import Any

import pytest
import redis
from django.test import Client

from tests.api.conftest import MINT
from tests.factories import TokenFactory, UserFactory
from tests.queue import queued_tasks
from tokens.models import Token

pytestmark = pytest.mark.django_db

URL = f"/api/tokens/{MINT}/refresh/"


@pytest.fixture
def token(db: None) -> Token:
    return TokenFactory(mint_address=MINT)


def test_a_staff_session_with_csrf_queues_a_refresh_batch(
    staff_client: Client, token: Token, redis_client: redis.Redis
) -> None:
    response = staff_client.post(URL)

    data = response.json()
    assert response.status_code == 202
    assert data == {"task_id": data["task_id"], "status": "queued", "mint_address": MINT}
    assert uuid.UUID(data["task_id"])
    assert queued_tasks(redis_client) == [
        ("scoring.refresh_batch", [[token.pk]], {"group": "manual"})
    ]


def test_an_api_token_of_an_integrator_may_refresh(
    client: Client, token: Token, integrator_token: str, redis_client: redis.Redis
) -> None:
    response = client.post(URL, HTTP_AUTHORIZATION=f"Token {integrator_token}")

    assert response.status_code == 202
    assert len(queued_tasks(redis_client)) == 1


def test_an_anonymous_refresh_is_401_and_queues_nothing(
    client: Client, token: Token, redis_client: redis.Redis
) -> None:
    response = client.post(URL)

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert response.json()["error"]["code"] == "not_authenticated"
    assert queued_tasks(redis_client) == []


def test_a_session_write_without_csrf_is_403(staff: Any, token: Token) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(URL)

    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (403, "permission_denied")
    assert error["message"].startswith("CSRF Failed")


def test_a_non_staff_session_is_403(token: Token) -> None:
    client = Client()
    client.force_login(UserFactory(username="trader"))

    response = client.post(URL)

    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")


def test_an_archived_token_is_409(staff_client: Client, redis_client: redis.Redis) -> None:
    TokenFactory(mint_address=MINT, status=Token.Status.ARCHIVED)

    response = staff_client.post(URL)

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "token_archived",
            "message": "Archived tokens are not refreshed.",
            "fields": {},
        }
    }
    assert queued_tasks(redis_client) == []


def test_unknown_and_malformed_mints(staff_client: Client) -> None:
    unknown = staff_client.post(URL)
    malformed = staff_client.post("/api/tokens/nope/refresh/")

    assert (unknown.status_code, malformed.status_code) == (404, 400)


def test_a_dead_broker_answers_503_at_once(
    staff_client: Client, token: Token, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()

    response = staff_client.post(URL)

    assert time.monotonic() - started < 2  # Celery alone would retry for about 20 s
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "broker_unavailable",
            "message": "The task queue (Redis) is unreachable; nothing was queued. "
            "Try again later.",
            "fields": {},
        }
    }


def test_get_is_not_allowed(staff_client: Client, token: Token) -> None:
    response = staff_client.get(URL)

    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")

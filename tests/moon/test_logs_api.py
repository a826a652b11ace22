"""GET /api/logs/: staff read the recent records of every process, filtered."""

import logging
import time
from datetime import UTC, datetime

import pytest
import redis
from django.test import Client, override_settings
from django.urls import path
from drf_spectacular.generators import SchemaGenerator

from moon.operations.api import LogRecordsView
from moon.operations.logstore import LOG_KEY, RedisLogHandler
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

logger = logging.getLogger("tests.logs_api")


def root_store() -> RedisLogHandler:
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h, RedisLogHandler)]
    return handler


@pytest.fixture(autouse=True)
def empty_store(redis_client: redis.Redis) -> None:
    root_store().flush()
    redis_client.delete(LOG_KEY)


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(StaffFactory())
    return client


def logged(*messages: tuple[int, str]) -> None:
    for level, message in messages:
        logger.log(level, message)
    root_store().flush()


def messages(response: object) -> list[str]:
    return [record["message"] for record in response.json()["results"]]  # type: ignore[attr-defined]


def test_an_anonymous_visitor_is_asked_to_authenticate(client: Client) -> None:
    response = client.get("/api/logs/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")


def test_a_user_who_is_not_staff_is_refused(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get("/api/logs/")

    assert response.status_code == 403


def test_staff_read_the_newest_records_first(staff_client: Client) -> None:
    logged((logging.INFO, "first"), (logging.WARNING, "second"))

    response = staff_client.get("/api/logs/", {"logger": "tests.logs_api"})

    body = response.json()
    assert response.status_code == 200
    assert (body["count"], messages(response)) == (2, ["second", "first"])
    assert {k: body["results"][0][k] for k in ("level", "levelno", "logger")} == {
        "level": "WARNING",
        "levelno": 30,
        "logger": "tests.logs_api",
    }


def test_the_filters_combine(staff_client: Client) -> None:
    logged((logging.ERROR, "old refresh failed"))
    time.sleep(0.02)
    since = datetime.now(UTC).isoformat()
    logged(
        (logging.INFO, "refresh done"),
        (logging.WARNING, "Refresh slow"),
        (logging.ERROR, "refresh failed"),
        (logging.ERROR, "listener gone"),
    )

    response = staff_client.get(
        "/api/logs/",
        {"level": "warning", "logger": "tests.logs_api", "text": "REFRESH", "since": since},
    )

    assert messages(response) == ["refresh failed", "Refresh slow"]


def test_the_limit_caps_the_answer(staff_client: Client) -> None:
    logged(*[(logging.INFO, f"record {n}") for n in range(5)])

    response = staff_client.get("/api/logs/", {"logger": "tests.logs_api", "limit": 2})

    assert (response.json()["count"], messages(response)) == (2, ["record 4", "record 3"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"level": "loud"}, "level"),
        ({"since": "yesterday"}, "since"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    staff_client: Client, params: dict[str, object], field: str
) -> None:
    response = staff_client.get("/api/logs/", params)

    assert response.status_code == 400
    assert field in str(response.json())


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_it_is_503_when_the_store_does_not_answer(staff_client: Client) -> None:
    response = staff_client.get("/api/logs/")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "log_store_unavailable"


def test_the_schema_documents_the_filters() -> None:
    generator = SchemaGenerator(patterns=[path("api/logs/", LogRecordsView.as_view())])

    schema = generator.get_schema(request=None, public=True)

    operation = schema["paths"]["/api/logs/"]["get"]
    assert operation["operationId"] == "logs_list"
    assert [p["name"] for p in operation["parameters"]] == [
        "level",
        "limit",
        "logger",
        "since",
        "text",
    ]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "503"}

"""/logs/ (staff): the stored log records of every process, filterable, live-tailing."""

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from moon.operations.logstore import RedisLogHandler
from tests.pages.html import parse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
RECORDS = [
    {
        "time": "2026-03-01T12:00:05.123+00:00",
        "level": "ERROR",
        "logger": "scoring.tasks",
        "message": "batch failed",
        "process": "worker",
        "exc_info": "Traceback (most recent call last): boom",
    },
    {
        "time": "2026-03-01T12:00:01.000+00:00",
        "level": "INFO",
        "logger": "ingestion.listener",
        "message": "migration seen",
        "process": "listener",
    },
]


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Serves RECORDS; the arguments of each call land in the returned list."""
    calls: list[dict[str, Any]] = []

    def log_records(**kwargs: Any) -> list[dict[str, Any]]:
        calls.append(kwargs)
        return RECORDS

    monkeypatch.setattr("moon.operations.views.log_records", log_records)
    return calls


def test_staff_see_the_records_newest_first(staff_client: Client, stored: list) -> None:
    response = staff_client.get("/logs/")

    rows = parse(response.content).find("table", class_="logs").find("tbody").find_all("tr")
    assert response.status_code == 200
    assert [[td.text() for td in row.find_all("td")] for row in rows] == [
        [
            "12:00:05.123",
            "ERROR",
            "worker",
            "scoring.tasks",
            "batch failed Traceback (most recent call last): boom",
        ],
        ["12:00:01.000", "INFO", "listener", "ingestion.listener", "migration seen"],
    ]
    assert stored == [{"level": None, "logger": None, "text": None, "since": None, "limit": 200}]


def test_filters_reach_the_log_store(staff_client: Client, stored: list) -> None:
    before = timezone.now()

    staff_client.get(
        "/logs/", {"level": "WARNING", "logger": "scoring", "text": "failed", "since": "15"}
    )

    (call,) = stored
    since = call.pop("since")
    assert call == {"level": "WARNING", "logger": "scoring", "text": "failed", "limit": 200}
    assert before - timedelta(minutes=15) <= since <= timezone.now() - timedelta(minutes=15)


def test_an_invalid_filter_is_ignored(staff_client: Client, stored: list) -> None:
    staff_client.get("/logs/", {"level": "LOUD", "since": "7"})

    assert stored == [{"level": None, "logger": None, "text": None, "since": None, "limit": 200}]


def test_the_table_live_tails_until_paused(staff_client: Client, stored: list) -> None:
    live = parse(staff_client.get("/logs/", {"level": "ERROR"}).content)
    paused = parse(staff_client.get("/logs/", {"level": "ERROR", "paused": "on"}).content)

    section = live.find("section", id="log-table")
    assert (section.attrs["hx-get"], section.attrs["hx-trigger"]) == (
        "/logs/?level=ERROR",
        "every 3s",
    )
    assert "hx-trigger" not in paused.find("section", id="log-table").attrs


def test_the_partial_is_the_table(staff_client: Client, stored: list) -> None:
    response = staff_client.get("/logs/", **HTMX)

    assert response.content.lstrip().startswith(b'<section id="log-table"')
    assert b"<html" not in response.content


def test_an_unreachable_store_is_shown(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    def down(**_kwargs: Any) -> list[dict[str, Any]]:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr("moon.operations.views.log_records", down)

    response = staff_client.get("/logs/")

    assert response.status_code == 200
    assert parse(response.content).find("p", class_="note").text() == (
        "The log store is unreachable: Connection refused"
    )


def test_a_logged_record_shows_up(staff_client: Client) -> None:
    # settings.LOGGING hands every record to the store, as in every process
    (store,) = [h for h in logging.getLogger().handlers if isinstance(h, RedisLogHandler)]
    logging.getLogger("moon.pages.test").warning("the pages test says %s", "hello")
    store.flush()

    response = staff_client.get("/logs/", {"logger": "moon.pages", "text": "hello"})

    rows = parse(response.content).find("table", class_="logs").find("tbody").find_all("tr")
    assert [[td.text() for td in row.find_all("td")][1:] for row in rows] == [
        [
            "WARNING",
            rows[0].find_all("td")[2].text(),
            "moon.pages.test",
            "the pages test says hello",
        ]
    ]


def test_repeated_lines_fold_into_one_with_their_count(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def line(second: int, message: str, level: str = "INFO") -> dict[str, Any]:
        time = f"2026-03-01T12:00:{second:02d}.000+00:00"
        return {"time": time, "level": level, "logger": "scoring.tasks", "message": message}

    records = [
        line(9, "refreshed 4 hot tokens"),
        line(8, "refreshed 3 hot tokens"),
        line(7, "refreshed 12 hot tokens"),
        line(6, "refreshed 3 hot tokens", level="WARNING"),
        line(5, "refreshed 3 hot tokens"),
    ]
    monkeypatch.setattr("moon.operations.views.log_records", lambda **kwargs: records)

    response = staff_client.get("/logs/")

    rows = parse(response.content).find("table", class_="logs").find("tbody").find_all("tr")
    assert [(row.find_all("td")[0].text(), row.find_all("td")[4].text()) for row in rows] == [
        ("12:00:09.000", "refreshed 4 hot tokens ×3 since 12:00:07.000"),  # noqa: RUF001
        ("12:00:06.000", "refreshed 3 hot tokens"),  # another level: not a repeat
        ("12:00:05.000", "refreshed 3 hot tokens"),
    ]

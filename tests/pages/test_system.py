"""/system/: health checks, scheduler groups, listener, DexScreener budget."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from tests.pages.html import parse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
STATUS: dict[str, Any] = {
    "status": "degraded",
    "checked_at": datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC),
    "checks": {
        "database": {"ok": True, "vendor": "postgresql"},
        "listener": {"ok": False, "state": "stale", "last_frame_age_seconds": 912.5},
    },
    "scheduler": {
        "status": "ok",
        "groups": {
            "hot": {"status": "ok", "reason": "", "tokens": 4, "stale_tokens": 0},
            "cold": {"status": "degraded", "reason": "2 of 9 tokens are stale", "tokens": 9},
        },
    },
    "listener": {"state": "stale", "connected": False, "migrations_seen": 12},
    "dexscreener": {"used_last_minute": 75, "limit": 300, "requests_5m": 310},
}


def test_it_shows_every_part_of_the_system_status(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moon.views.system_status", lambda: STATUS)

    response = client.get("/system/")

    html = parse(response.content)
    assert response.status_code == 200
    assert html.find("h1").text() == ("System degraded checked 12:00:05 UTC · refreshes every 10s")
    checks = html.find("table", class_="checks").find_all("tr")
    assert [[td.text() for td in row.find_all() if td.tag in {"th", "td"}] for row in checks] == [
        ["database", "ok", "vendor postgresql"],
        ["listener", "down", "state stale last frame age seconds 912.5"],
    ]
    groups = html.find("table", class_="groups").find_all("tr")
    assert [[td.text() for td in row.find_all() if td.tag in {"th", "td"}] for row in groups] == [
        ["hot", "ok", "tokens 4 stale tokens 0"],
        ["cold", "degraded 2 of 9 tokens are stale", "tokens 9"],
    ]
    assert html.find("div", class_="meter").find("span").attrs["style"] == "width: 25%"
    listener = html.find_all("table", class_="kvtable")[1].find_all("tr")
    assert [row.text() for row in listener] == [
        "state stale",
        "connected no",
        "migrations seen 12",
    ]


def test_the_partial_is_the_status_region(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("moon.views.system_status", lambda: STATUS)

    response = client.get("/system/", **HTMX)

    assert response.content.lstrip().startswith(b'<div id="system-status"')
    assert b"<html" not in response.content
    assert parse(response.content).find("span", data_field="status").text() == "degraded"


def test_missing_parts_do_not_break_the_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moon.views.system_status", lambda: {"checks": {"redis": None}})

    response = client.get("/system/")

    html = parse(response.content)
    assert response.status_code == 200
    assert html.find("span", data_field="status").text() == "unknown"
    assert html.find("tr", data_check="redis").find("span", class_="badge").text() == "down"


def test_a_failing_status_call_is_shown_not_raised(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("database is gone")

    monkeypatch.setattr("moon.views.system_status", broken)

    response = client.get("/system/")

    html = parse(response.content)
    assert response.status_code == 200
    assert html.find("span", data_field="status").text() == "failing"
    assert html.find("p", class_="note").text() == "database is gone"


def test_it_reports_the_real_services(client: Client) -> None:
    response = client.get("/system/")

    html = parse(response.content)
    assert response.status_code == 200
    database = html.find("tr", data_check="database")
    redis = html.find("tr", data_check="redis")
    assert database.find("span", class_="badge").text() == "ok"
    assert redis.find("span", class_="badge").text() == "ok"

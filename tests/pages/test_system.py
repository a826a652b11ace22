"""/system/: health checks, scheduler groups, listener, DexScreener budget."""

import dataclasses
import time
from datetime import UTC, datetime

import pytest
from django.test import Client

from ingestion.services.coverage import CoverageWindow, IntakeStatus
from ingestion.services.listener import ListenerStatus
from moon.operations.health import Check, DexScreenerStatus, SystemStatus
from scoring.services.monitoring import GroupStats, GroupStatus, GroupTokens, SchedulerStatus
from tests.factories import fake_address
from tests.pages.html import parse, table_rows

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CHECKED = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
STATUS = SystemStatus(
    status="degraded",
    checked_at=CHECKED,
    checks={
        "database": Check(
            "ok", {"vendor": "postgresql"}, since=datetime(2026, 3, 1, 9, tzinfo=UTC)
        ),
        "listener": Check(
            "degraded",
            {"state": "stale", "last_frame_age_seconds": 912.5},
            "the PumpPortal feed is silent for 912s",
            datetime(2026, 3, 1, 11, 45, 1, tzinfo=UTC),
        ),
    },
    scheduler=SchedulerStatus(
        status="ok",
        checked_at=CHECKED,
        groups={
            "hot": GroupStatus("ok", "", GroupTokens(30, 4, 0, 0.0), GroupStats(batches=7)),
            "cold": GroupStatus(
                "degraded", "2 of 9 tokens are stale", GroupTokens(120, 9, 2, 31.5), GroupStats()
            ),
        },
    ),
    listener=ListenerStatus(state="stale", migrations_seen=12, stale_after_seconds=600),
    dexscreener=DexScreenerStatus(used_last_minute=75, limit=300),
)


def test_it_shows_every_part_of_the_system_status(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moon.operations.views.system_status", lambda: STATUS)

    response = client.get("/system/")

    html = parse(response.content)
    assert response.status_code == 200
    assert html.find("h1").text() == (
        "System degraded listener not ok checked 12:00:05 UTC · refreshes every 10s"
    )
    checks = html.find("table", class_="checks").find_all("tr")
    assert [[td.text() for td in row.find_all() if td.tag in {"th", "td"}] for row in checks] == [
        ["database", "ok since 09:00:00", "vendor postgresql"],
        [
            "listener",
            "degraded since 11:45:01",
            "the PumpPortal feed is silent for 912s state stale last frame age seconds 912.5",
        ],
    ]
    groups = html.find("table", class_="groups").find_all("tr")
    cells = [[td.text() for td in row.find_all() if td.tag in {"th", "td"}] for row in groups]
    assert [row[:2] for row in cells] == [
        ["hot", "ok"],
        ["cold", "degraded 2 of 9 tokens are stale"],
    ]
    assert cells[0][2].startswith("interval seconds 30 tokens 4 stale tokens 0 lag seconds 0")
    assert "batches 7" in cells[0][2]
    assert html.find("div", class_="meter").find("span").attrs["style"] == "width: 25%"
    listener = html.find_all("table", class_="kvtable")[1].find_all("tr")
    assert [row.text() for row in listener][:6] == [
        "state stale",
        "connected no",
        "last frame age seconds —",
        "silent seconds —",
        "disconnected seconds —",
        "stale after seconds 600",
    ]
    assert "migrations seen 12" in [row.text() for row in listener]


def test_the_partial_is_the_status_region(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("moon.operations.views.system_status", lambda: STATUS)

    response = client.get("/system/", **HTMX)

    assert response.content.lstrip().startswith(b'<div id="system-status"')
    assert b"<html" not in response.content
    assert parse(response.content).find("span", data_field="status").text() == "degraded"


def test_a_failing_status_call_is_shown_not_raised(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> SystemStatus:
        raise RuntimeError("database is gone")

    monkeypatch.setattr("moon.operations.views.system_status", broken)

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


MISSED = fake_address(77, "pump")
INTAKE = IntakeStatus(
    status="degraded",
    reason="the feed delivered 3 of the 4 migrations on chain in the last hour",
    checked_at=CHECKED,
    last_hour=CoverageWindow("1h", 4, 3, 1, 4, 0.75, [MISSED]),
    last_day=CoverageWindow("24h", 100, 99, 1, 101, 0.99, [MISSED]),
    reconciler_checked_until=datetime(2026, 3, 1, 11, 58, 5, tzinfo=UTC),
    reconciler_lag_seconds=120.0,
    reconciler_last_run_at=datetime(2026, 3, 1, 11, 58, 5, tzinfo=UTC),
    listener_state="connected",
)


def test_it_shows_the_intake_coverage_and_what_the_feed_missed(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "moon.operations.views.system_status", lambda: dataclasses.replace(STATUS, intake=INTAKE)
    )

    response = client.get("/system/")

    html = parse(response.content)
    assert html.find("span", data_field="intake-status").text() == "degraded"
    assert table_rows(html.find("table", class_="coverage")) == [
        ["1h", "4", "3", "1", "4", "75.0%"],
        ["24h", "100", "99", "1", "101", "99.0%"],
    ]
    links = html.find("p", class_="missed").find_all("a")
    assert [(a.text(), a.attrs["href"]) for a in links] == [(MISSED, f"/tokens/{MISSED}/")]
    assert table_rows(html.find("table", class_="intake")) == [
        ["reconciler checked until", "2026-03-01 11:58:05 UTC"],
        ["reconciler lag seconds", "120"],
        ["reconciler stale after seconds", "1800"],
        ["reconciler last run at", "2026-03-01 11:58:05 UTC"],
        ["reconciler last error", "—"],
        ["listener state", "connected"],
        ["min coverage", "0.99"],
    ]


def test_it_reports_the_real_intake(client: Client) -> None:
    response = client.get("/system/")

    html = parse(response.content)
    assert html.find("span", data_field="intake-status").text() == "failing"
    assert table_rows(html.find("table", class_="coverage")) == [
        ["1h", "0", "0", "0", "0", "—"],
        ["24h", "0", "0", "0", "0", "—"],
    ]


def test_the_workers_check_reads_as_words_not_a_python_list(client: Client) -> None:
    from moon.lib.heartbeat import heartbeat_write

    heartbeat_write("celery@frozen", pid=4242, at=time.time() - 45)

    page = client.get("/system/").content.decode()

    assert "[{" not in page
    assert "hostname celery@frozen, pid 4242, alive False, last beat age seconds 4" in page


def test_staff_find_flower_linked_and_visitors_do_not(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moon.operations.views.system_status", lambda: STATUS)

    staff = parse(staff_client.get("/system/").content).find("h1").find("a")
    visitor = parse(Client().get("/system/").content).find("h1").find_all("a")

    assert (staff.attrs["href"], staff.text()) == ("http://127.0.0.1:5555/", "Flower (tasks) ↗")
    assert visitor == []


def test_flower_refuses_to_listen_beyond_loopback_without_a_password() -> None:
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "FLOWER_BASIC_AUTH"}
    refused = subprocess.run(
        ["scripts/flower"],
        cwd=root,
        env={**env, "FLOWER_ADDRESS": "0.0.0.0"},  # noqa: S104
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert refused.returncode == 2
    assert "set FLOWER_BASIC_AUTH=user:password" in refused.stderr


def test_the_header_shows_the_worst_state_on_the_page_and_names_it(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks_ok = {"database": Check("ok", {})}
    failing = dataclasses.replace(STATUS.scheduler, status="failing")
    status = dataclasses.replace(STATUS, status="ok", checks=checks_ok, scheduler=failing)
    monkeypatch.setattr("moon.operations.views.system_status", lambda: status)

    html = parse(client.get("/system/").content)

    assert html.find("span", data_field="status").text() == "failing"
    assert html.find("span", data_field="troubled").text() == "scheduler not ok"


def test_a_long_error_wraps_inside_the_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> SystemStatus:
        raise RuntimeError("x" * 3000)  # one unbroken word, as a long URL or traceback is

    monkeypatch.setattr("moon.operations.views.system_status", broken)

    html = parse(client.get("/system/").content)

    assert html.find("p", class_="note").text() == "x" * 3000  # shown whole: the CSS wraps it

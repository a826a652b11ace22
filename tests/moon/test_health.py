"""/health: every dependency ok, degraded or failing, why and since when; 503 when failing."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.db import OperationalError
from django.test import Client, override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ingestion.clients.pump_migrations import MIGRATION_ACCOUNT
from ingestion.clients.pumpportal import ListenerState
from ingestion.models import ReconcileMark
from ingestion.services.listener import listener_state_save
from moon.celery import app as celery_app
from moon.lib.heartbeat import heartbeat_write
from moon.operations import health
from scoring.services.periodic import periodic_tasks_sync
from tests.factories import ChainMigrationFactory

pytestmark = pytest.mark.django_db

SILENCE = 300  # PUMPPORTAL_SILENCE_SECONDS' default: stale after 600 s without a frame


def listener_alive(*, frame_age: float = 5.0, connected: bool = True) -> float:
    now = time.time()
    listener_state_save(
        ListenerState(
            connected=connected,
            connected_since=now - 100 if connected else None,
            disconnected_since=None if connected else now - 10,
            last_frame_at=now - frame_age,
            migrations_seen=3,
            creations_seen=40,
            reconnects=1,
        )
    )
    return now


def worker_beating(seconds_ago: float = 1.0, hostname: str = "worker@test") -> None:
    heartbeat_write(hostname, pid=4242, at=time.time() - seconds_ago)


def beat_ticked(seconds_ago: float) -> datetime:
    periodic_tasks_sync()
    at = timezone.now() - timedelta(seconds=seconds_ago)
    PeriodicTask.objects.filter(name="moon: refresh hot tokens").update(last_run_at=at)
    return at


def test_it_is_ok_when_every_part_answers(client: Client) -> None:
    """Each check sits at the top level, as the foundation's /health answered."""
    listener_alive()
    beat_ticked(10)
    worker_beating()

    response = client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {
        "status",
        "checked_at",
        "database",
        "redis",
        "broker",
        "workers",
        "listener",
        "beat",
        "dexscreener",
        "solana_rpc",
    }
    assert body["status"] == "ok"
    dependencies = set(body) - {"status", "checked_at"}
    assert {body[name]["status"] for name in dependencies} == {"ok"}
    assert all(body[name]["ok"] for name in dependencies)
    assert all("reason" not in body[name] for name in dependencies)
    assert all(body[name]["since"] for name in dependencies)  # remembered from this first look
    assert (body["listener"]["state"], body["beat"]["state"]) == (
        "connected",
        "ok",
    )


def test_without_a_listener_it_is_failing_and_without_a_beat_schedule_degraded(
    client: Client,
) -> None:
    worker_beating()
    response = client.get("/health")

    body = response.json()
    assert (response.status_code, body["status"]) == (503, "failing")
    assert body["listener"] == {
        "ok": False,
        "status": "failing",
        "since": body["listener"]["since"],
        "reason": "no PumpPortal listener has published its state",
        "state": "missing",
        "connected": False,
        "last_frame_age_seconds": None,
        "disconnected_seconds": None,
    }
    assert body["beat"] == {
        "ok": False,
        "status": "degraded",
        "since": body["beat"]["since"],
        "reason": "beat's schedule has no hot refresh (run setup_periodic_tasks)",
        "state": "missing",
        "task": "moon: refresh hot tokens",
    }


def test_since_is_when_a_dependency_entered_its_status(client: Client) -> None:
    listener_alive()
    beat_ticked(10)
    worker_beating()
    first = client.get("/health").json()
    again = client.get("/health").json()
    worker_beating(seconds_ago=45, hostname="worker@test")  # its beat stops
    down = client.get("/health").json()

    assert again["workers"]["since"] == first["workers"]["since"]  # unchanged status
    assert down["workers"]["since"] > first["workers"]["since"]
    assert down["redis"]["since"] == first["redis"]["since"]


def test_an_outside_source_is_degraded_past_a_quarter_failing_and_failing_when_all_fail() -> None:
    from moon.lib.counters import dexscreener_request_observe

    for status in (200, 200, 200, 503):
        dexscreener_request_observe("tokens", status, 0.1)
    assert health.check_source("dexscreener", "DexScreener").status == "ok"  # 25%
    dexscreener_request_observe("tokens", None, 0.1)  # a transport error: 2 of 5
    degraded = health.check_source("dexscreener", "DexScreener")
    assert (degraded.status, degraded.reason) == (
        "degraded",
        "DexScreener: 2 of 5 requests failed in the last 2 minutes (0 HTTP 429)",
    )
    for _ in range(3):
        dexscreener_request_observe("tokens", 429, 0.1)
    assert health.check_source("dexscreener", "DexScreener").details["responses_429_2m"] == 3


def test_every_request_failing_makes_a_source_failing() -> None:
    from moon.lib.counters import solana_rpc_request_observe

    for _ in range(3):
        solana_rpc_request_observe("getSignaturesForAddress", 503, 0.1)

    check = health.check_source("solana_rpc", "the Solana RPC")

    assert (check.status, check.details["error_rate"]) == ("failing", 1.0)


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_it_is_503_when_redis_is_unreachable(client: Client) -> None:
    response = client.get("/health")

    body = response.json()
    assert response.status_code == 503
    assert (body["status"], body["redis"]["ok"]) == ("failing", False)
    assert body["listener"]["state"] == "unknown"


def test_it_is_503_when_the_broker_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener_alive()
    beat_ticked(10)
    monkeypatch.setattr(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")

    response = client.get("/health")

    body = response.json()
    assert response.status_code == 503
    assert (body["status"], body["broker"]["ok"]) == ("failing", False)
    assert "Connection refused" in body["broker"]["error"]


def test_a_listener_without_a_frame_for_twice_the_silence_limit_is_stale() -> None:
    now = listener_alive(frame_age=0)

    fresh = health.listener_status(now=now + 2 * SILENCE).to_json()
    stale = health.listener_status(now=now + 2 * SILENCE + 1).to_json()

    assert (fresh["state"], fresh["last_frame_age_seconds"]) == ("connected", 600.0)
    assert (stale["state"], stale["last_frame_age_seconds"]) == ("stale", 601.0)
    assert health.check_listener(now=now + 2 * SILENCE + 1).to_json() == {
        "ok": False,
        "status": "degraded",
        "since": None,
        "reason": "the PumpPortal feed is silent for 601s",
        "state": "stale",
        "connected": True,
        "last_frame_age_seconds": 601.0,
        "disconnected_seconds": None,
    }


def test_a_listener_reconnecting_with_recent_frames_is_still_ok() -> None:
    now = listener_alive(frame_age=20, connected=False)

    check = health.check_listener(now=now).to_json()

    assert check == {
        "ok": True,
        "status": "ok",
        "since": None,
        "state": "disconnected",
        "connected": False,
        "last_frame_age_seconds": 20.0,
        "disconnected_seconds": 10.0,
    }


@pytest.mark.parametrize(
    ("away", "status"), [(60, "ok"), (61, "degraded"), (300, "degraded"), (301, "failing")]
)
def test_a_listener_without_a_connection_is_degraded_after_a_minute_failing_after_five(
    away: float, status: str
) -> None:
    now = time.time()
    listener_state_save(ListenerState(disconnected_since=now - away, last_error="DNS failed"))

    check = health.check_listener(now=now)

    assert check.status == status
    assert check.details["last_frame_age_seconds"] is None  # never received one: no age
    if status != "ok":
        assert check.reason == f"the PumpPortal feed is unreachable for {away}s (DNS failed)"


def test_the_listener_status_carries_its_state() -> None:
    now = listener_alive(frame_age=5)

    status = health.listener_status(now=now).to_json()

    assert status == {
        "state": "connected",
        "connected": True,
        "last_frame_age_seconds": 5.0,
        "silent_seconds": 5.0,
        "disconnected_seconds": None,
        "stale_after_seconds": 600,
        "last_frame_at": datetime.fromtimestamp(now - 5, UTC),
        "connected_since": datetime.fromtimestamp(now - 100, UTC),
        "updated_at": status["updated_at"],
        "migrations_seen": 3,
        "creations_seen": 40,
        "errors_seen": 0,
        "reconnects": 1,
        "last_error": None,
        "pid": status["pid"],
    }


def test_without_a_listener_the_status_has_the_same_keys() -> None:
    assert health.listener_status().to_json() == {
        "state": "missing",
        "connected": False,
        "last_frame_age_seconds": None,
        "silent_seconds": None,
        "disconnected_seconds": None,
        "stale_after_seconds": 600,
        "last_frame_at": None,
        "connected_since": None,
        "updated_at": None,
        "migrations_seen": 0,
        "creations_seen": 0,
        "errors_seen": 0,
        "reconnects": 0,
        "last_error": None,
        "pid": None,
    }


def test_a_listener_that_never_got_a_frame_counts_its_silence_from_the_connection() -> None:
    now = time.time()
    listener_state_save(ListenerState(connected=True, connected_since=now - 30))

    status = health.listener_status(now=now).to_json()

    assert (status["state"], status["silent_seconds"]) == ("connected", 30.0)
    assert status["last_frame_age_seconds"] is None


def test_beat_is_stale_after_three_hot_intervals() -> None:
    ticked = beat_ticked(0)

    fresh = health.check_beat(now=ticked + timedelta(seconds=90)).to_json()
    stale = health.check_beat(now=ticked + timedelta(seconds=91)).to_json()

    assert fresh == {
        "ok": True,
        "status": "ok",
        "since": None,
        "state": "ok",
        "task": "moon: refresh hot tokens",
        "interval_seconds": 30.0,
        "last_tick_at": ticked,
        "age_seconds": 90.0,
    }
    assert (stale["status"], stale["state"], stale["age_seconds"]) == ("degraded", "stale", 91.0)
    assert stale["reason"] == "beat last ticked 91s ago"


def test_beat_that_never_ticked_is_stale() -> None:
    periodic_tasks_sync()

    check = health.check_beat().to_json()

    assert (check["status"], check["state"], check["last_tick_at"]) == ("degraded", "stale", None)


def test_the_overall_status_is_the_worst_check() -> None:
    up, degraded, failing = (health.Check(s) for s in ("ok", "degraded", "failing"))
    everything = dict.fromkeys(("database", "redis", "workers", "listener", "beat"), up)

    assert health.overall_status(everything) == "ok"
    assert health.overall_status({**everything, "beat": degraded}) == "degraded"
    assert health.overall_status({**everything, "listener": degraded, "beat": degraded}) == (
        "degraded"
    )
    assert health.overall_status({**everything, "database": failing}) == "failing"
    assert health.overall_status({**everything, "workers": failing, "beat": degraded}) == (
        "failing"
    )


def test_system_status_gathers_checks_scheduler_listener_budget_and_intake() -> None:
    worker_beating()
    listener_alive()
    beat_ticked(10)

    status = health.system_status().to_json()

    assert set(status) == {
        "status",
        "checked_at",
        "checks",
        "scheduler",
        "listener",
        "dexscreener",
        "intake",
    }
    # No reconciliation ran yet: the chain is unchecked, the live feed keeps intake going.
    assert (status["intake"]["status"], status["intake"]["reason"]) == (
        "degraded",
        "the reconciler never reached the chain's head",
    )
    assert status["status"] == "ok"
    assert set(status["checks"]) == {
        *("database", "redis", "broker", "workers", "listener", "beat"),
        *("dexscreener", "solana_rpc"),
    }
    assert set(status["scheduler"]) == {"status", "checked_at", "groups"}
    assert set(status["scheduler"]["groups"]) == {"hot", "cold"}
    assert status["listener"]["state"] == "connected"
    assert status["dexscreener"] == {
        "used_last_minute": 0,
        "limit": 300,
        "blocked_until": None,
    }


def test_version_names_the_build(client: Client) -> None:
    body = client.get("/version").json()

    assert (body["name"], body["version"], body["django"][:3]) == ("moon", "0.1.0", "5.2")


def test_health_ingestion_answers_the_intake_status(client: Client) -> None:
    listener_alive()
    ChainMigrationFactory(block_time=timezone.now() - timedelta(minutes=3), heard_by="chain")
    ReconcileMark.objects.create(account=MIGRATION_ACCOUNT, checked_until=timezone.now())

    response = client.get("/health/ingestion")

    body = response.json()
    assert (response.status_code, body["status"]) == (200, "degraded")
    assert body["reason"] == "the feed delivered 0 of the 1 migrations on chain in the last hour"
    assert (body["last_hour"]["on_chain"], body["last_hour"]["coverage"]) == (1, 0.0)
    assert set(body) == {
        "status",
        "reason",
        "checked_at",
        "last_hour",
        "last_day",
        "min_coverage",
        "reconciler_checked_until",
        "reconciler_lag_seconds",
        "reconciler_stale_after_seconds",
        "reconciler_last_run_at",
        "reconciler_last_error",
        "listener_state",
    }


def test_health_ingestion_is_503_only_when_nothing_takes_migrations_in(client: Client) -> None:
    response = client.get("/health/ingestion")

    assert (response.status_code, response.json()["status"]) == (503, "failing")
    assert response.json()["listener_state"] == "missing"


def test_health_ingestion_is_503_when_the_database_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr("ingestion.services.coverage.coverage_window", refused)

    response = client.get("/health/ingestion")

    body = response.json()
    assert (response.status_code, body["status"], body["error"]) == (
        503,
        "failing",
        "connection refused",
    )


def test_without_a_live_worker_it_is_failing_and_names_the_silent_one(
    client: Client, redis_client: redis.Redis
) -> None:
    listener_alive()
    beat_ticked(10)
    worker_beating(seconds_ago=45, hostname="worker@frozen")  # SIGSTOPped 45 s ago
    redis_client.rpush("celery", "a", "b", "c")  # what waits meanwhile
    redis_client.rpush("push", "an alert")

    response = client.get("/health")

    body = response.json()
    assert (response.status_code, body["status"]) == (503, "failing")
    assert body["workers"]["ok"] is False
    assert (body["workers"]["alive"], body["workers"]["queue_depth"]) == (0, 4)
    assert body["workers"]["queues"] == {"celery": 3, "push": 1}
    (frozen,) = body["workers"]["workers"]
    assert (frozen["hostname"], frozen["alive"]) == ("worker@frozen", False)
    assert 44 <= frozen["last_beat_age_seconds"] <= 60


@pytest.mark.timeout(90)
def test_a_running_worker_beats_and_a_stopped_one_takes_its_beat_away() -> None:
    """A real `celery worker` process against the test's Redis."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    from moon.lib.heartbeat import heartbeats

    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "moon",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            "beater@test",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not heartbeats() and time.monotonic() < deadline:
            time.sleep(0.2)
        alive = health.check_workers()
    finally:
        worker.terminate()  # SIGTERM to the process this test started: a warm shutdown
        worker.wait(30)

    assert (alive.ok, alive.details["alive"]) == (True, 1)
    assert alive.details["workers"][0]["hostname"] == "beater@test"
    assert heartbeats() == []


def test_a_probe_answering_503_is_a_warning_not_an_error() -> None:
    import logging

    from django.test import RequestFactory

    from moon.lib.logging import ProbeAnswers

    def record(path: str, status: int) -> logging.LogRecord:
        made = logging.LogRecord("django.request", logging.ERROR, "", 0, "Service down", (), None)
        made.request = RequestFactory().get(path)
        made.status_code = status
        ProbeAnswers().filter(made)
        return made

    assert record("/health", 503).levelname == "WARNING"
    assert record("/health/scheduler", 503).levelname == "WARNING"
    assert record("/api/tokens/", 503).levelname == "ERROR"  # a page's 503 stays an error
    assert record("/health", 500).levelname == "ERROR"  # a defect in a probe too


def test_a_queue_that_only_grows_while_workers_live_is_failing(redis_client: redis.Redis) -> None:
    worker_beating()
    start = time.time()
    redis_client.rpush("celery", *range(5))
    assert health.check_workers(now=start).ok
    redis_client.rpush("celery", *range(5))
    worker_beating(seconds_ago=-45)  # the clock moves on: the worker beats on
    assert health.check_workers(now=start + 45).ok
    redis_client.rpush("celery", *range(5))
    worker_beating(seconds_ago=-95)

    grown = health.check_workers(now=start + 95)

    assert (grown.status, grown.details["queue_depth"]) == ("failing", 15)
    assert grown.reason == "the task queue only grows: 10 more tasks in 95s, 15 waiting"


def test_a_queue_that_fell_once_is_not_only_growing(redis_client: redis.Redis) -> None:
    worker_beating()
    start = time.time()
    redis_client.rpush("celery", *range(20))
    health.check_workers(now=start)
    redis_client.ltrim("celery", 0, 4)  # a worker took 15
    worker_beating(seconds_ago=-45)
    health.check_workers(now=start + 45)
    redis_client.rpush("celery", *range(30))
    worker_beating(seconds_ago=-95)

    assert health.check_workers(now=start + 95).ok

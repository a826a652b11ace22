"""Alerts: each change of a dependency's status told once (logged and POSTed to a real local
webhook) after a grace, and its end told as resolved."""

import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from ingestion.clients.pumpportal import ListenerState
from ingestion.services.listener import listener_state_save
from moon.lib.counters import counters_read
from moon.operations.alerts import ADVISORY_LOCK, Watchdog, check_intake, check_scheduler
from moon.operations.models import Dependency
from scoring.services.monitoring import batch_success_record
from scoring.services.refresh import RefreshReport
from tests.factories import ChainMigrationFactory, TokenFactory, fake_address
from tests.moon.test_health import beat_ticked, listener_alive, worker_beating
from tests.webhook import Webhook, running_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with running_webhook() as hook, override_settings(ALERT_WEBHOOK_URL=hook.url):
        yield hook


@pytest.fixture(autouse=True)
def _lock_released() -> Iterator[None]:
    """A watchdog's advisory lock belongs to its session, which outlives each test's
    transaction: give it back after each test."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")


@pytest.fixture
def all_well() -> None:
    listener_alive()
    worker_beating()
    beat_ticked(1)


def later(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


@pytest.mark.usefixtures("all_well")
def test_a_failing_dependency_is_told_once_and_its_end_once(
    webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    dog = Watchdog()
    assert dog.check() == []
    worker_beating(seconds_ago=45)  # its worker froze 45 s ago

    with caplog.at_level(logging.INFO, logger="moon.operations.alerts"):
        assert dog.check() == []  # not yet: a status must last the grace
        told = dog.check(now=later(30))
        assert dog.check(now=later(60)) == []  # told already
        worker_beating()
        assert dog.check(now=later(61)) == []  # ok again, but only just
        resolved = dog.check(now=later(90))

    assert [(a.dependency, a.status) for a in told] == [("workers", "failing")]
    assert [(a.dependency, a.status, a.resolved) for a in resolved] == [("workers", "ok", True)]
    assert webhook.said() == [("workers", "failing"), ("workers", "ok")]
    failing, ok = webhook.received
    assert failing["message"].startswith("workers failing: no Celery worker alive (none beat")
    assert (failing["severity"], failing["previous"], failing["resolved"]) == (
        "error",
        "ok",
        False,
    )
    assert failing["since"]
    assert failing["details"]["alive"] == 0
    assert (ok["message"], ok["severity"]) == ("workers resolved: ok again (was failing)", "info")
    assert ok["text"] == "[moon test] workers resolved: ok again (was failing)"
    assert webhook.content_types == ["application/json"] * 2
    levels = [(r.levelno, r.getMessage().split(":")[0]) for r in caplog.records]
    assert levels == [
        (logging.ERROR, "ALERT workers failing"),
        (logging.INFO, "ALERT workers resolved"),
    ]
    assert Dependency.objects.get(name="workers").alerted_status == "ok"
    counters = counters_read()
    assert (counters[("moon_alerts", ("failing",))], counters[("moon_alerts", ("resolved",))]) == (
        1,
        1,
    )


@pytest.mark.usefixtures("all_well")
def test_a_blip_shorter_than_the_grace_is_not_told(webhook: Webhook) -> None:
    dog = Watchdog()
    worker_beating(seconds_ago=45)
    dog.check(now=later(5))
    worker_beating()

    assert dog.check(now=later(30)) == []
    assert webhook.received == []


@pytest.mark.usefixtures("all_well")
def test_an_alert_the_webhook_refused_is_sent_again_on_the_next_check(webhook: Webhook) -> None:
    dog = Watchdog()
    worker_beating(seconds_ago=45)
    dog.check()
    webhook.status = 503

    assert dog.check(now=later(30)) == []
    assert Dependency.objects.get(name="workers").alerted_status == "ok"  # not told yet
    webhook.status = 200
    assert [a.dependency for a in dog.check(now=later(45))] == ["workers"]
    assert webhook.said() == [("workers", "failing")]


@pytest.mark.usefixtures("all_well")
def test_a_restarted_watchdog_repeats_nothing(webhook: Webhook) -> None:
    worker_beating(seconds_ago=45)
    Watchdog().check()
    Watchdog().check(now=later(30))

    assert Watchdog().check(now=later(60)) == []
    assert webhook.said() == [("workers", "failing")]


@pytest.mark.usefixtures("all_well")
def test_degraded_is_a_warning_and_failing_after_it_is_told_again(
    webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    dog = Watchdog()
    listener_state_save(ListenerState(disconnected_since=time.time() - 90, last_error="DNS"))
    dog.check()
    with caplog.at_level(logging.WARNING, logger="moon.operations.alerts"):
        dog.check(now=later(30))
        listener_state_save(ListenerState(disconnected_since=time.time() - 400, last_error="DNS"))
        dog.check(now=later(31))
        dog.check(now=later(60))

    assert webhook.said() == [("listener", "degraded"), ("listener", "failing")]
    assert webhook.received[0]["severity"] == "warning"
    assert webhook.received[1]["previous"] == "degraded"
    assert webhook.received[1]["reason"] == "the PumpPortal feed is unreachable for 400s (DNS)"
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            logging.WARNING,
            "ALERT listener degraded: the PumpPortal feed is unreachable for 90s (DNS)",
        ),
        (
            logging.ERROR,
            "ALERT listener failing: the PumpPortal feed is unreachable for 400s (DNS)",
        ),
    ]


@pytest.mark.usefixtures("all_well")
def test_only_the_watchdog_holding_the_lock_sends(webhook: Webhook) -> None:
    worker_beating(seconds_ago=45)
    other = psycopg.connect(**connection.get_connection_params())  # another watchdog's session
    try:
        taken = other.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK]).fetchone()
        assert taken == (True,)
        Watchdog().check()
        assert Watchdog().check(now=later(30)) == []
    finally:
        other.close()
    assert webhook.received == []


@pytest.mark.usefixtures("all_well")
def test_the_command_runs_one_check(webhook: Webhook) -> None:
    worker_beating(seconds_ago=45)
    Dependency.objects.create(name="workers", status="failing", since=later(-60))

    call_command("watchdog", "--once")

    assert webhook.said() == [("workers", "failing")]


def test_a_failing_refresh_group_is_a_failing_scheduler() -> None:
    now = timezone.now().replace(microsecond=0)
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=200))
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=10))
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=10))
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=now - timedelta(300))

    check = check_scheduler(now=now)

    assert (check.status, check.details) == ("failing", {"groups": ["hot"]})
    assert check.reason == (
        "the hot refresh group: 1 stale tokens and no successful batch within 90s"
    )


def test_a_degraded_group_leaves_the_scheduler_ok() -> None:
    now = timezone.now()
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=200))
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=10))
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=now)

    assert check_scheduler(now=now).status == "ok"


def test_a_feed_that_missed_migrations_in_the_last_hour_degrades_the_intake() -> None:
    now = timezone.now().replace(microsecond=0)
    missed = [fake_address(i, "pump") for i in range(7)]
    for index, mint in enumerate(missed):
        ChainMigrationFactory(
            mint_address=mint, block_time=now - timedelta(minutes=index + 1), heard_by="chain"
        )
    for index in range(93):
        ChainMigrationFactory(block_time=now - timedelta(seconds=30 * index + 15))

    check = check_intake(now=now)

    assert (check.status, check.details) == ("degraded", {"on_chain": 100, "heard_by_feed": 93})
    assert check.reason == (
        "the feed delivered 93 of 100 migrations seen on chain in the last hour (93.0%, under "
        f"99%); missed: {', '.join(missed[:5])}, ..."
    )


def test_coverage_at_the_line_leaves_the_intake_ok() -> None:
    now = timezone.now()
    ChainMigrationFactory(block_time=now - timedelta(minutes=30), heard_by="chain")
    for index in range(99):
        ChainMigrationFactory(block_time=now - timedelta(seconds=30 * index + 15))

    assert check_intake(now=now).status == "ok"


@pytest.mark.usefixtures("all_well")
def test_with_redis_down_only_redis_is_told_not_what_reads_from_it(webhook: Webhook) -> None:
    Watchdog().check()
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        Watchdog().check()
        told = Watchdog().check(now=later(30))

    assert [(a.dependency, a.status) for a in told] == [("redis", "failing")]
    assert Dependency.objects.get(name="workers").status == "ok"  # unjudged, not remembered

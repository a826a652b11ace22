"""Coverage: the migrations on chain against those the feed delivered, and intake's verdict."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from ingestion.clients.pump_migrations import MIGRATION_ACCOUNT
from ingestion.clients.pumpportal import ListenerState
from ingestion.models import ReconcileMark
from ingestion.services.coverage import CoverageWindow, intake_status
from ingestion.services.listener import listener_state_save
from tests.factories import ChainMigrationFactory, TokenFactory, fake_address

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)


def seen(seed: int, minutes_ago: float, heard_by: str = "feed") -> str:
    """A migration on chain ``minutes_ago``; its token came from ``heard_by``."""
    mint = fake_address(500 + seed, "pump")
    moment = NOW - timedelta(minutes=minutes_ago)
    TokenFactory(mint_address=mint, migrated_at=moment, source=heard_by)
    ChainMigrationFactory(mint_address=mint, block_time=moment, heard_by=heard_by)
    return mint


def a_day_of_migrations() -> list[str]:
    """100 on chain in the last day, 4 of them in the last hour; the feed missed 2 (the newer
    in the last hour); one more came from the feed alone, after the reconciler's last look."""
    missed = [seen(0, 10, "chain"), seen(1, 300, "chain")]
    for seed in range(2, 5):
        seen(seed, 20 + seed)
    for seed in range(5, 100):
        seen(seed, 70 + 13 * seed)
    TokenFactory(migrated_at=NOW - timedelta(minutes=1))
    seen(100, 60 * 25)  # outside both windows
    return missed


def reconciled(minutes_ago: float, error: str = "") -> None:
    ReconcileMark.objects.create(
        account=MIGRATION_ACCOUNT,
        checked_until=NOW - timedelta(minutes=minutes_ago),
        last_run_at=NOW - timedelta(minutes=minutes_ago),
        last_error=error,
    )


def listener(connected: bool) -> None:
    now = NOW.timestamp()
    frame = now - 5 if connected else now - 3600
    listener_state_save(ListenerState(connected=connected, last_frame_at=frame))


def test_it_counts_each_window() -> None:
    missed = a_day_of_migrations()

    status = intake_status(now=NOW)

    assert status.last_hour == CoverageWindow(
        window="1h",
        on_chain=4,
        heard_by_feed=3,
        missed=1,
        by_feed=4,
        coverage=0.75,
        missed_mints=[missed[0]],
    )
    assert status.last_day == CoverageWindow(
        window="24h",
        on_chain=100,
        heard_by_feed=98,
        missed=2,
        by_feed=99,
        coverage=0.98,
        missed_mints=missed,
    )


def test_a_window_without_migrations_on_chain_has_no_coverage() -> None:
    TokenFactory(migrated_at=NOW - timedelta(minutes=5))

    status = intake_status(now=NOW)

    assert (status.last_hour.on_chain, status.last_hour.by_feed) == (0, 1)
    assert (status.last_hour.coverage, status.last_hour.below_target) == (None, False)


def test_missed_migrations_degrade_intake() -> None:
    a_day_of_migrations()
    reconciled(minutes_ago=4)
    listener(connected=True)

    status = intake_status(now=NOW)

    assert (status.status, status.reason) == (
        "degraded",
        "the feed delivered 3 of the 4 migrations on chain in the last hour",
    )
    assert (status.reconciler_checked_until, status.reconciler_lag_seconds) == (
        NOW - timedelta(minutes=4),
        240.0,
    )


def test_all_heard_and_a_fresh_reconciler_is_ok() -> None:
    seen(1, 10)
    reconciled(minutes_ago=9)
    listener(connected=True)

    status = intake_status(now=NOW)

    assert (status.status, status.reason, status.last_hour.coverage) == ("ok", "", 1.0)


def test_a_lagging_or_failing_reconciler_degrades_intake() -> None:
    listener(connected=True)
    reconciled(minutes_ago=31)

    lagging = intake_status(now=NOW)
    ReconcileMark.objects.update(
        checked_until=NOW - timedelta(minutes=2), last_error="getTransaction: rate_limited"
    )
    failing = intake_status(now=NOW)

    assert (lagging.status, lagging.reason) == (
        "degraded",
        "the reconciler is 1860s behind the chain",
    )
    assert (failing.status, failing.reason) == (
        "degraded",
        "the reconciler's last run failed: getTransaction: rate_limited",
    )


def test_with_neither_listener_nor_reconciler_intake_is_failing() -> None:
    listener(connected=False)

    status = intake_status(now=NOW)

    assert (status.status, status.reason, status.listener_state) == (
        "failing",
        "neither the listener nor the reconciler is taking migrations in",
        "stale",
    )


def test_its_json_is_what_the_endpoint_answers() -> None:
    reconciled(minutes_ago=0)
    listener_state_save(ListenerState(connected=True, last_frame_at=time.time()))

    body = intake_status(now=NOW).to_json()

    assert body == {
        "status": "ok",
        "reason": "",
        "checked_at": NOW,
        "last_hour": {
            "window": "1h",
            "on_chain": 0,
            "heard_by_feed": 0,
            "missed": 0,
            "by_feed": 0,
            "coverage": None,
            "missed_mints": [],
        },
        "last_day": {
            "window": "24h",
            "on_chain": 0,
            "heard_by_feed": 0,
            "missed": 0,
            "by_feed": 0,
            "coverage": None,
            "missed_mints": [],
        },
        "min_coverage": 0.99,
        "reconciler_checked_until": NOW,
        "reconciler_lag_seconds": 0.0,
        "reconciler_stale_after_seconds": 1800,
        "reconciler_last_run_at": NOW,
        "reconciler_last_error": "",
        "listener_state": "connected",
    }

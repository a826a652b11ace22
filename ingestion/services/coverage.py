"""Coverage of intake: of the migrations the chain shows, how many did the feed deliver?

The reconciler records every graduation it finds on chain and whether the feed had it first;
this module counts those records over the last hour and the last day, lists the mints the feed
missed, and says how far behind the chain the reconciler is.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from ingestion.clients.pump_migrations import MIGRATION_ACCOUNT
from ingestion.models import ChainMigration, ReconcileMark
from ingestion.services.listener import listener_status
from moon.lib.status import StatusReport
from tokens.models import Token

MIN_COVERAGE = 0.99
RECONCILE_INTERVAL_SECONDS = 600
STALE_FACTOR = 3  # reconciler lag beyond 3 intervals: the chain is not being checked
MISSED_SHOWN = 20
WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}


@dataclass(frozen=True)
class CoverageWindow(StatusReport):
    """One window. ``coverage`` is None while the chain shows no migration in it."""

    window: str
    on_chain: int = 0
    heard_by_feed: int = 0
    missed: int = 0
    by_feed: int = 0
    coverage: float | None = None
    missed_mints: list[str] = field(default_factory=list)

    @property
    def below_target(self) -> bool:
        return self.coverage is not None and self.coverage < MIN_COVERAGE


@dataclass(frozen=True)
class IntakeStatus(StatusReport):
    """Intake as a whole. ``status``: ok | degraded (the feed missed migrations, the reconciler
    lags or failed, or the listener is down) | failing (neither the listener nor the reconciler
    is taking migrations in, or the database cannot be read)."""

    status: str
    reason: str
    checked_at: datetime
    last_hour: CoverageWindow
    last_day: CoverageWindow
    min_coverage: float = MIN_COVERAGE
    reconciler_checked_until: datetime | None = None
    reconciler_lag_seconds: float | None = None
    reconciler_stale_after_seconds: int = RECONCILE_INTERVAL_SECONDS * STALE_FACTOR
    reconciler_last_run_at: datetime | None = None
    reconciler_last_error: str = ""
    listener_state: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def windows(self) -> tuple[CoverageWindow, CoverageWindow]:
        return self.last_hour, self.last_day


def coverage_window(name: str, *, now: datetime) -> CoverageWindow:
    """Coverage over the window ``name`` (1h, 24h) up to ``now``: coverage = heard_by_feed /
    on_chain, both counted in distinct mints of the graduations the reconciler recorded."""
    since = now - WINDOWS[name]
    seen = ChainMigration.objects.filter(block_time__gt=since, block_time__lte=now)
    counts = seen.aggregate(
        on_chain=Count("mint_address", distinct=True),
        heard_by_feed=Count(
            "mint_address", distinct=True, filter=Q(heard_by=ChainMigration.HeardBy.FEED)
        ),
    )
    missed = seen.filter(heard_by=ChainMigration.HeardBy.CHAIN).order_by("-block_time")
    on_chain, heard = counts["on_chain"], counts["heard_by_feed"]
    return CoverageWindow(
        window=name,
        on_chain=on_chain,
        heard_by_feed=heard,
        missed=on_chain - heard,
        by_feed=Token.objects.filter(
            source=Token.Source.FEED, migrated_at__gt=since, migrated_at__lte=now
        ).count(),
        coverage=round(heard / on_chain, 4) if on_chain else None,
        missed_mints=list(missed.values_list("mint_address", flat=True)[:MISSED_SHOWN]),
    )


def intake_status(*, now: datetime | None = None) -> IntakeStatus:
    """Coverage over the last hour and day, the reconciler's lag, and the verdict."""
    now = now or timezone.now()
    listener = listener_status(now=now.timestamp())
    try:
        hour, day = coverage_window("1h", now=now), coverage_window("24h", now=now)
        mark = ReconcileMark.objects.filter(account=MIGRATION_ACCOUNT).first()
    except Exception as exc:  # the database is down: /health says so too
        return IntakeStatus(
            status="failing",
            reason="the database cannot be read",
            checked_at=now,
            last_hour=CoverageWindow("1h"),
            last_day=CoverageWindow("24h"),
            listener_state=listener.state,
            error=str(exc),
        )
    checked = mark.checked_until if mark else None
    lag = round((now - checked).total_seconds(), 3) if checked else None
    status = IntakeStatus(
        status="ok",
        reason="",
        checked_at=now,
        last_hour=hour,
        last_day=day,
        reconciler_checked_until=checked,
        reconciler_lag_seconds=lag,
        reconciler_last_run_at=mark.last_run_at if mark else None,
        reconciler_last_error=mark.last_error if mark else "",
        listener_state=listener.state,
    )
    verdict, reason = _verdict(status, listener_ok=listener.ok)
    return dataclasses.replace(status, status=verdict, reason=reason)


def _verdict(status: IntakeStatus, *, listener_ok: bool) -> tuple[str, str]:
    lag = status.reconciler_lag_seconds
    stale = lag is None or lag > status.reconciler_stale_after_seconds
    if stale and not listener_ok:
        return "failing", "neither the listener nor the reconciler is taking migrations in"
    problems = []
    if status.last_hour.below_target:
        hour = status.last_hour
        problems.append(
            f"the feed delivered {hour.heard_by_feed} of the {hour.on_chain} migrations on "
            f"chain in the last hour"
        )
    if stale:
        problems.append(
            "the reconciler never reached the chain's head"
            if lag is None
            else f"the reconciler is {lag:.0f}s behind the chain"
        )
    elif status.reconciler_last_error:
        problems.append(f"the reconciler's last run failed: {status.reconciler_last_error}")
    if not listener_ok:
        problems.append(f"the listener is {status.listener_state}")
    return ("degraded", "; ".join(problems)) if problems else ("ok", "")

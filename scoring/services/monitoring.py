"""Per-group scheduler stats: what the refresh tasks did, and what /health/scheduler makes of it.

The tasks write (every process, into one Redis hash per group); the web process reads. A token
is *stale* when it was not refreshed within 3x its group's interval: `last_updated_at` older than
that, or never refreshed and created before that. The status of a group:

- ok: no stale token, and the latest batch succeeded (an empty group is ok);
- degraded: some tokens are stale, or the latest batch of the group failed (a batch that got no
  answer from DexScreener for any of its tokens, all its snapshots fetch fallbacks, counts as
  failed);
- failing: more than half of its tokens are stale, or some are stale and no batch of the group
  succeeded within 3x its interval: the work is overdue and nothing is getting it done. Also
  failing when Redis, which carries the tasks and these stats, does not answer.

The overall status is the worst group's.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from moon.lib.counters import counter_incr
from moon.lib.redis import redis_client
from moon.lib.status import StatusReport
from scoring.models import ScoringSettings
from scoring.selectors import GROUPS, group_interval, tokens_in_group
from scoring.services.refresh import RefreshReport

logger = logging.getLogger(__name__)

STALE_FACTOR = 3
RECENT_BATCHES = 100  # the success rate is over this many latest batches
STATUS_ORDER = ("ok", "degraded", "failing")


def _stats_key(group: str) -> str:
    return f"moon:scheduler:group:{group}"


def _recent_key(group: str) -> str:
    return f"moon:scheduler:group:{group}:recent"


def _epoch(now: datetime | None) -> float:
    return (now or timezone.now()).timestamp()


def group_run_record(*, group: str, leased: int, now: datetime | None = None) -> None:
    """A group task ran and leased `leased` due tokens."""
    if group not in GROUPS:
        return
    mapping = {"last_run_at": _epoch(now), "last_run_leased": leased}
    _execute(lambda pipe: pipe.hset(_stats_key(group), mapping=mapping))


def batch_success_record(*, group: str, report: RefreshReport, now: datetime | None = None) -> None:
    """A refresh batch of `group` finished: count its tokens, outcomes and snapshots. When
    DexScreener answered for none of its tokens, the batch is recorded as failed all the same."""
    fetch_failed = bool(report.tokens) and report.outcomes["fallback"] == report.tokens

    def write(pipe: Any) -> None:
        for outcome, count in sorted(report.outcomes.items()):
            counter_incr(pipe, "moon_refreshes", count, group=group, outcome=outcome)
        counter_incr(pipe, "moon_scores_written", report.tokens, group=group)
        if fetch_failed:
            error = f"DexScreener answered none of the batch's {report.tokens} tokens"
            _failure_write(pipe, group, error, report.seconds, now)
            return
        counter_incr(pipe, "moon_refresh_batches", group=group, result="success")
        if group in GROUPS:
            at = _epoch(now)
            stats = {
                "last_batch_at": at,
                "last_success_at": at,
                "last_duration_seconds": report.seconds,
                "last_batch_tokens": report.tokens,
            }
            pipe.hset(_stats_key(group), mapping=stats)
            pipe.hincrby(_stats_key(group), "tokens_refreshed", report.tokens)
            pipe.hincrby(_stats_key(group), "batches", 1)
            _push_outcome(pipe, group, success=True)

    _execute(write)


def batch_failure_record(
    *, group: str, error: BaseException, seconds: float, now: datetime | None = None
) -> None:
    """A refresh batch of `group` raised (it may be retried: each attempt counts)."""
    message = f"{type(error).__name__}: {error}"
    _execute(lambda pipe: _failure_write(pipe, group, message, seconds, now))


def _failure_write(pipe: Any, group: str, error: str, seconds: float, now: datetime | None) -> None:
    counter_incr(pipe, "moon_refresh_batches", group=group, result="failure")
    if group in GROUPS:
        at = _epoch(now)
        stats = {
            "last_batch_at": at,
            "last_failure_at": at,
            "last_duration_seconds": seconds,
            "last_error": error[:500],
        }
        pipe.hset(_stats_key(group), mapping=stats)
        pipe.hincrby(_stats_key(group), "batches", 1)
        pipe.hincrby(_stats_key(group), "failures", 1)
        _push_outcome(pipe, group, success=False)


def _push_outcome(pipe: Any, group: str, *, success: bool) -> None:
    pipe.lpush(_recent_key(group), "1" if success else "0")
    pipe.ltrim(_recent_key(group), 0, RECENT_BATCHES - 1)


def _execute(write: Callable[[Any], object]) -> None:
    """Stats are best effort: losing them must never fail the refresh that produced them."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        write(pipe)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("scheduler stats not recorded: %s", exc)


@dataclass(frozen=True)
class GroupStats(StatusReport):
    """What the tasks recorded about one group."""

    last_run_at: datetime | None = None
    last_run_leased: int | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_duration_seconds: float | None = None
    last_batch_tokens: int | None = None
    last_batch_failed: bool = False
    last_error: str = ""
    tokens_refreshed: int | None = None  # None: unknown (Redis down), not zero
    batches: int | None = None
    failures: int | None = None
    success_rate: float | None = None


@dataclass(frozen=True)
class GroupTokens(StatusReport):
    """A group's tokens, how many are stale, and how far the most overdue one lags."""

    interval_seconds: int
    tokens: int
    stale_tokens: int
    lag_seconds: float


@dataclass(frozen=True)
class GroupStatus(StatusReport):
    status: str
    reason: str
    tokens: GroupTokens
    stats: GroupStats

    def to_json(self) -> dict[str, Any]:
        """Flat, as /health/scheduler has always answered."""
        return {
            "status": self.status,
            "reason": self.reason,
            **self.tokens.to_json(),
            **self.stats.to_json(),
        }


@dataclass(frozen=True)
class SchedulerStatus(StatusReport):
    status: str
    checked_at: datetime
    groups: dict[str, GroupStatus] = field(default_factory=dict)
    error: str = ""


def group_stats(group: str) -> GroupStats:
    """What the tasks recorded about `group`; raises redis.RedisError when Redis is down."""
    pipe = redis_client().pipeline(transaction=False)
    pipe.hgetall(_stats_key(group))
    pipe.lrange(_recent_key(group), 0, -1)
    raw, recent = pipe.execute()
    stats = {key.decode(): value.decode() for key, value in raw.items()}
    outcomes = [value == b"1" for value in recent]
    return GroupStats(
        last_run_at=_time(stats.get("last_run_at")),
        last_run_leased=_int(stats.get("last_run_leased")),
        last_success_at=_time(stats.get("last_success_at")),
        last_failure_at=_time(stats.get("last_failure_at")),
        last_duration_seconds=_float(stats.get("last_duration_seconds")),
        last_batch_tokens=_int(stats.get("last_batch_tokens")),
        last_batch_failed=bool(outcomes) and not outcomes[0],
        last_error=stats.get("last_error", ""),
        tokens_refreshed=_int(stats.get("tokens_refreshed")) or 0,
        batches=_int(stats.get("batches")) or 0,
        failures=_int(stats.get("failures")) or 0,
        success_rate=sum(outcomes) / len(outcomes) if outcomes else None,
    )


def group_tokens(group: str, *, settings: ScoringSettings, now: datetime) -> GroupTokens:
    """Tokens of `group`, how many are stale, and how far the most overdue one lags."""
    interval = group_interval(group, settings)
    cutoff = now - timedelta(seconds=STALE_FACTOR * interval)
    counts = tokens_in_group(group, settings=settings).aggregate(
        tokens=Count("pk"),
        stale=Count(
            "pk",
            filter=Q(last_updated_at__lt=cutoff)
            | Q(last_updated_at__isnull=True, created_at__lt=cutoff),
        ),
        oldest=Min(Coalesce("last_updated_at", "created_at")),
    )
    oldest = counts["oldest"]
    lag = max(0.0, (now - oldest).total_seconds() - interval) if oldest else 0.0
    return GroupTokens(
        interval_seconds=interval,
        tokens=counts["tokens"],
        stale_tokens=counts["stale"],
        lag_seconds=round(lag, 3),
    )


def group_status(*, tokens: GroupTokens, stats: GroupStats, now: datetime) -> tuple[str, str]:
    """(status, reason) of one group, by the rule in this module's docstring."""
    count, stale = tokens.tokens, tokens.stale_tokens
    window = timedelta(seconds=STALE_FACTOR * tokens.interval_seconds)
    succeeded = stats.last_success_at is not None and now - stats.last_success_at <= window
    if count and stale * 2 > count:
        return "failing", f"{stale} of {count} tokens are stale"
    if stale and not succeeded:
        return (
            "failing",
            f"{stale} stale tokens and no successful batch within {int(window.total_seconds())}s",
        )
    if stale:
        return "degraded", f"{stale} of {count} tokens are stale"
    if stats.last_batch_failed:
        return "degraded", "the latest batch failed"
    return "ok", ""


def scheduler_status(*, now: datetime | None = None) -> SchedulerStatus:
    """Per group (hot, cold): recorded stats, token counts, status; plus the overall status."""
    now = now or timezone.now()
    settings = ScoringSettings.objects.active()
    groups: dict[str, GroupStatus] = {}
    error = ""
    for group in GROUPS:
        tokens = group_tokens(group, settings=settings, now=now)
        try:
            stats = group_stats(group)
        except redis.RedisError as exc:
            error = f"redis unavailable: {exc}"
            stats = GroupStats()
        status, reason = group_status(tokens=tokens, stats=stats, now=now)
        if error:
            status, reason = "failing", error
        groups[group] = GroupStatus(status=status, reason=reason, tokens=tokens, stats=stats)
    overall = max((g.status for g in groups.values()), key=STATUS_ORDER.index)
    return SchedulerStatus(status=overall, checked_at=now, groups=groups, error=error)


def _time(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value else None


def _float(value: str | None) -> float | None:
    return float(value) if value else None


def _int(value: str | None) -> int | None:
    return int(value) if value else None

"""Liveness and readiness: is each part moon depends on answering?

`/health` names every dependency (database, Redis, the Celery broker, the workers by their
heartbeats, beat, the PumpPortal feed, DexScreener, the Solana RPC) as ok, degraded or failing,
why, and since when (moon.operations.models.Dependency remembers); its own status is the worst
of them, and HTTP 503 when that is failing. `/health/scheduler` is the
refresh scheduler's own report (scoring.services.monitoring), `/health/ingestion` the intake's
(ingestion.services.coverage: the feed against the chain). `system_status()` gathers them, the
listener's state and the DexScreener budget for the /system page.
"""

import dataclasses
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any

import redis
from celery import current_app as celery_app
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_celery_beat.models import PeriodicTask

from ingestion.services.coverage import IntakeStatus, intake_status
from ingestion.services.listener import ListenerStatus, listener_status
from moon.lib.counters import source_traffic
from moon.lib.heartbeat import ALIVE_SECONDS, heartbeats
from moon.lib.redis import redis_client
from moon.lib.status import StatusReport
from moon.operations.models import Dependency, Status, worst
from scoring.models import ScoringSettings
from scoring.services.dexscreener import dexscreener_budget_usage
from scoring.services.monitoring import STALE_FACTOR, SchedulerStatus, scheduler_status
from scoring.services.periodic import MANAGED_PREFIX

HOT_REFRESH_TASK = MANAGED_PREFIX + "refresh hot tokens"
# The listener: a reconnect under way is fine for a minute; then degraded, and after five
# minutes without the feed, failing.
LISTENER_DEGRADED_AFTER = 60.0
LISTENER_FAILING_AFTER = 300.0
# An outside source (DexScreener, the Solana RPC) over its last SOURCE_MINUTES (this minute and
# the one before: recent enough that a recovery shows within two minutes): degraded past
# this error rate, failing when every request failed; judged from this many requests on.
SOURCE_MINUTES = 2
SOURCE_MIN_REQUESTS = 3
SOURCE_MAX_ERROR_RATE = 0.25


@dataclass(frozen=True)
class Check(StatusReport):
    """One dependency: ok, degraded or failing, why, and since when (None: not known, e.g.
    while the database that remembers it is down). ``details`` are what the check saw."""

    status: str
    details: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    since: datetime | None = None
    # False: what the check reads is itself down (Redis, the database), so it could not judge;
    # failing on /health, but neither remembered nor alerted: the dependency that is down is.
    judged: bool = True

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    def to_json(self) -> dict[str, Any]:
        head: dict[str, Any] = {"ok": self.ok, "status": self.status, "since": self.since}
        if self.reason:
            head["reason"] = self.reason
        return {**head, **self.details}


def _up(details: dict[str, Any] | None = None) -> Check:
    return Check(Status.OK, details or {})


def _failing(reason: str, details: dict[str, Any] | None = None) -> Check:
    return Check(Status.FAILING, details or {}, reason)


def _unreadable(reason: str, details: dict[str, Any] | None = None) -> Check:
    return Check(Status.FAILING, details or {}, reason, judged=False)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return _failing(f"the database does not answer: {exc}", {"error": str(exc)})
    return _up({"vendor": connection.vendor})


def check_redis() -> Check:
    try:
        redis_client().ping()
    except redis.RedisError as exc:
        return _failing(f"Redis does not answer: {exc}", {"error": str(exc)})
    return _up()


def check_broker() -> Check:
    """Can a task be sent? One connection attempt to Celery's broker, no long retry loop."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=1, interval_max=1, timeout=2
            )
    except Exception as exc:
        return _failing(f"the Celery broker does not answer: {exc}", {"error": str(exc)})
    return _up()


QUEUE_SAMPLES_KEY = "moon:health:queue-depth"
QUEUE_GROWTH_SECONDS = 90.0  # samples spanning this long that never fall: the queue only grows
QUEUE_GROWTH_MIN = 10  # ... by at least this many tasks
QUEUE_SAMPLE_KEEP_SECONDS = 180


def queue_growth(depth: int, *, now: float) -> tuple[int, float] | None:
    """Note `depth` among the queue's recent depths (each check adds one); (growth, seconds)
    when the samples of the last QUEUE_GROWTH_SECONDS and more never fell and grew by
    QUEUE_GROWTH_MIN or more, None otherwise."""
    store = redis_client(settings.CELERY_BROKER_URL)
    with store.pipeline() as pipe:
        pipe.zadd(QUEUE_SAMPLES_KEY, {f"{now:.3f}:{depth}": now})
        pipe.zremrangebyscore(QUEUE_SAMPLES_KEY, "-inf", now - QUEUE_SAMPLE_KEEP_SECONDS)
        pipe.expire(QUEUE_SAMPLES_KEY, QUEUE_SAMPLE_KEEP_SECONDS)
        pipe.zrangebyscore(QUEUE_SAMPLES_KEY, now - 2 * QUEUE_GROWTH_SECONDS, "+inf")
        samples = [member.decode().split(":") for member in pipe.execute()[-1]]
    points = [(float(at), int(count)) for at, count in samples]
    if len(points) < 3 or points[-1][0] - points[0][0] < QUEUE_GROWTH_SECONDS:
        return None
    depths = [count for _, count in points]
    if any(later < earlier for earlier, later in itertools.pairwise(depths)):
        return None
    growth = depths[-1] - depths[0]
    return (growth, points[-1][0] - points[0][0]) if growth >= QUEUE_GROWTH_MIN else None


def queue_depths() -> dict[str, int]:
    """Tasks waiting in each of moon's Celery queues (the default one, and `push`)."""
    names = [queue.name for queue in celery_app.conf.task_queues or ()]
    names = names or [celery_app.conf.task_default_queue]
    pipe = redis_client(settings.CELERY_BROKER_URL).pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
    return {name: int(depth) for name, depth in zip(names, pipe.execute(), strict=True)}


def check_workers(*, now: float | None = None) -> Check:
    """Celery workers alive by their heartbeats, and how many tasks wait in the queues: failing
    when no worker is alive, or when the queues only grow (the workers do not keep up)."""
    now = now if now is not None else time.time()
    try:
        beats = heartbeats()
        depths = queue_depths()
        waiting = sum(depths.values())
        growth = queue_growth(waiting, now=now)
    except redis.RedisError as exc:
        return _unreadable(f"worker heartbeats unreadable: {exc}", {"alive": 0, "error": str(exc)})
    alive = [beat for beat in beats if beat.age(now) <= ALIVE_SECONDS]
    body: dict[str, Any] = {
        "alive": len(alive),
        "queue_depth": waiting,
        "queues": depths,
        "workers": [
            {
                "hostname": beat.hostname,
                "pid": beat.pid,
                "alive": beat.age(now) <= ALIVE_SECONDS,
                "last_beat_age_seconds": round(beat.age(now), 3),
            }
            for beat in beats
        ],
    }
    if alive and growth is not None:
        grew, seconds = growth
        reason = (
            f"the task queue only grows: {grew} more tasks in {seconds:.0f}s, {waiting} waiting"
        )
        return _failing(reason, body)
    if alive:
        return _up(body)
    return _failing(
        f"no Celery worker alive (none beat in the last {ALIVE_SECONDS:.0f}s); "
        f"{waiting} tasks waiting",
        body,
    )


def check_listener(*, now: float | None = None) -> Check:
    """The PumpPortal feed: degraded when silent, or after a minute without a connection;
    failing after five minutes without one, or when no listener runs at all."""
    status = listener_status(now=now)
    body = {
        "state": status.state,
        "connected": status.connected,
        "last_frame_age_seconds": status.last_frame_age_seconds,
        "disconnected_seconds": status.disconnected_seconds,
    }
    if status.state == "missing":
        return _failing("no PumpPortal listener has published its state", body)
    if status.state == "unknown":
        return _unreadable(f"the listener's state is unreadable: {status.error}", body)
    away = status.disconnected_seconds
    error = f" ({status.last_error})" if status.last_error else ""
    if away is not None and away > LISTENER_FAILING_AFTER:
        return _failing(f"the PumpPortal feed is unreachable for {away:.0f}s{error}", body)
    if away is not None and away > LISTENER_DEGRADED_AFTER:
        reason = f"the PumpPortal feed is unreachable for {away:.0f}s{error}"
        return Check(Status.DEGRADED, body, reason)
    if status.state == "stale":
        reason = f"the PumpPortal feed is silent for {status.silent_seconds:.0f}s"
        return Check(Status.DEGRADED, body, reason)
    return _up(body)


def check_beat(*, now: datetime | None = None) -> Check:
    """Beat's last tick: when it last sent moon's hot refresh, stale after 3x its interval.

    Needs CELERY_BEAT_SYNC_EVERY = 1: beat otherwise writes last_run_at only every 3 minutes.
    """
    now = now or timezone.now()
    try:
        task = PeriodicTask.objects.select_related("interval").filter(name=HOT_REFRESH_TASK).first()
    except Exception as exc:
        return _unreadable(f"beat's schedule is unreadable: {exc}", {"state": "unknown"})
    if task is None:
        reason = "beat's schedule has no hot refresh (run setup_periodic_tasks)"
        return Check(Status.DEGRADED, {"state": "missing", "task": HOT_REFRESH_TASK}, reason)
    if task.interval is not None:
        interval = task.interval.schedule.run_every.total_seconds()
    else:  # an operator moved it to a crontab: judge by the declared interval
        interval = float(ScoringSettings.objects.active().hot_interval_sec)
    body: dict[str, Any] = {
        "task": HOT_REFRESH_TASK,
        "interval_seconds": interval,
        "last_tick_at": task.last_run_at,
        "age_seconds": None,
    }
    if not task.enabled:
        return Check(Status.DEGRADED, {"state": "disabled", **body}, "the hot refresh is disabled")
    if task.last_run_at is None:
        return Check(Status.DEGRADED, {"state": "stale", **body}, "beat has never ticked")
    age = (now - task.last_run_at).total_seconds()
    body = {**body, "age_seconds": round(age, 3)}
    if age <= STALE_FACTOR * interval:
        return _up({"state": "ok", **body})
    return Check(Status.DEGRADED, {"state": "stale", **body}, f"beat last ticked {age:.0f}s ago")


def check_source(source: str, label: str, *, now: float | None = None) -> Check:
    """An outside source by its last SOURCE_MINUTES of requests: degraded past the error
    rate, failing when every request failed (from SOURCE_MIN_REQUESTS requests on)."""
    try:
        traffic = source_traffic(source, minutes=SOURCE_MINUTES, now=now)
    except redis.RedisError as exc:
        return _unreadable(f"{label}'s traffic is unreadable: {exc}", {"error": str(exc)})
    rate = traffic.error_rate
    body = {
        f"requests_{SOURCE_MINUTES}m": traffic.requests,
        f"errors_{SOURCE_MINUTES}m": traffic.errors,
        f"responses_429_{SOURCE_MINUTES}m": traffic.responses_429,
        "error_rate": rate,
    }
    if rate is None or traffic.requests < SOURCE_MIN_REQUESTS or rate <= SOURCE_MAX_ERROR_RATE:
        return _up(body)
    reason = (
        f"{label}: {traffic.errors} of {traffic.requests} requests failed in the last "
        f"{SOURCE_MINUTES} minutes ({traffic.responses_429} HTTP 429)"
    )
    return Check(
        Status.FAILING if traffic.errors == traffic.requests else Status.DEGRADED, body, reason
    )


def health_checks(*, now: datetime | None = None) -> dict[str, Check]:
    """Every dependency, each with its status since when (remembered in the database; `now`
    is when a status that changed is recorded to have changed)."""
    redis_check, broker_check = check_redis(), check_broker()
    if not redis_check.ok and settings.CELERY_BROKER_URL == settings.REDIS_URL:
        broker_check = dataclasses.replace(broker_check, judged=False)  # the same server
    checks = {
        "database": check_database(),
        "redis": redis_check,
        "broker": broker_check,
        "workers": check_workers(),
        "beat": check_beat(),
        "listener": check_listener(),
        "dexscreener": check_source("dexscreener", "DexScreener"),
    }
    if settings.SOLANA_RPC_URL:
        checks["solana_rpc"] = check_source("solana_rpc", "the Solana RPC")
    return dependencies_record(checks, now=now)


def dependencies_record(
    checks: Mapping[str, Check], *, now: datetime | None = None
) -> dict[str, Check]:
    """Remember when each judged check entered its status; `checks` with their `since`.
    Without the database nothing is remembered, and `since` stays unknown."""
    now = now or timezone.now()
    judged = {name: check for name, check in checks.items() if check.judged}
    try:
        known = {row.name: row for row in Dependency.objects.filter(name__in=list(judged))}
        for name, check in judged.items():
            row = known.get(name)
            if row is None:
                row = Dependency.objects.create(
                    name=name, status=check.status, since=now, reason=check.reason[:500]
                )
                known[name] = row
            elif row.status != check.status or row.reason != check.reason[:500]:
                changed = row.status != check.status
                Dependency.objects.filter(pk=row.pk).update(
                    status=check.status,
                    reason=check.reason[:500],
                    **({"since": now} if changed else {}),
                )
                row.since = now if changed else row.since
    except DatabaseError:
        return dict(checks)
    return {
        name: dataclasses.replace(check, since=known[name].since) if name in known else check
        for name, check in checks.items()
    }


def dependencies_in_trouble() -> list[Dependency]:
    """The dependencies last judged degraded or failing, the worst first (what the dashboard
    names when it has nothing to show)."""
    rows = Dependency.objects.exclude(status=Status.OK)
    return sorted(rows, key=lambda row: (row.status != Status.FAILING, row.since))


def overall_status(checks: Mapping[str, Check]) -> str:
    """The worst of the checks: failing, degraded or ok."""
    return worst([check.status for check in checks.values()])


@dataclass(frozen=True)
class DexScreenerStatus(StatusReport):
    """The shared request budget (last minute); its traffic and errors are the `dexscreener`
    check's."""

    used_last_minute: int | None = None
    limit: int | None = None
    blocked_until: datetime | None = None
    error: str = ""

    @property
    def budget_percent(self) -> float | None:
        if self.used_last_minute is None or not self.limit:
            return None
        return min(100.0, 100 * self.used_last_minute / self.limit)


def dexscreener_status() -> DexScreenerStatus:
    try:
        usage = dexscreener_budget_usage()
    except Exception as exc:
        return DexScreenerStatus(limit=settings.DEXSCREENER_RPM, error=str(exc))
    return DexScreenerStatus(
        used_last_minute=usage.used_last_minute,
        limit=usage.limit,
        blocked_until=_time(usage.blocked_until),
    )


def safe_scheduler_status() -> SchedulerStatus:
    try:
        return scheduler_status()
    except Exception as exc:  # the database is down: the checks say so too
        return SchedulerStatus(status="failing", checked_at=timezone.now(), error=str(exc))


@dataclass(frozen=True)
class SystemStatus(StatusReport):
    """Everything the /system page shows. ``status`` is /health's (the checks only); the
    scheduler carries its own."""

    status: str
    checked_at: datetime
    checks: dict[str, Check]
    scheduler: SchedulerStatus
    listener: ListenerStatus
    dexscreener: DexScreenerStatus
    intake: IntakeStatus | None = None


def system_status() -> SystemStatus:
    checks = health_checks()
    return SystemStatus(
        status=overall_status(checks),
        checked_at=timezone.now(),
        checks=checks,
        scheduler=safe_scheduler_status(),
        listener=listener_status(),
        dexscreener=dexscreener_status(),
        intake=intake_status(),
    )


def _time(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = health_checks()
    status = overall_status(checks)
    # Each check at the top level, as the foundation's /health answered: monitors keep working.
    body = {
        "status": status,
        "checked_at": timezone.now(),
        **{name: check.to_json() for name, check in checks.items()},
    }
    return JsonResponse(body, status=503 if status == "failing" else 200)


@require_GET
def health_scheduler(request: HttpRequest) -> JsonResponse:
    report = safe_scheduler_status()
    return JsonResponse(report.to_json(), status=503 if report.status == "failing" else 200)


@require_GET
def health_ingestion(request: HttpRequest) -> JsonResponse:
    """Coverage of the feed against the chain; 503 only when no intake works at all."""
    report = intake_status()
    return JsonResponse(report.to_json(), status=503 if report.status == "failing" else 200)


@require_GET
def version(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "moon",
            "version": settings.MOON_VERSION,
            "django": package_version("django"),
            "app_env": settings.APP_ENV,
        }
    )

"""Liveness and readiness: is each part moon depends on answering?

`/health` checks the database, Redis, the Celery broker and that a worker is alive by its
heartbeat (any of them down: failing, HTTP 503)
and whether the listener and beat are alive (either stale: degraded). `/health/scheduler` is the
refresh scheduler's own report (scoring.services.monitoring), `/health/ingestion` the intake's
(ingestion.services.coverage: the feed against the chain). `system_status()` gathers them, the
listener's state and the DexScreener budget for the /system page.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any

import redis
from celery import current_app as celery_app
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_celery_beat.models import PeriodicTask

from ingestion.services.coverage import IntakeStatus, intake_status
from ingestion.services.listener import ListenerStatus, listener_status
from moon.lib.counters import dexscreener_traffic
from moon.lib.heartbeat import ALIVE_SECONDS, heartbeats
from moon.lib.redis import redis_client
from moon.lib.status import StatusReport
from scoring.models import ScoringSettings
from scoring.services.dexscreener import dexscreener_budget_usage
from scoring.services.monitoring import STALE_FACTOR, SchedulerStatus, scheduler_status
from scoring.services.periodic import MANAGED_PREFIX

FAILING_WHEN_DOWN = ("database", "redis", "broker", "workers")  # nothing works without these
DEGRADED_WHEN_DOWN = ("listener", "beat")  # what is there still answers, but goes stale
HOT_REFRESH_TASK = MANAGED_PREFIX + "refresh hot tokens"
TRAFFIC_MINUTES = 5


@dataclass(frozen=True)
class Check(StatusReport):
    """One dependency: does it answer? ``details`` are what the check saw besides."""

    ok: bool
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.details}


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return Check(False, {"error": str(exc)})
    return Check(True, {"vendor": connection.vendor})


def check_redis() -> Check:
    try:
        redis_client().ping()
    except redis.RedisError as exc:
        return Check(False, {"error": str(exc)})
    return Check(True)


def check_broker() -> Check:
    """Can a task be sent? One connection attempt to Celery's broker, no long retry loop."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=1, interval_max=1, timeout=2
            )
    except Exception as exc:
        return Check(False, {"error": str(exc)})
    return Check(True)


def check_workers(*, now: float | None = None) -> Check:
    """Celery workers alive by their heartbeats, and how many tasks wait in the queue."""
    now = now if now is not None else time.time()
    try:
        beats = heartbeats()
        queue = celery_app.conf.task_default_queue  # every moon task goes through it
        waiting = int(redis_client(settings.CELERY_BROKER_URL).llen(queue))
    except redis.RedisError as exc:
        return Check(False, {"alive": 0, "error": str(exc)})
    alive = [beat for beat in beats if beat.age(now) <= ALIVE_SECONDS]
    body: dict[str, Any] = {
        "alive": len(alive),
        "queue_depth": waiting,
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
    return Check(bool(alive), body)


def check_listener(*, now: float | None = None) -> Check:
    status = listener_status(now=now)
    return Check(
        status.ok,
        {
            "state": status.state,
            "connected": status.connected,
            "last_frame_age_seconds": status.last_frame_age_seconds,
        },
    )


def check_beat(*, now: datetime | None = None) -> Check:
    """Beat's last tick: when it last sent moon's hot refresh, stale after 3x its interval.

    Needs CELERY_BEAT_SYNC_EVERY = 1: beat otherwise writes last_run_at only every 3 minutes.
    """
    now = now or timezone.now()
    try:
        task = PeriodicTask.objects.select_related("interval").filter(name=HOT_REFRESH_TASK).first()
    except Exception as exc:
        return Check(False, {"state": "unknown", "error": str(exc)})
    if task is None:
        return Check(False, {"state": "missing", "task": HOT_REFRESH_TASK})
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
        return Check(False, {"state": "disabled", **body})
    if task.last_run_at is None:
        return Check(False, {"state": "stale", **body})
    age = (now - task.last_run_at).total_seconds()
    fresh = age <= STALE_FACTOR * interval
    return Check(fresh, {"state": "ok" if fresh else "stale", **body, "age_seconds": round(age, 3)})


def health_checks() -> dict[str, Check]:
    return {
        "database": check_database(),
        "redis": check_redis(),
        "broker": check_broker(),
        "workers": check_workers(),
        "listener": check_listener(),
        "beat": check_beat(),
    }


def overall_status(checks: Mapping[str, Check]) -> str:
    """failing when the database, Redis or the broker is down or no worker is alive; degraded
    when the listener or beat is stale; ok otherwise."""
    if any(not checks[name].ok for name in FAILING_WHEN_DOWN if name in checks):
        return "failing"
    if any(not checks[name].ok for name in DEGRADED_WHEN_DOWN if name in checks):
        return "degraded"
    return "ok"


@dataclass(frozen=True)
class DexScreenerStatus(StatusReport):
    """The shared request budget (last minute) and the traffic of the last 5 minutes."""

    used_last_minute: int | None = None
    limit: int | None = None
    blocked_until: datetime | None = None
    requests_5m: int | None = None
    errors_5m: int | None = None
    responses_429_5m: int | None = None
    error_rate_5m: float | None = None
    error: str = ""

    @property
    def budget_percent(self) -> float | None:
        if self.used_last_minute is None or not self.limit:
            return None
        return min(100.0, 100 * self.used_last_minute / self.limit)


def dexscreener_status() -> DexScreenerStatus:
    try:
        usage = dexscreener_budget_usage()
        traffic = dexscreener_traffic(minutes=TRAFFIC_MINUTES)
    except Exception as exc:
        return DexScreenerStatus(limit=settings.DEXSCREENER_RPM, error=str(exc))
    return DexScreenerStatus(
        used_last_minute=usage.used_last_minute,
        limit=usage.limit,
        blocked_until=_time(usage.blocked_until),
        requests_5m=traffic.requests,
        errors_5m=traffic.errors,
        responses_429_5m=traffic.responses_429,
        error_rate_5m=traffic.error_rate,
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

"""Liveness and readiness: is each part moon depends on answering?

`/health` checks the database, Redis and the Celery broker (any of them down: failing, HTTP 503)
and whether the listener and beat are alive (either stale: degraded). `/health/scheduler` is the
refresh scheduler's own report (scoring.services.monitoring). `system_status()` gathers both,
the listener's state and the DexScreener budget for the /system page.
"""

import time
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_celery_beat.models import PeriodicTask

from ingestion.services import dexscreener_budget_usage, listener_state
from moon.celery import app as celery_app
from moon.metrics import dexscreener_traffic
from scoring.models import ScoringSettings
from scoring.services.monitoring import scheduler_status
from scoring.services.periodic import MANAGED_PREFIX

FAILING_WHEN_DOWN = ("database", "redis", "broker")  # nothing works without these
DEGRADED_WHEN_DOWN = ("listener", "beat")  # what is there still answers, but goes stale
HOT_REFRESH_TASK = MANAGED_PREFIX + "refresh hot tokens"
BEAT_STALE_FACTOR = 3
LISTENER_STALE_FACTOR = 2  # times PUMPPORTAL_SILENCE_SECONDS
TRAFFIC_MINUTES = 5


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "vendor": connection.vendor}


def check_redis() -> dict[str, Any]:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True}


def check_broker() -> dict[str, Any]:
    """Can a task be sent? One connection attempt to Celery's broker, no long retry loop."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=1, interval_max=1, timeout=2
            )
    except Exception as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True}


def listener_status(*, now: float | None = None) -> dict[str, Any]:
    """The listener's published state, with its age. `state` is connected | disconnected (a
    reconnect under way, frames still recent) | stale (no frame for more than twice
    PUMPPORTAL_SILENCE_SECONDS) | missing (never published) | unknown (Redis down). The same
    keys whatever the state."""
    now = now if now is not None else time.time()
    limit = settings.PUMPPORTAL_SILENCE_SECONDS * LISTENER_STALE_FACTOR
    try:
        state = listener_state()
    except redis.RedisError as exc:
        return {**_listener_fields({}, "unknown", None, limit), "error": str(exc)}
    if state is None:
        return _listener_fields({}, "missing", None, limit)
    # No frame yet: the silence counts from the connection, or from the state's publication.
    reference = state.get("last_frame_at") or state.get("connected_since") or state["updated_at"]
    age = max(0.0, now - reference)
    label = "connected" if state.get("connected") else "disconnected"
    return _listener_fields(state, "stale" if age > limit else label, round(age, 3), limit)


def _listener_fields(
    state: dict[str, Any], label: str, age: float | None, limit: int
) -> dict[str, Any]:
    return {
        "state": label,
        "connected": bool(state.get("connected")),
        "last_frame_age_seconds": age,
        "stale_after_seconds": limit,
        "last_frame_at": _time(state.get("last_frame_at")),
        "connected_since": _time(state.get("connected_since")),
        "updated_at": _time(state.get("updated_at")),
        "migrations_seen": state.get("migrations_seen", 0),
        "creations_seen": state.get("creations_seen", 0),
        "reconnects": state.get("reconnects", 0),
        "last_error": state.get("last_error"),
        "pid": state.get("pid"),
    }


def check_listener(*, now: float | None = None) -> dict[str, Any]:
    status = listener_status(now=now)
    return {
        "ok": status["state"] in {"connected", "disconnected"},
        "state": status["state"],
        "connected": status["connected"],
        "last_frame_age_seconds": status["last_frame_age_seconds"],
    }


def check_beat(*, now: datetime | None = None) -> dict[str, Any]:
    """Beat's last tick: when it last sent moon's hot refresh, stale after 3x its interval.

    Needs CELERY_BEAT_SYNC_EVERY = 1: beat otherwise writes last_run_at only every 3 minutes.
    """
    now = now or timezone.now()
    try:
        task = PeriodicTask.objects.select_related("interval").filter(name=HOT_REFRESH_TASK).first()
    except Exception as exc:
        return {"ok": False, "state": "unknown", "error": str(exc)}
    if task is None:
        return {"ok": False, "state": "missing", "task": HOT_REFRESH_TASK}
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
        return {"ok": False, "state": "disabled", **body}
    if task.last_run_at is None:
        return {"ok": False, "state": "stale", **body}
    age = (now - task.last_run_at).total_seconds()
    fresh = age <= BEAT_STALE_FACTOR * interval
    return {"ok": fresh, "state": "ok" if fresh else "stale", **body, "age_seconds": round(age, 3)}


def health_checks() -> dict[str, dict[str, Any]]:
    return {
        "database": check_database(),
        "redis": check_redis(),
        "broker": check_broker(),
        "listener": check_listener(),
        "beat": check_beat(),
    }


def overall_status(checks: dict[str, dict[str, Any]]) -> str:
    """failing when the database, Redis or the broker is down; degraded when the listener or
    beat is stale; ok otherwise."""
    if any(not checks[name]["ok"] for name in FAILING_WHEN_DOWN if name in checks):
        return "failing"
    if any(not checks[name]["ok"] for name in DEGRADED_WHEN_DOWN if name in checks):
        return "degraded"
    return "ok"


def dexscreener_status() -> dict[str, Any]:
    """The shared request budget (last minute) and the traffic of the last 5 minutes."""
    body: dict[str, Any] = {
        "used_last_minute": None,
        "limit": settings.DEXSCREENER_RPM,
        "blocked_until": None,
        "requests_5m": None,
        "errors_5m": None,
        "responses_429_5m": None,
        "error_rate_5m": None,
    }
    try:
        usage = dexscreener_budget_usage()
        traffic = dexscreener_traffic(minutes=TRAFFIC_MINUTES)
    except Exception as exc:
        return {**body, "error": str(exc)}
    return {
        **body,
        "used_last_minute": usage.used_last_minute,
        "limit": usage.limit,
        "blocked_until": _time(usage.blocked_until),
        "requests_5m": traffic.requests,
        "errors_5m": traffic.errors,
        "responses_429_5m": traffic.responses_429,
        "error_rate_5m": traffic.error_rate,
    }


def safe_scheduler_status() -> dict[str, Any]:
    try:
        return scheduler_status()
    except Exception as exc:  # the database is down: the checks say so too
        return {"status": "failing", "checked_at": timezone.now(), "groups": {}, "error": str(exc)}


def system_status() -> dict[str, Any]:
    """Everything the /system page shows. `status` is /health's (the checks only); the
    scheduler carries its own."""
    checks = health_checks()
    return {
        "status": overall_status(checks),
        "checked_at": timezone.now(),
        "checks": checks,
        "scheduler": safe_scheduler_status(),
        "listener": listener_status(),
        "dexscreener": dexscreener_status(),
    }


def _time(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = health_checks()
    status = overall_status(checks)
    # Each check at the top level, as the foundation's /health answered: monitors keep working.
    body = {"status": status, "checked_at": timezone.now(), **checks}
    return JsonResponse(body, status=503 if status == "failing" else 200)


@require_GET
def health_scheduler(request: HttpRequest) -> JsonResponse:
    body = safe_scheduler_status()
    return JsonResponse(body, status=503 if body["status"] == "failing" else 200)


@require_GET
def version(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "moon",
            "version": "0.1.0",
            "django": package_version("django"),
            "app_env": settings.APP_ENV,
        }
    )

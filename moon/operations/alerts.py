"""Alerts: a failing scheduler group, a silent listener, too many DexScreener errors, a feed
that misses migrations.

`operations.check_alerts` runs `alerts_check` every minute. The first detection of an incident
logs at ERROR and, when ALERT_WEBHOOK_URL is set, POSTs it as JSON. A Redis key with a TTL (the
cooldown) then marks the incident open; every later detection of the same incident renews it, so
a problem that lasts for hours is one alert. Once the problem is gone the key runs out a
cooldown later, and the same problem after that is a new incident that alerts again. A webhook
that could not be reached releases the key, so the next check delivers the alert.

What counts as an incident:
- `scheduler_stale:<group>`: the group's /health/scheduler status is failing;
- `listener_silent:listener`: no frame for more than twice PUMPPORTAL_SILENCE_SECONDS, or no
  listener ever published its state;
- `dexscreener_errors:dexscreener`: over the last 5 minutes, at least 20 requests of which more
  than 25% failed (transport error or HTTP status >= 400, 429 included);
- `intake_coverage:feed`: over the last hour the feed delivered under 99% of the migrations the
  chain shows (the reconciler registered the rest).
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from ingestion.services.coverage import MIN_COVERAGE, intake_status
from ingestion.services.listener import listener_status
from moon.lib.counters import counter_add, dexscreener_traffic
from moon.lib.redis import redis_client
from scoring.services.monitoring import scheduler_status

logger = logging.getLogger(__name__)

COOLDOWN_SECONDS = 15 * 60
INCIDENT_KEY = "moon:alerts:incident:{key}"
DEXSCREENER_WINDOW_MINUTES = 5
DEXSCREENER_MIN_REQUESTS = 20
DEXSCREENER_MAX_ERROR_RATE = 0.25
WEBHOOK_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


@dataclass(frozen=True)
class Alert:
    kind: str
    subject: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


def alerts_detect(*, now: datetime | None = None) -> list[Alert]:
    """Every incident going on now."""
    now = now or timezone.now()
    return [
        *_scheduler_alerts(now),
        *_listener_alerts(now),
        *_dexscreener_alerts(now),
        *_coverage_alerts(now),
    ]


def _scheduler_alerts(now: datetime) -> list[Alert]:
    groups = scheduler_status(now=now).groups
    return [
        Alert(
            "scheduler_stale",
            group,
            f"{group} refresh group is failing: {report.reason}",
            {
                "tokens": report.tokens.tokens,
                "stale_tokens": report.tokens.stale_tokens,
                "last_success_at": report.stats.last_success_at,
                "interval_seconds": report.tokens.interval_seconds,
            },
        )
        for group, report in groups.items()
        if report.status == "failing"
    ]


def _listener_alerts(now: datetime) -> list[Alert]:
    status = listener_status(now=now.timestamp())
    if status.state not in {"stale", "missing"}:
        return []
    if status.state == "missing":
        message = "no PumpPortal listener has published its state"
    else:
        message = f"PumpPortal listener silent: no frame for {status.last_frame_age_seconds:.0f}s"
    details = {
        "state": status.state,
        "last_frame_age_seconds": status.last_frame_age_seconds,
        "stale_after_seconds": status.stale_after_seconds,
    }
    return [Alert("listener_silent", "listener", message, details)]


def _dexscreener_alerts(now: datetime) -> list[Alert]:
    traffic = dexscreener_traffic(minutes=DEXSCREENER_WINDOW_MINUTES, now=now.timestamp())
    rate = traffic.error_rate
    if traffic.requests < DEXSCREENER_MIN_REQUESTS or rate is None:
        return []
    if rate <= DEXSCREENER_MAX_ERROR_RATE:
        return []
    message = (
        f"DexScreener error rate {rate:.0%} over the last {DEXSCREENER_WINDOW_MINUTES} minutes "
        f"({traffic.errors} of {traffic.requests} requests, {traffic.responses_429} HTTP 429)"
    )
    details = {
        "requests": traffic.requests,
        "errors": traffic.errors,
        "responses_429": traffic.responses_429,
        "error_rate": rate,
        "threshold": DEXSCREENER_MAX_ERROR_RATE,
    }
    return [Alert("dexscreener_errors", "dexscreener", message, details)]


def _coverage_alerts(now: datetime) -> list[Alert]:
    hour = intake_status(now=now).last_hour
    if not hour.below_target or hour.coverage is None:
        return []
    shown = ", ".join(hour.missed_mints[:5]) + (", ..." if hour.missed > 5 else "")
    message = (
        f"the feed delivered {hour.heard_by_feed} of {hour.on_chain} migrations seen on chain "
        f"in the last hour ({hour.coverage:.1%}, under {MIN_COVERAGE:.0%}); missed: {shown}"
    )
    details = {
        "window": hour.window,
        "on_chain": hour.on_chain,
        "heard_by_feed": hour.heard_by_feed,
        "missed": hour.missed,
        "coverage": hour.coverage,
        "threshold": MIN_COVERAGE,
        "missed_mints": hour.missed_mints,
    }
    return [Alert("intake_coverage", "feed", message, details)]


def alerts_check(*, now: datetime | None = None) -> list[Alert]:
    """Detect the incidents going on and raise those not already open; returns those raised."""
    now = now or timezone.now()
    raised = []
    for alert in alerts_detect(now=now):
        if incident_open(alert, now=now):
            alert_raise(alert, now=now)
            raised.append(alert)
    return raised


def incident_open(alert: Alert, *, now: datetime) -> bool:
    """True when `alert` starts a new incident; an open one is only renewed."""
    key = INCIDENT_KEY.format(key=alert.key)
    store = redis_client()
    if store.set(key, now.isoformat(), nx=True, ex=COOLDOWN_SECONDS):
        return True
    store.expire(key, COOLDOWN_SECONDS)
    return False


def alert_raise(alert: Alert, *, now: datetime) -> None:
    """Log the alert at ERROR and POST it to ALERT_WEBHOOK_URL when one is set."""
    logger.error(
        "ALERT %s: %s",
        alert.key,
        alert.message,
        extra={"alert": alert.key, "alert_details": alert.details},
    )
    counter_add("moon_alerts", kind=alert.kind)
    url = settings.ALERT_WEBHOOK_URL
    if url and not webhook_post(url, alert_payload(alert, now=now)):
        redis_client().delete(INCIDENT_KEY.format(key=alert.key))


def alert_payload(alert: Alert, *, now: datetime) -> dict[str, Any]:
    """The webhook body; `text` makes it readable by Slack-style incoming webhooks as is."""
    return {
        "source": "moon",
        "app_env": settings.APP_ENV,
        "alert": alert.key,
        "kind": alert.kind,
        "subject": alert.subject,
        "severity": "error",
        "message": alert.message,
        "details": alert.details,
        "raised_at": now,
        "text": f"[moon {settings.APP_ENV}] {alert.message}",
    }


def webhook_post(url: str, payload: dict[str, Any]) -> bool:
    """POST `payload` as JSON; False (and a log line) when it was not accepted."""
    body = json.dumps(payload, cls=DjangoJSONEncoder)
    try:
        response = httpx.post(
            url,
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=WEBHOOK_TIMEOUT,
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logger.error("alert webhook failed, retrying on the next check: %s", exc)
        return False
    return True

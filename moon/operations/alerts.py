"""Alerts: every change of a dependency's status, told once, and its end ("resolved").

The watchdog (`python manage.py watchdog`, a process of its own, so that a frozen worker or a
dead beat cannot silence it) runs `Watchdog.check` every WATCHDOG_INTERVAL_SECONDS. What it
watches is /health's dependencies plus two judgements of their work: `scheduler` (a refresh
group failing) and `intake` (the feed delivering under 99% of what the chain shows).

A check that could not judge (what it reads is down: Redis, the database) or whose failure
another explains (the scheduler, while no worker is alive) is neither remembered nor told:
what is down is. A dependency whose status has differed from the one last alerted for
ALERT_GRACE_SECONDS is alerted: logged (ERROR when failing, WARNING when degraded, INFO when
resolved) and POSTed as JSON to ALERT_WEBHOOK_URL when one is set. Only a delivered alert is
recorded (in Dependency.alerted_status), so a webhook that was down gets it on the next check,
and a problem that lasts for hours is one alert. With several watchdogs, the one holding a
PostgreSQL advisory lock sends. When the database itself is down, the watchdog remembers in
memory.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection
from django.utils import timezone

from ingestion.services.coverage import MIN_COVERAGE, intake_status
from moon.lib.counters import counter_add
from moon.operations.health import Check, dependencies_record, health_checks
from moon.operations.models import Dependency, Status
from scoring.services.monitoring import SchedulerStatus, scheduler_status

logger = logging.getLogger(__name__)

ALERT_GRACE_SECONDS = 20.0  # a status must last this long to be told (no alert for a blip)
WEBHOOK_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
ADVISORY_LOCK = 0x6D6F6F6E  # "moon": one watchdog sends
LOG_LEVELS = {Status.FAILING: logging.ERROR, Status.DEGRADED: logging.WARNING}


@dataclass(frozen=True)
class Alert:
    """A dependency now `status` (ok: resolved), where it was `previous` when last told."""

    dependency: str
    status: str
    previous: str
    reason: str
    since: datetime | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return self.status == Status.OK

    @property
    def message(self) -> str:
        if self.resolved:
            return f"{self.dependency} resolved: ok again (was {self.previous})"
        return f"{self.dependency} {self.status}: {self.reason}"


def check_scheduler(*, now: datetime) -> Check:
    try:
        report = scheduler_status(now=now)
    except (DatabaseError, redis.RedisError) as exc:
        report = SchedulerStatus(status="failing", checked_at=now, error=str(exc))
    if report.error:
        reason = f"the scheduler is unreadable: {report.error}"
        return Check(Status.FAILING, {"error": report.error}, reason, judged=False)
    groups = report.groups
    failing = {group: report for group, report in groups.items() if report.status == "failing"}
    if not failing:
        return Check(Status.OK)
    reason = "; ".join(f"the {group} refresh group: {r.reason}" for group, r in failing.items())
    return Check(Status.FAILING, {"groups": sorted(failing)}, reason)


def check_intake(*, now: datetime) -> Check:
    try:
        hour = intake_status(now=now).last_hour
    except (DatabaseError, redis.RedisError) as exc:
        reason = f"the intake is unreadable: {exc}"
        return Check(Status.FAILING, {"error": str(exc)}, reason, judged=False)
    if not hour.below_target or hour.coverage is None:
        return Check(Status.OK)
    shown = ", ".join(hour.missed_mints[:5]) + (", ..." if hour.missed > 5 else "")
    reason = (
        f"the feed delivered {hour.heard_by_feed} of {hour.on_chain} migrations seen on chain "
        f"in the last hour ({hour.coverage:.1%}, under {MIN_COVERAGE:.0%}); missed: {shown}"
    )
    details = {"on_chain": hour.on_chain, "heard_by_feed": hour.heard_by_feed}
    return Check(Status.DEGRADED, details, reason)


def watched_checks(*, now: datetime | None = None) -> dict[str, Check]:
    """/health's dependencies and the scheduler's and intake's judgements, with their since."""
    now = now or timezone.now()
    checks = health_checks(now=now)
    scheduler = check_scheduler(now=now)
    if not checks["workers"].ok and not scheduler.ok:  # nothing refreshes without a worker
        scheduler = dataclasses.replace(scheduler, judged=False)
    extra = {"scheduler": scheduler, "intake": check_intake(now=now)}
    return {**checks, **dependencies_record(extra, now=now)}


class Watchdog:
    """Tells each status change once. Keeps in memory what it told, and since when it saw each
    status, for the checks it makes while the database is down."""

    def __init__(self, *, webhook_url: str | None = None) -> None:
        self.webhook_url = settings.ALERT_WEBHOOK_URL if webhook_url is None else webhook_url
        self.told: dict[str, str] = {}
        self.seen: dict[str, tuple[str, datetime]] = {}
        self._locked = False

    def check(self, *, now: datetime | None = None) -> list[Alert]:
        """One round: the alerts delivered (none when another watchdog holds the lock)."""
        now = now or timezone.now()
        checks = watched_checks(now=now)
        if not self._sender():
            return []
        self._recall()
        delivered = []
        for name, check in checks.items():
            if not check.judged:  # its source is down: that source is what is told
                continue
            seen_status, seen_since = self.seen.get(name, (None, now))
            if seen_status != check.status:
                seen_since = now
            self.seen[name] = (check.status, seen_since)
            previous = self.told.get(name, Status.OK)
            lasted = now - (check.since or seen_since)
            if check.status == previous or lasted < timedelta(seconds=ALERT_GRACE_SECONDS):
                continue
            alert = Alert(name, check.status, previous, check.reason, check.since, check.details)
            if self.deliver(alert, now=now):
                self.told[name] = check.status
                self._remember(alert, now=now)
                delivered.append(alert)
        return delivered

    def deliver(self, alert: Alert, *, now: datetime) -> bool:
        level = LOG_LEVELS.get(Status(alert.status), logging.INFO)
        logger.log(
            level,
            "ALERT %s",
            alert.message,
            extra={"alert": alert.dependency, "alert_status": alert.status},
        )
        if self.webhook_url and not webhook_post(self.webhook_url, alert_payload(alert, now=now)):
            return False
        counter_add("moon_alerts", kind="resolved" if alert.resolved else alert.status)
        return True

    def _sender(self) -> bool:
        """Whether this watchdog sends: it holds the advisory lock (PostgreSQL), or nothing
        can say otherwise (SQLite, or the database is down)."""
        if connection.vendor != "postgresql" or self._locked:
            return True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK])
                self._locked = bool(cursor.fetchone()[0])
        except DatabaseError:
            return True
        return self._locked

    def _recall(self) -> None:
        """What was told, as the database remembers it (a restarted watchdog repeats nothing)."""
        try:
            rows = Dependency.objects.values_list("name", "alerted_status")
            self.told.update(dict(rows))
        except DatabaseError:
            self._locked = False  # the session (and its lock) may be gone: take it again
            connection.close_if_unusable_or_obsolete()

    def _remember(self, alert: Alert, *, now: datetime) -> None:
        try:
            Dependency.objects.filter(name=alert.dependency).update(
                alerted_status=alert.status, alerted_at=now
            )
        except DatabaseError:
            logger.warning("alert for %s told but not recorded: database down", alert.dependency)


def alert_payload(alert: Alert, *, now: datetime) -> dict[str, Any]:
    """The webhook body; `text` makes it readable by Slack-style incoming webhooks as is."""
    return {
        "source": "moon",
        "app_env": settings.APP_ENV,
        "dependency": alert.dependency,
        "status": alert.status,
        "previous": alert.previous,
        "resolved": alert.resolved,
        "severity": "info"
        if alert.resolved
        else "error"
        if alert.status == "failing"
        else "warning",
        "message": alert.message,
        "reason": alert.reason,
        "since": alert.since,
        "details": alert.details,
        "sent_at": now,
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

"""Alerts: the rules evaluated on each batch of events, and their deliveries.

`events_received` runs in the process that wrote the events, right after their transaction
committed (moon.lib.events): the enabled rules are matched against them, each match not in its
cooldown becomes an AlertDelivery (one per rule and event: a replayed event adds none), and
each delivery is queued for `push.deliver`.

`delivery_send` sends one delivery. It claims the row first (status `sending`, for
settings.PUSH_CLAIM_SECONDS), so a task run twice (a redelivered message after a worker died,
a retry and a replay) sends a delivery at most once while the claim holds and never once it is
`sent`.
A failure is retried with backoff up to MAX_ATTEMPTS, then the delivery is `failed`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from moon.lib.events import Event
from moon.lib.queue import QueueUnavailable, task_send
from moon.push.channels import ChannelError, send_apprise, send_webhook
from moon.push.models import AlertDelivery, AlertRule
from moon.push.rules import Rule, rule_fires

logger = logging.getLogger(__name__)

DELIVER_TASK = "push.deliver"
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (2, 10, 30, 120)  # before the 2nd, 3rd, 4th and 5th attempts
TITLES = {
    "migration": "migrated",
    "hot": "is hot",
    "score_at_least": "reached {threshold:g}",
    "rugged": "is flagged rugged",
    "risk_flag": "got risk flags: {added}",
}


def events_received(sender: object = None, events: Sequence[Event] = (), **kwargs: Any) -> None:
    """The events_published receiver: deliveries for the rules the events fire."""
    try:
        deliveries_create(events)
    except DatabaseError as exc:
        logger.error("alerts: %d events not evaluated, database unavailable: %s", len(events), exc)


def deliveries_create(events: Sequence[Event], *, now: datetime | None = None) -> list[int]:
    """Create and queue the deliveries of `events` for every enabled rule they fire; their ids."""
    if not events:
        return []
    rules = list(AlertRule.objects.filter(enabled=True))
    if not rules:
        return []
    now = now or timezone.now()
    created: list[int] = []
    for rule in rules:
        matcher = Rule(
            rule.event,
            rule.threshold,
            rule.flags,
            rule.min_liquidity_usd,
            rule.max_age_minutes,
            rule.exclude_flags,
        )
        for event in events:
            if rule_fires(matcher, event, now=now) and not _cooling(rule, event, now):
                delivery = _delivery(rule, event)
                if delivery is not None:
                    created.append(delivery.pk)
    for pk in created:
        delivery_queue(pk)
    return created


def delivery_test(rule: AlertRule) -> AlertDelivery:
    """A test alert for `rule`, queued like any other; the delivery (its log row)."""
    now = time.time()
    event = Event(
        "test",
        "",
        {"message": "A test alert from moon: this channel works."},
        id=f"test-{time.time_ns()}",
        at=now,
    )
    delivery = _delivery(rule, event, alert="test")
    assert delivery is not None
    delivery_queue(delivery.pk)
    return delivery


def delivery_queue(pk: int, *, countdown: float | None = None) -> None:
    try:
        task_send(DELIVER_TASK, pk, countdown=countdown)
    except QueueUnavailable as exc:
        # The delivery stays pending; queueing it again (admin, the page) sends it.
        logger.error("alert delivery %s not queued: %s", pk, exc)


def delivery_send(pk: int) -> str:
    """Send delivery `pk` unless it is sent, failed, or claimed by another run; its status."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            AlertDelivery.objects.select_for_update().select_related("rule").filter(pk=pk).first()
        )
        if delivery is None:
            return "gone"
        claimed = delivery.status == AlertDelivery.Status.SENDING
        if claimed and delivery.claimed_until and delivery.claimed_until > now:
            # Another run holds it (or held it when its worker died): look again after.
            wait = (delivery.claimed_until - now).total_seconds() + 1
            delivery_queue(pk, countdown=max(1.0, wait))
            return str(delivery.status)
        if delivery.status in (AlertDelivery.Status.SENT, AlertDelivery.Status.FAILED):
            return str(delivery.status)
        delivery.status = AlertDelivery.Status.SENDING
        delivery.attempts += 1
        delivery.claimed_until = now + timedelta(seconds=settings.PUSH_CLAIM_SECONDS)
        delivery.save(update_fields=["status", "attempts", "claimed_until"])
    rule = delivery.rule
    try:
        if rule.channel == AlertRule.Channel.WEBHOOK:
            send_webhook(rule.url, rule.secret, delivery.payload, delivery=str(delivery.pk))
        else:
            send_apprise(rule.url, delivery.title, delivery.payload["message"])
    except ChannelError as exc:
        return _failed(delivery, str(exc))
    sent_at = timezone.now()
    latency = max(0, round((sent_at - delivery.event_at).total_seconds() * 1000))
    AlertDelivery.objects.filter(pk=pk).update(
        status=AlertDelivery.Status.SENT, sent_at=sent_at, latency_ms=latency, error=""
    )
    logger.info("alert %s sent: %s (%d ms)", pk, delivery.title, latency)
    return AlertDelivery.Status.SENT


def _failed(delivery: AlertDelivery, error: str) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        status = AlertDelivery.Status.FAILED
        logger.warning(
            "alert %s failed after %d attempts: %s", delivery.pk, delivery.attempts, error
        )
    else:
        status = AlertDelivery.Status.RETRYING
        wait = BACKOFF_SECONDS[min(delivery.attempts, len(BACKOFF_SECONDS)) - 1]
        logger.info(
            "alert %s attempt %d failed (%s): again in %ds",
            delivery.pk,
            delivery.attempts,
            error,
            wait,
        )
    AlertDelivery.objects.filter(pk=delivery.pk).update(status=status, error=error[:2000])
    if status == AlertDelivery.Status.RETRYING:
        delivery_queue(delivery.pk, countdown=wait)
    return str(status)


def _cooling(rule: AlertRule, event: Event, now: datetime) -> bool:
    """The rule told this token's event within its cooldown (another event than this one)."""
    since = now - timedelta(minutes=rule.cooldown_minutes)
    return (
        AlertDelivery.objects.filter(
            rule=rule, mint=event.mint, event=rule.event, created_at__gte=since
        )
        .exclude(event_id=event.id)
        .exists()
    )


def _delivery(rule: AlertRule, event: Event, *, alert: str | None = None) -> AlertDelivery | None:
    """The rule's delivery of `event`, created; None when it exists already (a replay)."""
    alert = alert or rule.event
    title, message = _text(rule, event, alert)
    payload = {
        "alert": alert,
        "rule": {"id": rule.pk, "name": rule.name},
        "title": title,
        "message": message,
        "event": event.as_dict(),
    }
    delivery, created = AlertDelivery.objects.get_or_create(
        rule=rule,
        event_id=event.id,
        defaults={
            "event": alert,
            "mint": event.mint,
            "title": title[:200],
            "payload": payload,
            "event_at": datetime.fromtimestamp(event.at, tz=UTC),
        },
    )
    return delivery if created else None


def _text(rule: AlertRule, event: Event, alert: str) -> tuple[str, str]:
    if alert == "test":
        return f"moon: test of {rule.name}", str(event.data["message"])
    token = event.data.get("token") or {}
    name = token.get("symbol") or event.mint[:8]
    what = TITLES[alert].format(
        threshold=rule.threshold or 0, added=", ".join(event.data.get("added", ()))
    )
    title = f"moon: {name} {what}"
    lines = [f"{name} ({event.mint}) {what}."]
    if token.get("smoothed_score") is not None:
        lines.append(f"Score {token['smoothed_score']:.1f} (raw {token.get('score') or 0:.1f}).")
    if token.get("liquidity_usd") is not None:
        lines.append(f"Liquidity ${token['liquidity_usd']:,.0f}.")
    if token.get("flags"):
        lines.append(f"Flags: {', '.join(token['flags'])}.")
    lines.append(f"{settings.MOON_BASE_URL.rstrip('/')}/tokens/{event.mint}/")
    return title, " ".join(lines[:-1]) + "\n" + lines[-1]

"""A token's lifecycle: monitoring -> active (and back), archived when it stops mattering."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from tokens.models import Token

DEACTIVATE_AFTER_MISSES = 3

logger = logging.getLogger(__name__)


def token_apply_activation(*, token: Token, passes: bool, now: datetime) -> None:
    """Move `token` (in memory; the caller saves it) by the outcome of the activation rule.

    A monitoring token that passes becomes active; an active token that fails the rule on
    DEACTIVATE_AFTER_MISSES refreshes in a row goes back to monitoring.
    """
    if passes:
        token.activation_misses = 0
        if token.status == Token.Status.MONITORING:
            _log_transition(token, Token.Status.ACTIVE, "its pools pass the activation rule")
            token.status = Token.Status.ACTIVE
            token.activated_at = now
        return
    if token.status == Token.Status.ACTIVE:
        token.activation_misses += 1
        if token.activation_misses >= DEACTIVATE_AFTER_MISSES:
            reason = f"failed the activation rule {DEACTIVATE_AFTER_MISSES} refreshes in a row"
            _log_transition(token, Token.Status.MONITORING, reason)
            token.status = Token.Status.MONITORING
            token.activation_misses = 0


@dataclass(frozen=True)
class ArchivalRule:
    """The thresholds of archival, from the scoring settings in force."""

    monitoring_timeout_hours: float
    archive_below_hours: float
    min_score: float


def tokens_archive(*, rule: ArchivalRule, recently_hot: QuerySet[Any], now: datetime) -> int:
    """Archive monitoring tokens past monitoring_timeout_hours and active tokens that were
    not hot during the last archive_below_hours (`recently_hot`: the ids of those that were).
    Returns how many.

    A token being refreshed is left for the next run: its lease is live, or its row is locked
    by the refresh writing it. Rows are taken with SKIP LOCKED and the transition is written
    only while the status is still the one that was judged.
    """
    monitoring_since = now - timedelta(hours=rule.monitoring_timeout_hours)
    quiet_since = now - timedelta(hours=rule.archive_below_hours)
    stale_monitoring = Q(status=Token.Status.MONITORING, created_at__lt=monitoring_since)
    quiet_active = Q(status=Token.Status.ACTIVE, activated_at__lt=quiet_since) & ~Q(
        pk__in=recently_hot
    )
    not_leased = Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now)
    reasons = {
        Token.Status.MONITORING: f"monitoring for over {rule.monitoring_timeout_hours}h",
        Token.Status.ACTIVE: (
            f"no smoothed score >= {rule.min_score} in {rule.archive_below_hours}h"
        ),
    }
    with transaction.atomic():
        candidates = list(
            Token.objects.filter(stale_monitoring | quiet_active)
            .filter(not_leased)
            .order_by("pk")
            .select_for_update(skip_locked=True)
        )
        for token in candidates:
            _log_transition(token, Token.Status.ARCHIVED, reasons[Token.Status(token.status)])
        return (
            Token.objects.filter(pk__in=[t.pk for t in candidates])
            .filter(stale_monitoring | quiet_active)
            .filter(not_leased)
            .update(status=Token.Status.ARCHIVED, archived_at=now)
        )


def _log_transition(token: Token, to: str, reason: str) -> None:
    """Log a move of `token` (still in its old status) to `to`."""
    logger.info(
        "token %s: %s -> %s (%s)",
        token.mint_address,
        token.status,
        to,
        reason,
        extra={
            "mint": token.mint_address,
            "from_status": token.status,
            "to_status": to,
            "reason": reason,
        },
    )

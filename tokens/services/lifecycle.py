"""A token's lifecycle: monitoring -> active (and back), archived when it stops mattering."""

import logging
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from scoring.models import ScoringSettings, TokenScore
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


def tokens_archive(*, settings: ScoringSettings, now: datetime) -> int:
    """Archive monitoring tokens past monitoring_timeout_hours and active tokens with no
    smoothed score >= min_score during the last archive_below_hours. Returns how many."""
    monitoring_since = now - timedelta(hours=settings.monitoring_timeout_hours)
    quiet_since = now - timedelta(hours=settings.archive_below_hours)
    recently_hot = TokenScore.objects.filter(
        token=OuterRef("pk"), created_at__gte=quiet_since, smoothed_score__gte=settings.min_score
    )
    stale_monitoring = Q(status=Token.Status.MONITORING, created_at__lt=monitoring_since)
    quiet_active = Q(status=Token.Status.ACTIVE, activated_at__lt=quiet_since) & ~Exists(
        recently_hot
    )
    reasons = {
        Token.Status.MONITORING: f"monitoring for over {settings.monitoring_timeout_hours}h",
        Token.Status.ACTIVE: (
            f"no smoothed score >= {settings.min_score} in {settings.archive_below_hours}h"
        ),
    }
    archived = list(Token.objects.filter(stale_monitoring | quiet_active))
    for token in archived:
        _log_transition(token, Token.Status.ARCHIVED, reasons[Token.Status(token.status)])
    return Token.objects.filter(pk__in=[t.pk for t in archived]).update(
        status=Token.Status.ARCHIVED, archived_at=now
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

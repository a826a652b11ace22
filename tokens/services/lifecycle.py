"""A token's lifecycle: monitoring -> active (and back), archived when it stops mattering."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from scoring.models import ScoringSettings, TokenScore
from tokens.models import Token

DEACTIVATE_AFTER_MISSES = 3


def token_apply_activation(*, token: Token, passes: bool, now: datetime) -> None:
    """Move `token` (in memory; the caller saves it) by the outcome of the activation rule.

    A monitoring token that passes becomes active; an active token that fails the rule on
    DEACTIVATE_AFTER_MISSES refreshes in a row goes back to monitoring.
    """
    if passes:
        token.activation_misses = 0
        if token.status == Token.Status.MONITORING:
            token.status = Token.Status.ACTIVE
            token.activated_at = now
        return
    if token.status == Token.Status.ACTIVE:
        token.activation_misses += 1
        if token.activation_misses >= DEACTIVATE_AFTER_MISSES:
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
    return Token.objects.filter(stale_monitoring | quiet_active).update(
        status=Token.Status.ARCHIVED, archived_at=now
    )

"""Archival by the scoring settings in force: tokens that stopped mattering stop being refreshed."""

from datetime import datetime, timedelta

from scoring.models import ScoringSettings, TokenScore
from tokens.services.lifecycle import ArchivalRule, tokens_archive


def tokens_archive_due(*, settings: ScoringSettings, now: datetime) -> int:
    """Archive what the lifecycle rule says, with "hot lately" judged from the snapshots."""
    quiet_since = now - timedelta(hours=settings.archive_below_hours)
    recently_hot = TokenScore.objects.filter(
        created_at__gte=quiet_since, smoothed_score__gte=settings.min_score
    ).values("token_id")
    rule = ArchivalRule(
        monitoring_timeout_hours=settings.monitoring_timeout_hours,
        archive_below_hours=settings.archive_below_hours,
        min_score=settings.min_score,
    )
    return tokens_archive(rule=rule, recently_hot=recently_hot, now=now)

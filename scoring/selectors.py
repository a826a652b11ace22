"""Reads for the refresh scheduler."""

from datetime import datetime, timedelta

from django.utils import timezone

from scoring.models import ScoringSettings
from tokens.models import Token, TokenQuerySet

GROUPS = ("hot", "cold")


def tokens_in_group(group: str, *, settings: ScoringSettings | None = None) -> TokenQuerySet:
    """hot: smoothed score >= min_score; cold: every other refreshable token; all: both."""
    settings = settings or ScoringSettings.objects.active()
    if group == "hot":
        return Token.objects.hot(settings.min_score)
    if group == "cold":
        return Token.objects.cold(settings.min_score)
    if group == "all":
        return Token.objects.refreshable()
    raise ValueError(f"unknown group {group!r}: use hot, cold or all")


def group_interval(group: str, settings: ScoringSettings) -> int:
    return settings.hot_interval_sec if group == "hot" else settings.cold_interval_sec


def token_ids_for_group(group: str) -> list[int]:
    return list(tokens_in_group(group).order_by("pk").values_list("pk", flat=True))


def due_before(group: str, settings: ScoringSettings, now: datetime | None = None) -> datetime:
    """Tokens last refreshed before this are due. A little slack keeps a beat that fires a
    moment early from skipping a whole interval."""
    now = now or timezone.now()
    interval = group_interval(group, settings)
    return now - timedelta(seconds=interval - min(5.0, interval * 0.2))

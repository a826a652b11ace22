"""Snapshot retention: the table stays bounded whatever the age of the system."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Value, Window
from django.db.models.functions import ExtractMinute, Floor, RowNumber, TruncHour

from scoring.models import ScoringSettings, TokenScore

THIN_TO_MINUTES = 10
DELETE_AFTER_FACTOR = 4
CHUNK = 5000


@dataclass(frozen=True)
class PruneReport:
    thinned: int
    deleted: int


def snapshots_prune(*, settings: ScoringSettings, now: datetime) -> PruneReport:
    """Snapshots older than snapshot_retention_days keep one per token per 10 minutes (the
    newest of each slot); those older than 4x that are deleted."""
    thin_before = now - timedelta(days=settings.snapshot_retention_days)
    delete_before = now - timedelta(days=settings.snapshot_retention_days * DELETE_AFTER_FACTOR)
    deleted, _ = TokenScore.objects.filter(created_at__lt=delete_before).delete()
    ranked = (
        TokenScore.objects.filter(created_at__gte=delete_before, created_at__lt=thin_before)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[
                    F("token_id"),
                    TruncHour("created_at"),
                    # EXTRACT answers numeric on PostgreSQL: without Floor, 12:07 / 10 = 0.7
                    # would make each minute a slot of its own.
                    Floor(ExtractMinute("created_at") / Value(THIN_TO_MINUTES)),
                ],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__gt=1)
    )
    extra = list(ranked.values_list("id", flat=True))
    for start in range(0, len(extra), CHUNK):
        TokenScore.objects.filter(pk__in=extra[start : start + CHUNK]).delete()
    return PruneReport(thinned=len(extra), deleted=deleted)

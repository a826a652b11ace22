"""Which tokens a group refresh takes: the due ones, leased so nobody refreshes them twice."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ingestion.clients.dexscreener import BATCH_SIZE as DEXSCREENER_BATCH_SIZE
from scoring.models import ScoringSettings
from scoring.selectors import due_before, tokens_in_group

BATCH_SIZE = DEXSCREENER_BATCH_SIZE  # one batch is one DexScreener request
LEASE_SECONDS = 150  # longer than a batch task's time limit: an expired lease means a lost batch


def tokens_lease_due(*, group: str, now: datetime | None = None) -> list[list[int]]:
    """Lease the due tokens of `group` and return their ids in batches of BATCH_SIZE.

    A token is due when it was not refreshed within its group's interval; a leased token is
    skipped until its lease ends, so overlapping beats never pile up work on the same token.
    """
    now = now or timezone.now()
    settings = ScoringSettings.objects.active()
    with transaction.atomic():
        due = (
            tokens_in_group(group, settings=settings)
            .filter(
                Q(last_updated_at__isnull=True)
                | Q(last_updated_at__lt=due_before(group, settings, now))
            )
            .filter(Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now))
            .select_for_update(skip_locked=True)
            .order_by("last_updated_at", "pk")
        )
        ids = list(due.values_list("pk", flat=True))
        due.model.objects.filter(pk__in=ids).update(
            refresh_lease_until=now + timedelta(seconds=LEASE_SECONDS)
        )
    return [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]

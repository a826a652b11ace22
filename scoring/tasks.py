"""Celery tasks: thin wrappers that load ids and call one service."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from ingestion.services import dexscreener_client
from scoring.models import ScoringSettings
from scoring.services.refresh import tokens_refresh
from scoring.services.retention import snapshots_prune
from scoring.services.schedule import tokens_lease_due

logger = logging.getLogger(__name__)


@shared_task(name="scoring.refresh_group", ignore_result=True, time_limit=60, soft_time_limit=50)
def refresh_group(group: str) -> int:
    """Fan the due tokens of `group` out as one refresh_batch task per 30 mints."""
    if not settings.SCHEDULER_ENABLED:
        return 0
    batches = tokens_lease_due(group=group)
    for ids in batches:
        refresh_batch.delay(ids, group=group)
    return sum(len(ids) for ids in batches)


@shared_task(
    name="scoring.refresh_batch",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=3,
    time_limit=120,
    soft_time_limit=100,
)
def refresh_batch(token_ids: list[int], group: str = "manual") -> dict[str, int]:
    """Fetch, score and store up to 30 tokens. Idempotent: a redelivered batch writes a new
    snapshot, never a half one (one transaction)."""
    report = tokens_refresh(token_ids=token_ids, fetcher=dexscreener_client())
    logger.info(
        "refreshed %d %s tokens",
        report.tokens,
        group,
        extra={"group": group, "outcomes": dict(report.outcomes), "requests": report.requests},
    )
    return {"tokens": report.tokens, **report.outcomes}


@shared_task(name="scoring.prune_snapshots", ignore_result=True, time_limit=1800)
def prune_snapshots() -> dict[str, int]:
    report = snapshots_prune(settings=ScoringSettings.objects.active(), now=timezone.now())
    return {"thinned": report.thinned, "deleted": report.deleted}

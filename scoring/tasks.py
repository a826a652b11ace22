"""Celery tasks: thin wrappers that load ids and call one service."""

import logging
import time
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from scoring.models import ScoringSettings
from scoring.services.archival import tokens_archive_due
from scoring.services.dexscreener import dexscreener_client
from scoring.services.enqueue import RECALCULATE, REFRESH_BATCH
from scoring.services.monitoring import (
    batch_failure_record,
    batch_success_record,
    group_run_record,
)
from scoring.services.recalculate import tokens_recalculate
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
    group_run_record(group=group, leased=sum(len(ids) for ids in batches))
    for ids in batches:
        refresh_batch.delay(ids, group=group)
    return sum(len(ids) for ids in batches)


# A database restart must not cost the batch: its tokens stay leased (LEASE_SECONDS, 150 s) to
# it, so a batch given up would leave them unrefreshed until the lease ends. Retries after 2, 4,
# 8, 16 and 30 s span a minute, well inside the lease; no jitter, so that minute is certain
# (the herd is bounded by the workers' concurrency anyway).
@shared_task(
    name=REFRESH_BATCH,
    ignore_result=True,
    autoretry_for=(ConnectionError, TimeoutError, OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=30,
    retry_jitter=False,
    max_retries=5,
    time_limit=120,
    soft_time_limit=100,
)
def refresh_batch(token_ids: list[int], group: str = "manual") -> dict[str, int]:
    """Fetch, score and store up to 30 tokens. Idempotent: a redelivered batch writes a new
    snapshot, never a half one (one transaction)."""
    started = time.monotonic()
    try:
        report = tokens_refresh(token_ids=token_ids, fetcher=dexscreener_client())
    except Exception as exc:
        batch_failure_record(group=group, error=exc, seconds=time.monotonic() - started)
        raise
    batch_success_record(group=group, report=report)
    logger.info(
        "refreshed %d %s tokens",
        report.tokens,
        group,
        extra={"group": group, "outcomes": dict(report.outcomes), "requests": report.requests},
    )
    return {"tokens": report.tokens, **report.outcomes}


@shared_task(name="scoring.archive_tokens", time_limit=120)
def archive_tokens() -> int:
    return tokens_archive_due(settings=ScoringSettings.objects.active(), now=timezone.now())


@shared_task(name="scoring.prune_snapshots", ignore_result=True, time_limit=1800)
def prune_snapshots() -> dict[str, int]:
    report = snapshots_prune(settings=ScoringSettings.objects.active(), now=timezone.now())
    return {"thinned": report.thinned, "deleted": report.deleted}


@shared_task(name=RECALCULATE, bind=True, time_limit=3600, soft_time_limit=3500)
def recalculate(self: "Task[Any, Any]") -> dict[str, int | None]:
    """Re-score every refreshable token from its stored metrics; PROGRESS carries done/total."""

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    report = tokens_recalculate(progress=progress)
    logger.info(
        "recalculated %d tokens (%d skipped) with settings v%s",
        report.rescored,
        report.skipped,
        report.settings_version,
    )
    return {
        "tokens": report.tokens,
        "rescored": report.rescored,
        "skipped": report.skipped,
        "settings_version": report.settings_version,
    }

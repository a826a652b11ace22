"""Celery tasks of intake: thin wrappers around one service each."""

from typing import Any

from celery import shared_task

from ingestion.services.creations import intake_prune
from ingestion.services.reconcile import RECONCILE_TASK, migrations_reconcile
from ingestion.services.risk import RISK_TASK, risk_check_due

# A run stops on its own well inside the task's limits, its progress kept for the next one;
# the schedule runs every 10 minutes, and a run still going then makes the next one a no-op.
RUN_SECONDS = 420
# A risk run works through what is due for up to this long; the schedule sends one every 5 s.
RISK_RUN_SECONDS = 50


@shared_task(name=RECONCILE_TASK, ignore_result=True, time_limit=600, soft_time_limit=540)
def reconcile_migrations() -> dict[str, Any]:
    """Register the migrations on chain the feed missed (see ingestion.services.reconcile)."""
    return migrations_reconcile(deadline_seconds=RUN_SECONDS).to_json()


@shared_task(name="ingestion.prune_intake", ignore_result=True, time_limit=600)
def prune_intake() -> dict[str, int]:
    report = intake_prune()
    return {"creations": report.creations, "chain_migrations": report.chain_migrations}


@shared_task(name=RISK_TASK, ignore_result=True, time_limit=120, soft_time_limit=100)
def check_risk() -> dict[str, Any]:
    """Read the risk of the tokens due (see ingestion.services.risk); a run still going makes
    the next one a no-op."""
    return risk_check_due(deadline_seconds=RISK_RUN_SECONDS).to_json()

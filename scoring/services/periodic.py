"""The beat schedule, declared in code and synced into django-celery-beat's tables."""

import json
from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from scoring.models import ScoringSettings

MANAGED_PREFIX = "moon: "


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    every_seconds: int
    args: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return MANAGED_PREFIX + self.name


def declared_tasks(settings: ScoringSettings) -> list[Periodic]:
    return [
        Periodic(
            "refresh hot tokens", "scoring.refresh_group", settings.hot_interval_sec, ("hot",)
        ),
        Periodic(
            "refresh cold tokens", "scoring.refresh_group", settings.cold_interval_sec, ("cold",)
        ),
        Periodic("archive tokens", "scoring.archive_tokens", 300),
        Periodic("thin old snapshots", "scoring.prune_snapshots", 3600),
        Periodic("reconcile migrations", "ingestion.reconcile_migrations", 600),
        Periodic("prune intake", "ingestion.prune_intake", 3600),
        Periodic("check risk", "ingestion.check_risk", 5),
    ]


@transaction.atomic
def periodic_tasks_sync() -> tuple[int, int]:
    """Create or update every declared task and remove stale moon entries.

    Idempotent; entries that operators added themselves (without the prefix) are left alone.
    Returns (kept or written, removed).
    """
    declared = declared_tasks(ScoringSettings.objects.active())
    for item in declared:
        schedule, _ = IntervalSchedule.objects.get_or_create(
            every=item.every_seconds, period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.update_or_create(
            name=item.full_name,
            defaults={
                "task": item.task,
                "interval": schedule,
                "args": json.dumps(list(item.args)),
                "enabled": True,
            },
        )
    stale = PeriodicTask.objects.filter(name__startswith=MANAGED_PREFIX).exclude(
        name__in=[item.full_name for item in declared]
    )
    removed, _ = stale.delete()
    return len(declared), removed

"""The beat schedule, declared in code and synced into django-celery-beat."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from scoring.services.periodic import periodic_tasks_sync
from scoring.services.settings import scoring_settings_save

pytestmark = pytest.mark.django_db

DECLARED = [
    ("moon: archive tokens", "scoring.archive_tokens", 300, []),
    ("moon: check risk", "ingestion.check_risk", 5, []),
    ("moon: prune intake", "ingestion.prune_intake", 3600, []),
    ("moon: reconcile migrations", "ingestion.reconcile_migrations", 600, []),
    ("moon: refresh cold tokens", "scoring.refresh_group", 120, ["cold"]),
    ("moon: refresh hot tokens", "scoring.refresh_group", 30, ["hot"]),
    ("moon: thin old snapshots", "scoring.prune_snapshots", 3600, []),
]


def schedule() -> list[tuple[str, str, int, list[str]]]:
    return [
        (task.name, task.task, task.interval.every, json.loads(task.args))
        for task in PeriodicTask.objects.select_related("interval").order_by("name")
        if task.interval is not None and task.interval.period == IntervalSchedule.SECONDS
    ]


def test_it_writes_every_declared_task() -> None:
    result = periodic_tasks_sync()

    assert result == (7, 0)
    assert schedule() == DECLARED
    assert set(PeriodicTask.objects.values_list("enabled", flat=True)) == {True}


def test_it_is_idempotent() -> None:
    periodic_tasks_sync()
    ids = sorted(PeriodicTask.objects.values_list("id", flat=True))

    result = periodic_tasks_sync()

    assert result == (7, 0)
    assert sorted(PeriodicTask.objects.values_list("id", flat=True)) == ids
    assert schedule() == DECLARED
    assert IntervalSchedule.objects.count() == 6


def test_it_removes_stale_moon_entries_and_leaves_operator_entries() -> None:
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="moon: retired task", task="scoring.old", interval=every_minute
    )
    PeriodicTask.objects.create(name="nightly report", task="ops.report", interval=every_minute)

    result = periodic_tasks_sync()

    assert result == (7, 1)
    assert schedule() == [*DECLARED, ("nightly report", "ops.report", 60, [])]


def test_it_puts_back_what_an_operator_changed_in_a_moon_entry() -> None:
    periodic_tasks_sync()
    PeriodicTask.objects.filter(name="moon: prune intake").update(
        enabled=False, args=json.dumps(["x"])
    )

    periodic_tasks_sync()

    task = PeriodicTask.objects.get(name="moon: prune intake")
    assert (task.enabled, json.loads(task.args)) == (True, [])


def test_it_follows_a_settings_change_of_the_intervals(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    periodic_tasks_sync()

    with django_capture_on_commit_callbacks(execute=True):
        scoring_settings_save(changes={"hot_interval_sec": 15, "cold_interval_sec": 90})

    assert schedule() == [
        ("moon: archive tokens", "scoring.archive_tokens", 300, []),
        ("moon: check risk", "ingestion.check_risk", 5, []),
        ("moon: prune intake", "ingestion.prune_intake", 3600, []),
        ("moon: reconcile migrations", "ingestion.reconcile_migrations", 600, []),
        ("moon: refresh cold tokens", "scoring.refresh_group", 90, ["cold"]),
        ("moon: refresh hot tokens", "scoring.refresh_group", 15, ["hot"]),
        ("moon: thin old snapshots", "scoring.prune_snapshots", 3600, []),
    ]


def test_the_command_reports_what_it_did(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")

    assert capsys.readouterr().out.splitlines() == [
        "7 periodic tasks in place, 0 stale removed",
        "7 periodic tasks in place, 0 stale removed",
    ]

"""Retention: old snapshots thinned to one per token per 10 minutes, very old ones deleted."""

from datetime import UTC, datetime, timedelta

import pytest

from scoring.models import ScoringSettings, TokenScore
from scoring.services.retention import snapshots_prune
from scoring.tasks import prune_snapshots
from tests.factories import TokenFactory, TokenScoreFactory
from tokens.models import Token

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
THIN_BEFORE = NOW - timedelta(days=14)  # snapshot_retention_days' default
DELETE_BEFORE = NOW - timedelta(days=56)  # 4x that


def snapshots_at(token: Token, base: datetime, *minutes: float) -> list[TokenScore]:
    return [TokenScoreFactory(token=token, created_at=base + timedelta(minutes=m)) for m in minutes]


def kept(token: Token) -> list[datetime]:
    return sorted(TokenScore.objects.filter(token=token).values_list("created_at", flat=True))


def test_old_snapshots_keep_the_newest_of_each_ten_minute_slot_per_token() -> None:
    token, other = TokenFactory(), TokenFactory()
    base = NOW - timedelta(days=20)  # 12:00, a slot boundary
    snapshots_at(token, base, 1, 5, 9.5, 10, 15, 20, 59, 61)
    snapshots_at(other, base, 3)

    report = snapshots_prune(settings=ScoringSettings(), now=NOW)

    assert kept(token) == [base + timedelta(minutes=m) for m in (9.5, 15, 20, 59, 61)]
    assert kept(other) == [base + timedelta(minutes=3)]
    assert (report.thinned, report.deleted) == (3, 0)


def test_snapshots_older_than_four_retentions_are_deleted() -> None:
    token = TokenFactory()
    snapshots_at(token, DELETE_BEFORE - timedelta(minutes=30), 0, 1, 2)
    snapshots_at(token, DELETE_BEFORE, 0, 1)  # on the line: thinned, not deleted

    report = snapshots_prune(settings=ScoringSettings(), now=NOW)

    assert kept(token) == [DELETE_BEFORE + timedelta(minutes=1)]
    assert (report.thinned, report.deleted) == (1, 3)


def test_snapshots_newer_than_the_retention_are_untouched() -> None:
    token = TokenFactory()
    recent = snapshots_at(token, NOW - timedelta(days=1), 0, 1, 2, 3)
    on_the_line = snapshots_at(token, THIN_BEFORE, 0, 0.5)  # not older than the retention

    report = snapshots_prune(settings=ScoringSettings(), now=NOW)

    assert kept(token) == sorted(s.created_at for s in recent + on_the_line)
    assert (report.thinned, report.deleted) == (0, 0)


def test_the_retention_follows_the_settings() -> None:
    token = TokenFactory()
    snapshots_at(token, NOW - timedelta(days=3), 0, 1)
    snapshots_at(token, NOW - timedelta(days=9), 0)

    report = snapshots_prune(settings=ScoringSettings(snapshot_retention_days=2), now=NOW)

    assert kept(token) == [NOW - timedelta(days=3) + timedelta(minutes=1)]
    assert (report.thinned, report.deleted) == (1, 1)


def test_pruning_twice_changes_nothing_more() -> None:
    token = TokenFactory()
    snapshots_at(token, NOW - timedelta(days=20), 0, 1, 2)
    snapshots_prune(settings=ScoringSettings(), now=NOW)

    report = snapshots_prune(settings=ScoringSettings(), now=NOW)

    assert kept(token) == [NOW - timedelta(days=20) + timedelta(minutes=2)]
    assert (report.thinned, report.deleted) == (0, 0)


def test_the_task_prunes_with_the_active_settings() -> None:
    token = TokenFactory()
    snapshots_at(token, datetime.now(UTC) - timedelta(days=20), 0, 0.1)
    snapshots_at(token, datetime.now(UTC) - timedelta(days=60), 0)

    assert prune_snapshots() == {"thinned": 1, "deleted": 1}
    assert TokenScore.objects.count() == 1

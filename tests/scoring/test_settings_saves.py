"""Settings saves: concurrent ones keep every change, and every number has a sane range."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from scoring.models import ScoringSettings
from scoring.services.settings import scoring_settings_save

CHANGES = [
    {"w_tx": 0.4},
    {"w_vol": 0.3},
    {"w_fresh": 0.1},
    {"w_oi": 0.2},
    {"min_score": 0.35},
    {"ewma_alpha": 0.5},
]


@pytest.mark.django_db(transaction=True)
def test_six_concurrent_saves_of_different_fields_keep_every_change() -> None:
    ScoringSettings.objects.get_or_create(version=1)
    before = ScoringSettings.objects.count()
    start = threading.Barrier(len(CHANGES))
    failures: list[BaseException] = []

    def save(changes: dict[str, float]) -> None:
        try:
            start.wait(5)
            scoring_settings_save(changes=changes)
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(c,)) for c in CHANGES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    active = ScoringSettings.objects.active()
    assert failures == []
    assert ScoringSettings.objects.count() == before + len(CHANGES)
    assert {name: getattr(active, name) for c in CHANGES for name in c} == {
        name: value for c in CHANGES for name, value in c.items()
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"w_tx": 1e308}, "w_tx"),
        ({"weight_s": 101.0}, "weight_s"),
        ({"min_pool_liquidity_usd": 1e13}, "min_pool_liquidity_usd"),
    ],
)
def test_numbers_out_of_range_are_refused(changes: dict[str, float], field: str) -> None:
    before = ScoringSettings.objects.count()

    with pytest.raises(ValidationError) as raised:
        scoring_settings_save(changes=changes)

    assert list(raised.value.message_dict) == [field]
    assert ScoringSettings.objects.count() == before

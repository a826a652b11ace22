"""The backtest on a sandbox history: the simulated stories make momentum predictive, so the
hybrid model's scores rank forward returns; with prices shuffled across time and tokens (the
scores kept), nothing is left to find.

The history (60 tokens scored every simulated minute for 2 hours through the refresh path,
see sandbox.py) is built once for this module and removed after it.
"""

from collections.abc import Iterator
from itertools import groupby
from operator import attrgetter
from random import Random

import pytest
from django.db import connection
from pytest_django import DjangoDbBlocker

from scoring.backtest.history import Window, snapshot_stream
from scoring.backtest.replay import BacktestOptions, Variant, replay_token
from scoring.backtest.services import backtest_run, current_variant
from scoring.backtest.text import short_name, spearman_verdicts
from scoring.engine import ScoringParams
from scoring.models import TokenScore
from tests.scoring.backtest.sandbox import FAIL_EVERY, MINUTES, TOKENS, build_history
from tokens.models import Pool, Token

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("backtest-sandbox")]
SNAPSHOTS = TOKENS * (MINUTES + 1)
FAILED_FETCHES = sum(1 for k in range(MINUTES + 1) if k % FAIL_EVERY == FAIL_EVERY - 1)


@pytest.fixture(scope="module")
def history(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        build_history()
    yield
    with django_db_blocker.unblock():
        TokenScore.objects.all().delete()
        Pool.objects.all().delete()
        Token.objects.all().delete()


def shuffle_prices(seed: int) -> int:
    """Shuffle every stored price_usd across all snapshots (times and tokens); the other
    metrics, hence the scores, stay. Returns how many prices moved."""
    rows = [
        (pk, price)
        for pk, price in TokenScore.objects.values_list("pk", "metrics__price_usd")
        if price is not None
    ]
    prices = [price for _, price in rows]
    Random(seed).shuffle(prices)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE token_scores AS t SET metrics = jsonb_set(t.metrics, '{price_usd}', "
            "to_jsonb(v.price)) FROM unnest(%s::bigint[], %s::float8[]) AS v(id, price) "
            "WHERE t.id = v.id",
            [[pk for pk, _ in rows], prices],
        )
    return len(rows)


def test_the_history_is_what_the_refresh_path_wrote(history: None) -> None:
    fallbacks = TokenScore.objects.filter(metrics__fallback="fallback").count()

    assert TokenScore.objects.count() == SNAPSHOTS
    assert fallbacks == FAILED_FETCHES == 17


def test_replaying_the_stored_settings_reproduces_every_stored_score(history: None) -> None:
    params = current_variant().params
    stored = list(
        TokenScore.objects.order_by("token_id", "created_at", "id").values_list(
            "score", "smoothed_score"
        )
    )

    replayed = []
    for _, rows in groupby(snapshot_stream(Window()), key=attrgetter("token_id")):
        replay = replay_token(list(rows), params)
        replayed += list(zip(replay.scores, replay.smoothed, strict=True))

    assert len(replayed) == SNAPSHOTS
    assert [s for s, _ in replayed] == pytest.approx([s for s, _ in stored], abs=1e-12)
    assert [s for _, s in replayed] == pytest.approx([s for _, s in stored], abs=1e-12)


def test_the_default_model_ranks_forward_returns(history: None) -> None:
    current = current_variant()
    run = backtest_run(variants=[current], window=Window())

    (result,) = run.results
    assert (result.label, result.params.scoring_model_active) == (
        current.label,
        ScoringParams().scoring_model_active,
    )
    assert (run.snapshots, result.tokens, result.held) == (SNAPSHOTS, TOKENS, 17)
    for horizon in result.horizons:
        assert horizon.samples > 3000
        assert (horizon.rho or 0) > 0.15, horizon
        assert (horizon.spread or 0) > 0, horizon  # the top decile outruns the rest
        assert (horizon.hit_rate or 0) > (horizon.base_rate or 1), horizon
        # Resampled by token (at most 3,000 samples, every token kept).
        assert horizon.rho_interval is not None
        assert horizon.rho_interval.low < horizon.rho < horizon.rho_interval.high
        assert horizon.interval_samples <= 3000 < horizon.samples
        assert (horizon.interval_tokens, horizon.resamples) == (horizon.tokens, 1000)
    # At every horizon the ranking holds on any draw of the tokens.
    lows = [h.rho_interval.low for h in result.horizons if h.rho_interval is not None]
    assert [low > 0 for low in lows] == [True, True, True]


def test_the_raw_score_ranks_them_too(history: None) -> None:
    run = backtest_run(
        variants=[current_variant()], window=Window(), options=BacktestOptions(signal="raw")
    )

    assert [(h.rho or 0) > 0.15 for h in run.results[0].horizons] == [True, True, True]


def test_shuffled_prices_leave_nothing_to_find(history: None) -> None:
    before = backtest_run(variants=[current_variant()], window=Window()).results[0]
    moved = shuffle_prices(seed=20260302)

    after = backtest_run(variants=[current_variant()], window=Window()).results[0]

    assert moved > 6000  # every snapshot with a price (held rows and poolless tokens have none)
    for horizon in after.horizons:
        assert horizon.rho is not None
        assert abs(horizon.rho) < 0.05, horizon
        assert horizon.rho_interval is not None
        assert horizon.rho_interval.low < 0 < horizon.rho_interval.high  # nothing to claim
    # The scores are the same: so are the tokens and snapshots each threshold flags.
    assert [(r.tokens, r.snapshots) for r in after.thresholds] == [
        (r.tokens, r.snapshots) for r in before.thresholds
    ]


def test_a_comparison_replays_both_variants_over_the_same_history(history: None) -> None:
    v1 = ScoringParams(
        scoring_model_active="hybrid_momentum", w_tx=0.25, w_vol=0.25, w_fresh=0.25, w_oi=0.25
    )
    run = backtest_run(variants=[current_variant("A"), Variant("B", v1)], window=Window())

    a, b = run.results
    assert a.snapshots == b.snapshots == SNAPSHOTS
    assert [h.samples for h in a.horizons] == [h.samples for h in b.horizons]
    # Spec v1 (its seed weights) ranks the next 5 minutes worse than the default v2, and not
    # by the luck of this history's draw.
    assert (b.horizon(5).rho or 0) < (a.horizon(5).rho or 0)
    assert spearman_verdicts(a, b, 0)[-1].endswith(f": {short_name(a.label)} ranks better")

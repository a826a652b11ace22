"""Replaying snapshots through a model and its EWMA, and the backtest loop over tokens."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scoring.backtest.replay import (
    BacktestOptions,
    SnapshotRow,
    Variant,
    backtest,
    replay_token,
)
from scoring.backtest.results import Confidence
from scoring.backtest.stats import cluster_bootstrap
from scoring.engine import Aggregation, Evaluation, EwmaState, ScoringParams, evaluate
from scoring.engine.issues import critical
from tests.scoring.backtest.builders import BUSY, BUSY_SCORE, QUIET, QUIET_SCORE, metrics, row

ROOT = Path(__file__).resolve().parents[3]
DEFAULTS = ScoringParams()
# The model the builders' scores are worked out for (the defaults have moved on to v2).
HYBRID = ScoringParams(
    scoring_model_active="hybrid_momentum", w_tx=0.25, w_vol=0.25, w_fresh=0.25, w_oi=0.25
)


def engine_scores(rows: list[SnapshotRow], params: ScoringParams) -> list[tuple[float, float]]:
    """What a refresh loop writes for these rows: evaluate() with the state it carries."""
    previous: EwmaState | None = None
    recent: list[float] = []
    out: list[tuple[float, float]] = []
    for r in rows:
        if r.fallback == "fallback":
            evaluation: Evaluation = evaluate(
                None, params, previous=previous, recent_good_smoothed=recent, fetch_error="x"
            )
        else:
            issues = (critical("wrong_type", "x"),) if r.fallback == "emergency" else ()
            aggregation = Aggregation((), r.metrics, issues, None, None, None)
            evaluation = evaluate(
                aggregation, params, previous=previous, recent_good_smoothed=recent
            )
        previous = evaluation.ewma_state()
        if evaluation.advances_ewma:
            recent = [evaluation.smoothed_score, *recent][:10]
        out.append((evaluation.score, evaluation.smoothed_score))
    return out


def test_it_replays_scores_and_the_ewma_by_hand() -> None:
    rows = [
        row(0, BUSY),
        row(60, QUIET),
        row(120, None, fallback="fallback"),
        row(180, None, fallback="emergency"),
        row(240, BUSY),
    ]

    replay = replay_token(rows, HYBRID)

    smoothed_2 = 0.3 * QUIET_SCORE + 0.7 * BUSY_SCORE  # 0.685
    fallback = 0.7 * (smoothed_2 + BUSY_SCORE) / 2  # 0.7 x mean of the good smoothed scores
    emergency = 0.5 * (smoothed_2 + BUSY_SCORE) / 2  # 0.5 x their median
    assert replay.scores == pytest.approx(
        [BUSY_SCORE, QUIET_SCORE, fallback, emergency, BUSY_SCORE]
    )
    assert replay.smoothed == pytest.approx(
        [BUSY_SCORE, smoothed_2, fallback, emergency, 0.3 * BUSY_SCORE + 0.7 * smoothed_2]
    )
    assert replay.held == 2


@pytest.mark.parametrize(
    "params",
    [
        DEFAULTS,
        ScoringParams(w_tx=1.0, w_vol=0.0, w_fresh=0.0, w_oi=2.0, ewma_alpha=0.8),
        ScoringParams(scoring_model_active="legacy", ewma_alpha=0.5),
        ScoringParams(freshness_threshold_hours=2.0),
    ],
)
def test_it_scores_exactly_as_the_engine_does(params: ScoringParams) -> None:
    rows = [
        row(0, BUSY),
        row(30, metrics(tx_5m=40, buys_5m=30, sells_5m=10, dp5=0.2, hours_since_migration=3.1)),
        row(60, None, fallback="fallback"),
        row(90, metrics(tx_1h=0, vol_1h=0.0, hours_since_migration=None, L_tot=2e6)),
        row(120, None, fallback="emergency"),
        row(150, QUIET, fallback="degraded"),  # a warning: scored, and it advances the EWMA
        row(180, metrics(buys_5m=0, sells_5m=9, dp5=-0.3, dp15=None)),
        # Spec v2's inputs, then a price collapse: v2 scores a rug 0 and smooths on from 0.
        row(210, metrics(tx_pace_5m=4.0, tx_pace_rest=1.0, vol_pace_5m=90.0, vol_pace_rest=20.0)),
        row(240, metrics(tx_pace_5m=4.0, tx_pace_rest=1.0, dp60=-0.95, history_minutes=200.0)),
        row(270, metrics(tx_pace_5m=3.0, tx_pace_rest=1.0, history_minutes=230.0)),
    ]

    replay = replay_token(rows, params)

    expected = engine_scores(rows, params)
    if params.scoring_model_active == "hybrid_momentum_v2":
        assert expected[8] == (0.0, 0.0)  # the rugged row
    assert replay.scores == pytest.approx([score for score, _ in expected], abs=1e-12)
    assert replay.smoothed == pytest.approx([smoothed for _, smoothed in expected], abs=1e-12)


def test_a_row_without_metrics_is_held_as_a_fallback() -> None:
    replay = replay_token([row(0, BUSY), row(60, None)], HYBRID)

    assert replay.scores == pytest.approx([BUSY_SCORE, 0.7 * BUSY_SCORE])


def test_a_backtest_measures_every_variant_over_one_pass() -> None:
    # Token 1 rises after busy snapshots and falls after quiet ones; token 2 is always quiet.
    rows = [
        row(0, metrics(price_usd=1.0)),
        row(300, metrics(price_usd=2.0, tx_5m=0, buys_5m=0, sells_5m=0, vol_5m=0.0)),
        row(600, metrics(price_usd=1.0)),
        row(900, metrics(price_usd=1.5)),
        row(0, replace(QUIET, price_usd=1.0), token=2),
        row(300, replace(QUIET, price_usd=1.0), token=2),
        row(600, None, token=2, fallback="fallback"),
    ]
    options = BacktestOptions(horizons=(5,), thresholds=(0.5,), signal="raw")
    variants = [Variant("A", HYBRID), Variant("B", ScoringParams(min_score=1.0, w_tx=0.5))]

    a, b = backtest(iter(rows), variants, options)

    assert (a.label, a.snapshots, a.tokens, a.held, a.signal) == ("A", 7, 2, 1, "raw")
    # Samples at 5 min (score, return): token 1 (0.925, +100%), (0.125, -50%), (0.925, +50%);
    # token 2 (0.125, 0%); the rows at 900 s and the fallback have no forward price.
    five = a.horizon(5)
    assert five.samples == 4
    assert (five.hot_threshold, five.calls, five.hits) == (0.3, 2, 2)
    assert five.base_rate == 0.5
    assert five.rho == pytest.approx(
        0.8944271909999159
    )  # ranks (3.5, 1.5, 3.5, 1.5) vs (4, 1, 3, 2)
    assert [(r.threshold, r.tokens, r.snapshots, r.calls, r.hit_rates) for r in a.thresholds] == [
        (0.3, 1, 3, (2,), (1.0,)),
        (0.5, 1, 3, (2,), (1.0,)),
        (1.0, 0, 0, (0,), (None,)),
    ]
    assert [r.threshold for r in b.thresholds] == [0.3, 0.5, 1.0]  # both min_scores are counted
    assert b.horizon(5).hot_threshold == 1.0
    assert b.params.w_tx == 0.5


def test_each_sample_keeps_its_token_for_the_bootstrap() -> None:
    # 12 tokens, 4 snapshots 5 minutes apart: 3 samples each at 5 min; busy tokens rise.
    rows = []
    for token in range(1, 13):
        busy = token % 2 == 0
        for step in range(4):
            price = 1.0 + (0.1 * step if busy else -0.01 * step * token)
            rows.append(
                row(300.0 * step, replace(BUSY if busy else QUIET, price_usd=price), token=token)
            )
    options = BacktestOptions(horizons=(5, 15), confidence=Confidence(resamples=200, seed=5))

    (result,) = backtest(rows, [Variant("A", HYBRID)], options)

    five, fifteen = result.horizons
    assert (five.samples, five.tokens, five.enough) == (36, 12, True)
    assert (fifteen.samples, fifteen.tokens, fifteen.enough) == (12, 12, False)
    assert fifteen.rho_interval is None
    # The same interval as resampling those samples by their own token.
    smoothed = {}
    for token in range(1, 13):
        mine = [r for r in rows if r.token_id == token]
        smoothed[token] = replay_token(mine, HYBRID).smoothed[:3]
    scores = [s for token in range(1, 13) for s in smoothed[token]]
    returns = []
    for token in range(1, 13):
        prices = [r.metrics.price_usd for r in rows if r.token_id == token]
        returns += [prices[k + 1] / prices[k] - 1 for k in range(3)]
    tokens = [token for token in range(1, 13) for _ in range(3)]
    expected = cluster_bootstrap(scores, returns, tokens, resamples=200, seed="5:5")
    assert five.rho_interval == expected.rho
    assert five.interval_tokens == 12


def test_hot_shares_read_the_smoothed_score_per_snapshot_and_per_minute() -> None:
    rows = [
        *(row(t, BUSY, token=1) for t in (0.0, 60.0, 120.0, 180.0)),  # hot throughout
        *(row(t, QUIET, token=2) for t in (0.0, 120.0)),  # never hot
        row(30.0, BUSY, token=3),
        row(90.0, QUIET, token=3),  # raw 0.125, smoothed 0.685: still hot
    ]
    params = replace(HYBRID, min_score=0.5)

    (result,) = backtest(rows, [Variant("A", params)], BacktestOptions(signal="raw"))

    assert (result.hot_snapshots, result.snapshots) == (6, 8)
    assert result.hot_share == pytest.approx(6 / 8)
    # The raw score is judged: at 0.5 the thresholds count 5 snapshots, not 6.
    assert next(r.snapshots for r in result.thresholds if r.threshold == 0.5) == 5
    # Minutes 0..3: live tokens {1, 2}, {1, 2, 3}, {1, 2}, {1}; hot {1}, {1, 3}, {1}, {1}.
    assert result.moments == 4
    assert result.hot_token_share == pytest.approx((1 / 2 + 2 / 3 + 1 / 2 + 1) / 4)
    assert result.to_json()["hot_token_share"] == result.hot_token_share


def test_rows_of_a_token_must_come_together() -> None:
    rows = [row(0, token=1), row(0, token=2), row(60, token=1)]

    with pytest.raises(ValueError, match="token 1 are not contiguous"):
        backtest(rows, [Variant("A", DEFAULTS)])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"signal": "best"}, "signal must be one of"),
        ({"horizons": ()}, "horizons must be positive"),
        ({"horizons": (5, 0)}, "horizons must be positive"),
        ({"tolerance": -1.0}, "tolerance must be >= 0"),
    ],
)
def test_options_are_validated(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BacktestOptions(**changes)  # type: ignore[arg-type]


def test_the_pure_modules_import_no_django() -> None:
    modules = "stats, returns, replay, results, charts, text"
    code = (
        f"import json, sys; from scoring.backtest import {modules}; "
        "print(json.dumps(sorted(sys.modules)))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    loaded = json.loads(result.stdout)
    assert [m for m in loaded if m == "django" or m.startswith("django.")] == []

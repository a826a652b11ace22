"""Scoring spec v2 (docs/scoring.md): each property pinned with numbers worked out by hand."""

import glob
import json
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.engine import (
    HYBRID_MOMENTUM_V2,
    IMPLAUSIBLE_LIQUIDITY,
    RUGGED,
    THIN,
    YOUNG,
    EwmaState,
    ScoringParams,
    aggregate,
    evaluate,
    token_flags,
)
from scoring.engine.components import acceleration, buy_pressure, log_scale, pace_ratio

from .builders import EXAMPLE_CREATED_AT, MINT, make_metrics, make_pair

V2 = ScoringParams()  # the defaults are spec v2's
NOW = EXAMPLE_CREATED_AT + timedelta(hours=2)
CREATED = int((NOW - timedelta(minutes=90)).timestamp() * 1000)  # a pool 90 minutes old
CAPTURES = Path(__file__).resolve().parents[4] / "shared" / "research" / "captures"


def v2_components(**metrics: Any) -> dict[str, float]:
    return HYBRID_MOMENTUM_V2.compute(make_metrics(**metrics), V2)


def test_the_log_scale_runs_from_a_ratio_of_one_to_the_saturation() -> None:
    assert [log_scale(r, 8.0) for r in (0.5, 1.0, 2.0, 8.0, 64.0, math.inf)] == [
        0.0,
        0.0,
        pytest.approx(1 / 3),  # ln 2 / ln 8
        1.0,
        1.0,
        1.0,
    ]


def test_the_pace_ratio_of_a_silent_hour_waking_up_is_infinite_and_of_silence_zero() -> None:
    assert (pace_ratio(0.0, 3.0), pace_ratio(2.0, 0.0), pace_ratio(4.0, 2.0)) == (
        0.0,
        math.inf,
        2.0,
    )


def test_an_acceleration_on_a_handful_of_trades_counts_for_little() -> None:
    # pace 4x the rest of the hour: ln 4 / ln 8 = 2/3; 5 of 50 trades: confidence 0.1
    thin = acceleration(4.0, 1.0, activity=5, full_activity=50, saturation=8)
    busy = acceleration(4.0, 1.0, activity=80, full_activity=50, saturation=8)

    assert (thin, busy) == (pytest.approx(2 / 30), pytest.approx(2 / 3))


def test_buy_pressure_counts_buys_weighed_by_activity_and_sell_pressure_as_nothing() -> None:
    assert buy_pressure(30, 10, full_activity=50) == pytest.approx(0.5 * 40 / 50)
    assert buy_pressure(10, 30, full_activity=50) == 0.0


def test_the_windows_are_honest_about_a_young_pool() -> None:
    # A pool 8 minutes old: its h1 covers 8 minutes, m5 the last 5, the rest 3.
    pair = make_pair(
        "YOUNG",
        txns_5m=(30, 20),
        txns_1h=(42, 26),
        volume_5m=2500.0,
        volume_1h=2800.0,
        created_ms=int((NOW - timedelta(minutes=8)).timestamp() * 1000),
    )

    metrics = aggregate(
        MINT, [pair], V2, migrated_at=NOW - timedelta(hours=1), now=NOW, previous_pool_count=None
    ).metrics

    assert metrics is not None
    assert (metrics.window_5m_minutes, metrics.window_1h_minutes) == (5.0, 8.0)
    assert metrics.history_minutes == pytest.approx(8.0)  # the pool is younger than the token
    assert metrics.tx_pace_5m == pytest.approx(50 / 5)
    assert metrics.tx_pace_rest == pytest.approx((68 - 50) / 3)
    assert metrics.vol_pace_rest == pytest.approx(300 / 3)


def test_under_ten_minutes_of_history_there_is_no_acceleration_and_the_token_is_young() -> None:
    components = v2_components(
        history_minutes=9.9,
        tx_5m=200,
        tx_pace_5m=40.0,
        tx_pace_rest=1.0,
        vol_5m=9000.0,
        vol_pace_5m=1800.0,
        vol_pace_rest=10.0,
    )
    flags = token_flags(make_metrics(history_minutes=9.9, tx_5m=200), V2)

    assert (components["tx_accel"], components["vol_momentum"]) == (0.0, 0.0)
    assert YOUNG in flags


def test_thin_trading_is_flagged_under_five_trades() -> None:
    assert THIN in token_flags(make_metrics(tx_5m=4, history_minutes=60.0), V2)
    assert THIN not in token_flags(make_metrics(tx_5m=5, history_minutes=60.0), V2)


def test_the_real_two_trade_capture_scores_little_and_a_busy_token_more() -> None:
    # 2 trades and $7.98 in 5 minutes against a quiet hour (v1 gave it 0.70, above Bonk).
    quiet = v2_components(
        history_minutes=120.0,
        tx_5m=2,
        tx_pace_5m=0.4,
        tx_pace_rest=0.05,
        vol_5m=7.98,
        vol_pace_5m=1.596,
        vol_pace_rest=0.2,
        buys_5m=2,
        sells_5m=0,
    )
    busy = v2_components(
        history_minutes=120.0,
        tx_5m=99,
        tx_pace_5m=19.8,
        tx_pace_rest=9.0,
        vol_5m=12000.0,
        vol_pace_5m=2400.0,
        vol_pace_rest=1000.0,
        buys_5m=60,
        sells_5m=39,
    )
    quiet_score = HYBRID_MOMENTUM_V2.combine(quiet, V2)
    busy_score = HYBRID_MOMENTUM_V2.combine(busy, V2)

    # quiet: tx ln 8 / ln 8 = 1 x 2/50; vol ln 7.98 / ln 8 x 7.98/5000; buys 1 x 2/50
    assert quiet["tx_accel"] == pytest.approx(0.04)
    assert quiet["vol_momentum"] == pytest.approx(math.log(7.98) / math.log(8) * 7.98 / 5000)
    assert quiet["orderflow_imbalance"] == pytest.approx(0.04)
    # busy: tx ln 2.2 / ln 8 x 1; vol ln 2.4 / ln 8 x 1; buys 21/99 x 1
    assert busy["tx_accel"] == pytest.approx(math.log(2.2) / math.log(8))
    assert busy["vol_momentum"] == pytest.approx(math.log(2.4) / math.log(8))
    assert busy["orderflow_imbalance"] == pytest.approx(21 / 99)
    assert quiet_score < 0.3 < busy_score


def test_the_score_is_the_weight_normalised_sum() -> None:
    values = {
        "tx_accel": 1.0,
        "vol_momentum": 0.5,
        "token_freshness": 0.0,
        "orderflow_imbalance": 0.2,
    }

    assert HYBRID_MOMENTUM_V2.combine(values, V2) == pytest.approx(
        0.35 * 1.0 + 0.35 * 0.5 + 0.15 * 0.2
    )
    heavy = ScoringParams(w_tx=5.0, w_vol=0.0, w_fresh=0.0, w_oi=0.0)
    assert HYBRID_MOMENTUM_V2.combine(values, heavy) == 1.0
    nothing = ScoringParams(w_tx=0.0, w_vol=0.0, w_fresh=0.0, w_oi=0.0)
    assert HYBRID_MOMENTUM_V2.combine(values, nothing) == 0.0


def test_freshness_alone_never_makes_a_token_hot() -> None:
    # v2's freshness is the age freshness times the strongest momentum component: a brand-new
    # token with no sign of momentum scores 0 (property 1), and freshness can only add to a
    # momentum the other components already show (property 7).
    components = v2_components(hours_since_migration=0.0, history_minutes=0.5)

    assert components["token_freshness"] == 0.0
    assert HYBRID_MOMENTUM_V2.combine(components, V2) == 0.0
    values = {"tx_accel": 0.0, "vol_momentum": 0.0, "token_freshness": 1.0}
    values["orderflow_imbalance"] = 0.0
    score = HYBRID_MOMENTUM_V2.combine(values, V2)  # even at full weight on its own
    assert score == pytest.approx(0.15)
    assert score < V2.min_score


def test_a_pool_claiming_liquidity_its_quote_reserve_cannot_back_is_left_out() -> None:
    honest = make_pair("HONEST", liquidity=2000.0, txns_5m=(3, 1), txns_1h=(9, 3))
    honest["liquidity"]["quote"] = 1000.0  # 1000 quote tokens at $1: 2 x $1000 backs $2000
    honest["priceNative"] = "0.5"  # with priceUsd 0.5: the quote is worth $1
    fake = make_pair("CLMM", liquidity=1_900_000_000.0, txns_5m=(1, 0), txns_1h=(2, 0))
    fake["liquidity"]["quote"] = 25.0  # $25 of quote against $1.9B claimed
    fake["priceNative"] = "0.5"

    aggregation = aggregate(
        MINT, [honest, fake], V2, migrated_at=None, now=NOW, previous_pool_count=None
    )

    assert aggregation.metrics is not None
    assert (aggregation.metrics.L_tot, aggregation.metrics.implausible_pools) == (2000.0, 1)
    assert [(p.pair_address, p.kept, p.implausible) for p in aggregation.pools] == [
        ("HONEST", True, False),
        ("CLMM", False, True),
    ]
    assert [issue.code for issue in aggregation.issues] == ["implausible_liquidity"]
    assert IMPLAUSIBLE_LIQUIDITY in token_flags(aggregation.metrics, V2)


@pytest.mark.parametrize(
    ("metrics", "rugged"),
    [
        ({"L_tot": 999.0, "peak_liquidity_usd": 5000.0}, True),  # under 20% of a $5k peak
        ({"L_tot": 1000.0, "peak_liquidity_usd": 5000.0}, False),  # exactly 20%: not yet
        ({"L_tot": 100.0, "peak_liquidity_usd": 4999.0}, False),  # the peak was too small
        ({"L_tot": 9000.0, "peak_liquidity_usd": 9000.0, "dp60": -0.9}, True),  # -90% in 1 h
        ({"L_tot": 9000.0, "peak_liquidity_usd": 9000.0, "dp60": -0.89}, False),
    ],
)
def test_the_rug_state(metrics: dict[str, float], rugged: bool) -> None:
    assert (RUGGED in token_flags(make_metrics(**metrics), V2)) is rugged


def test_a_rugged_token_scores_zero_and_smooths_from_zero_once_it_recovers() -> None:
    busy = make_pair(
        "POOL",
        liquidity=900.0,
        txns_5m=(60, 20),
        txns_1h=(200, 80),
        volume_5m=9000.0,
        volume_1h=20000.0,
        created_ms=CREATED,
    )
    previous = EwmaState({"tx_accel": 0.9}, 0.9, "hybrid_momentum_v2")

    rugged = aggregate(
        MINT,
        [busy],
        V2,
        migrated_at=None,
        now=NOW,
        previous_pool_count=1,
        previous_peak_usd=83_000.0,
    )
    evaluation = evaluate(rugged, V2, previous=previous, recent_good_smoothed=[0.9])

    assert (evaluation.score, evaluation.smoothed_score) == (0.0, 0.0)
    assert RUGGED in evaluation.flags
    assert evaluation.ewma_state() is not None
    assert evaluation.ewma_state().score == 0.0  # type: ignore[union-attr]


def test_v1_is_left_as_it_was_by_a_rug() -> None:
    v1 = ScoringParams(scoring_model_active="hybrid_momentum")
    pair = make_pair("POOL", liquidity=900.0, txns_5m=(6, 2), txns_1h=(20, 8), created_ms=CREATED)
    aggregation = aggregate(
        MINT,
        [pair],
        v1,
        migrated_at=None,
        now=NOW,
        previous_pool_count=1,
        previous_peak_usd=83_000.0,
    )

    evaluation = evaluate(aggregation, v1, previous=None, recent_good_smoothed=[])

    assert RUGGED in evaluation.flags  # flagged all the same
    assert evaluation.score > 0


finite = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    tx_5m=st.integers(0, 10**9),
    pace_5m=finite,
    pace_rest=finite,
    vol_5m=finite,
    vol_pace_5m=finite,
    vol_pace_rest=finite,
    buys=st.integers(0, 10**6),
    sells=st.integers(0, 10**6),
    history=st.one_of(st.none(), finite),
    hours=st.one_of(st.none(), finite),
    weights=st.tuples(finite, finite, finite, finite),
)
def test_every_component_and_the_score_lie_in_zero_one_for_any_input(
    tx_5m: int,
    pace_5m: float,
    pace_rest: float,
    vol_5m: float,
    vol_pace_5m: float,
    vol_pace_rest: float,
    buys: int,
    sells: int,
    history: float | None,
    hours: float | None,
    weights: tuple[float, float, float, float],
) -> None:
    params = ScoringParams(w_tx=weights[0], w_vol=weights[1], w_fresh=weights[2], w_oi=weights[3])
    metrics = make_metrics(
        tx_5m=tx_5m,
        tx_pace_5m=pace_5m,
        tx_pace_rest=pace_rest,
        vol_5m=vol_5m,
        vol_pace_5m=vol_pace_5m,
        vol_pace_rest=vol_pace_rest,
        buys_5m=buys,
        sells_5m=sells,
        history_minutes=history,
        hours_since_migration=hours,
    )

    components = HYBRID_MOMENTUM_V2.compute(metrics, params)
    score = HYBRID_MOMENTUM_V2.combine(components, params)

    assert all(0.0 <= value <= 1.0 for value in components.values())
    assert 0.0 <= score <= 1.0


def _captured_pairs() -> list[list[dict[str, Any]]]:
    answers = []
    for path in sorted(glob.glob(str(CAPTURES / "dexscreener-*.json"))):
        body = json.loads(Path(path).read_text())
        body = body.get("body", body) if isinstance(body, dict) else body
        pairs = body.get("pairs") if isinstance(body, dict) else body
        if isinstance(body, dict) and "pairAddress" in body:
            pairs = [body]
        if isinstance(pairs, list) and pairs:
            answers.append([pair for pair in pairs if isinstance(pair, dict)])
    return answers


@pytest.mark.skipif(not CAPTURES.is_dir(), reason="the research captures are not on this machine")
def test_real_dexscreener_captures_score_in_zero_one_and_fake_clmm_pools_are_left_out() -> None:
    answers = _captured_pairs()
    assert answers, "no DexScreener capture with pairs was read"
    implausible = 0
    for pairs in answers:
        for mint in {p.get("baseToken", {}).get("address") for p in pairs} - {None}:
            aggregation = aggregate(
                mint, pairs, V2, migrated_at=None, now=NOW, previous_pool_count=None
            )
            evaluation = evaluate(aggregation, V2, previous=None, recent_good_smoothed=[])
            values = [*evaluation.raw_components.values(), evaluation.smoothed_score]
            assert all(0.0 <= value <= 1.0 for value in values), (mint, evaluation)
            implausible += sum(pool.implausible for pool in aggregation.pools)
            assert not any(pool.kept and pool.implausible for pool in aggregation.pools)
    assert implausible >= 1  # the captures hold CLMM pools claiming liquidity nothing backs


def test_v2_freshness_is_the_age_freshness_of_the_strongest_momentum() -> None:
    # 3 hours old (age freshness 0.5), 40 buys and 10 sells: buy pressure 0.6 x 50/50 = 0.6.
    components = v2_components(
        hours_since_migration=3.0, history_minutes=180.0, buys_5m=40, sells_5m=10, tx_5m=50
    )

    assert components["orderflow_imbalance"] == pytest.approx(0.6)
    assert components["token_freshness"] == pytest.approx(0.5 * 0.6)

"""Property tests: for any non-negative inputs, no NaN or inf, and every component in its range."""

import math
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from scoring.engine import (
    HYBRID_MOMENTUM,
    LEGACY,
    Aggregation,
    EwmaState,
    QualityIssue,
    ScoringParams,
    aggregate,
    evaluate,
    orderflow_imbalance,
    token_freshness,
    tx_accel,
    vol_momentum,
)

from .builders import EXAMPLE_CREATED_AT, MINT, make_metrics, make_pair

counts = st.integers(min_value=0, max_value=10**15)
amounts = st.floats(min_value=0, allow_nan=False, allow_infinity=False)
changes = st.none() | st.floats(allow_nan=False, allow_infinity=False)
hours = st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False)
weights = st.floats(min_value=0, max_value=1e6, allow_nan=False)

metrics_strategy = st.builds(
    make_metrics,
    L_tot=amounts,
    tx_5m=counts,
    tx_1h=counts,
    vol_5m=amounts,
    vol_1h=amounts,
    buys_5m=counts,
    sells_5m=counts,
    dp5=changes,
    dp15=changes,
    hours_since_migration=hours,
)
params_strategy = st.builds(
    ScoringParams,
    scoring_model_active=st.sampled_from(["hybrid_momentum", "legacy"]),
    w_tx=weights,
    w_vol=weights,
    w_fresh=weights,
    w_oi=weights,
    weight_s=weights,
    weight_l=weights,
    weight_m=weights,
    weight_t=weights,
    ewma_alpha=st.floats(min_value=1e-9, max_value=1.0),
    freshness_threshold_hours=st.floats(min_value=0, max_value=1e6),
)


@given(counts, counts, amounts, amounts)
def test_ratios_stay_within_0_and_12(tx_5m: int, tx_1h: int, vol_5m: float, vol_1h: float) -> None:
    assert 0.0 <= tx_accel(tx_5m, tx_1h) <= 12.0
    assert 0.0 <= vol_momentum(vol_5m, vol_1h) <= 12.0


@given(hours, st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_freshness_stays_within_0_and_1(age: float | None, threshold: float) -> None:
    assert 0.0 <= token_freshness(age, threshold) <= 1.0


@given(counts, counts)
def test_imbalance_stays_within_minus_1_and_1(buys: int, sells: int) -> None:
    assert -1.0 <= orderflow_imbalance(buys, sells) <= 1.0


@given(metrics_strategy)
def test_legacy_components_stay_within_0_and_1(metrics: Any) -> None:
    components = LEGACY.compute(metrics, ScoringParams())

    assert all(0.0 <= value <= 1.0 for value in components.values())


@given(metrics_strategy, params_strategy)
def test_hybrid_components_stay_in_their_ranges(metrics: Any, params: ScoringParams) -> None:
    components = HYBRID_MOMENTUM.compute(metrics, params)

    assert 0.0 <= components["tx_accel"] <= 12.0
    assert 0.0 <= components["vol_momentum"] <= 12.0
    assert 0.0 <= components["token_freshness"] <= 1.0
    assert -1.0 <= components["orderflow_imbalance"] <= 1.0


def _all_finite(evaluation: Any) -> bool:
    numbers = [evaluation.score, evaluation.smoothed_score]
    numbers += [*evaluation.raw_components.values(), *evaluation.smoothed_components.values()]
    return all(math.isfinite(number) for number in numbers)


@given(
    metrics_strategy,
    params_strategy,
    st.none() | st.builds(EwmaState, components=st.just({}), score=amounts),
)
def test_evaluate_never_produces_nan_or_inf(
    metrics: Any, params: ScoringParams, previous: EwmaState | None
) -> None:
    aggregation = Aggregation((), metrics, (), None, None, None)

    evaluation = evaluate(aggregation, params, previous=previous, recent_good_smoothed=[])

    assert _all_finite(evaluation)


pair_strategy = st.builds(
    make_pair,
    st.text(alphabet="ABCDEFGH", min_size=1, max_size=3),
    dex_id=st.sampled_from(["pumpswap", "raydium", "meteora", "pumpfun"]),
    quote=st.sampled_from(["SOL", "USDC", "BONK"]),
    liquidity=st.none() | amounts,
    txns_5m=st.tuples(counts, counts),
    txns_1h=st.tuples(counts, counts),
    volume_5m=amounts,
    volume_1h=amounts,
    price_change_5m=changes,
    price_change_1h=changes,
    created_ms=st.none() | st.integers(min_value=0, max_value=1772427561000 + 10**9),
)


@given(st.lists(pair_strategy, max_size=4), params_strategy, st.lists(amounts, max_size=12))
def test_aggregate_and_evaluate_never_produce_nan_or_inf(
    pairs: list[dict[str, Any]], params: ScoringParams, history: list[float]
) -> None:
    aggregation = aggregate(
        MINT,
        pairs,
        params,
        migrated_at=None,
        now=EXAMPLE_CREATED_AT + timedelta(hours=2),
        previous_pool_count=1,
    )

    evaluation = evaluate(aggregation, params, previous=None, recent_good_smoothed=history)

    assert _all_finite(evaluation)
    assert aggregation.metrics is None or aggregation.metrics.is_finite()


@given(st.lists(st.floats(min_value=0, allow_nan=False), max_size=12), params_strategy)
def test_fallback_scores_stay_finite_for_any_history(
    history: list[float], params: ScoringParams
) -> None:
    broken = Aggregation((), None, (QualityIssue("x", "y", "critical"),), None, None, None)

    fallback = evaluate(None, params, previous=None, recent_good_smoothed=history)
    emergency = evaluate(broken, params, previous=None, recent_good_smoothed=history)

    assert _all_finite(fallback)
    assert _all_finite(emergency)

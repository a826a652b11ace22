import math
from dataclasses import replace

import pytest

from scoring.engine import (
    Aggregation,
    EwmaState,
    QualityIssue,
    ScoringParams,
    UnknownModelError,
    evaluate,
)

from .builders import V1, make_metrics

# tx_accel 2, vol_momentum 2, freshness 0.5, imbalance 0.2 -> score 0.25 * 4.7 = 1.175
METRICS = make_metrics(
    tx_5m=10, tx_1h=60, vol_5m=100.0, vol_1h=600.0, buys_5m=6, sells_5m=4, hours_since_migration=3.0
)
RAW = {
    "tx_accel": 2.0,
    "vol_momentum": 2.0,
    "token_freshness": 0.5,
    "orderflow_imbalance": 0.2,
    "final_score": 1.175,
}
PREVIOUS = EwmaState(
    components={
        "tx_accel": 1.0,
        "vol_momentum": 1.0,
        "token_freshness": 1.0,
        "orderflow_imbalance": 0.0,
    },
    score=0.5,
)
WARNING = QualityIssue("pool_count_jump", "kept pool count jumped from 1 to 3", "warning")
CRITICAL = QualityIssue("negative_volume", "pair P1: volume.h1 = -1.0 is negative", "critical")
HISTORY = [0.8, 0.2, 0.6, 0.4]  # mean 0.5, median 0.5 ...
SKEWED = [0.9, 0.1, 0.2]  # mean 0.4, median 0.2


def _aggregation(issues: tuple[QualityIssue, ...] = (), *, metrics: bool = True) -> Aggregation:
    return Aggregation(
        pools=(),
        metrics=METRICS if metrics else None,
        issues=issues,
        name=None,
        symbol=None,
        image_url=None,
    )


def test_it_scores_good_data_without_a_previous_state() -> None:
    evaluation = evaluate(_aggregation(), V1, previous=None, recent_good_smoothed=[])

    assert evaluation.score == pytest.approx(1.175)
    assert evaluation.smoothed_score == pytest.approx(1.175)
    assert evaluation.raw_components == pytest.approx(RAW)
    assert evaluation.smoothed_components == pytest.approx(RAW)
    assert evaluation.scoring_model == "hybrid_momentum"
    assert evaluation.fallback is None
    assert evaluation.advances_ewma is True


def test_it_writes_the_metrics_with_a_clean_quality_verdict() -> None:
    evaluation = evaluate(_aggregation(), V1, previous=None, recent_good_smoothed=[])

    assert evaluation.metrics == {
        **METRICS.to_json(),
        "data_quality_ok": True,
        "data_quality_issues": [],
        "fallback": None,
    }


def test_it_smooths_components_and_the_raw_score_separately() -> None:
    evaluation = evaluate(_aggregation(), V1, previous=PREVIOUS, recent_good_smoothed=[0.5])

    # components: 0.3*2 + 0.7*1 = 1.3 (twice); 0.3*0.5 + 0.7*1 = 0.85; 0.3*0.2 + 0.7*0 = 0.06
    # final: 0.3*1.175 + 0.7*0.5 = 0.7025, NOT 0.25*(1.3+1.3+0.85+0.06) = 0.8775
    assert evaluation.smoothed_components == pytest.approx(
        {
            "tx_accel": 1.3,
            "vol_momentum": 1.3,
            "token_freshness": 0.85,
            "orderflow_imbalance": 0.06,
            "final_score": 0.7025,
        }
    )
    assert evaluation.smoothed_score == pytest.approx(0.7025)
    assert evaluation.score == pytest.approx(1.175)


def test_its_ewma_state_feeds_the_next_refresh() -> None:
    first = evaluate(_aggregation(), V1, previous=PREVIOUS, recent_good_smoothed=[])

    state = first.ewma_state()

    assert state == EwmaState(
        components={k: v for k, v in first.smoothed_components.items() if k != "final_score"},
        score=first.smoothed_score,
        scoring_model="hybrid_momentum",
    )
    second = evaluate(_aggregation(), V1, previous=state, recent_good_smoothed=[])
    # 0.3*1.175 + 0.7*0.7025 = 0.84425
    assert second.smoothed_score == pytest.approx(0.84425)


def test_it_restarts_smoothing_when_the_model_changed() -> None:
    hybrid_state = replace(PREVIOUS, scoring_model="hybrid_momentum")
    params = ScoringParams(scoring_model_active="legacy")

    evaluation = evaluate(_aggregation(), params, previous=hybrid_state, recent_good_smoothed=[0.5])

    # legacy on METRICS: s = l = m = 0, t = (10/5)/300 = 0.0066667; score = 0.2 * t = 0.0013333
    assert evaluation.scoring_model == "legacy"
    assert evaluation.smoothed_score == pytest.approx(0.2 * 2 / 300)
    assert evaluation.smoothed_components == evaluation.raw_components


def test_warnings_give_a_degraded_snapshot_that_still_advances_the_ewma() -> None:
    evaluation = evaluate(
        _aggregation((WARNING,)), V1, previous=PREVIOUS, recent_good_smoothed=[0.5]
    )

    assert evaluation.fallback == "degraded"
    assert evaluation.score == pytest.approx(1.175)
    assert evaluation.smoothed_score == pytest.approx(0.7025)
    assert evaluation.advances_ewma is True
    assert evaluation.metrics["data_quality_ok"] is False
    assert evaluation.metrics["data_quality_issues"] == [
        {
            "code": "pool_count_jump",
            "message": "kept pool count jumped from 1 to 3",
            "severity": "warning",
        }
    ]
    assert evaluation.metrics["fallback"] == "degraded"
    assert evaluation.metrics["L_tot"] == 0.0


def test_critical_issues_give_an_emergency_half_the_median() -> None:
    evaluation = evaluate(
        _aggregation((CRITICAL,), metrics=False),
        V1,
        previous=PREVIOUS,
        recent_good_smoothed=SKEWED,
    )

    # median(0.9, 0.1, 0.2) = 0.2 -> 0.5 * 0.2 = 0.1
    assert evaluation.fallback == "emergency"
    assert evaluation.score == pytest.approx(0.1)
    assert evaluation.smoothed_score == pytest.approx(0.1)
    assert evaluation.advances_ewma is False
    assert evaluation.metrics == {
        "data_quality_ok": False,
        "data_quality_issues": [CRITICAL.to_json()],
        "fallback": "emergency",
    }


def test_an_emergency_carries_the_previous_components_and_state() -> None:
    evaluation = evaluate(
        _aggregation((CRITICAL,), metrics=False),
        V1,
        previous=PREVIOUS,
        recent_good_smoothed=HISTORY,
    )

    # median(0.8, 0.2, 0.6, 0.4) = 0.5 -> 0.25
    assert evaluation.raw_components == {"final_score": 0.25}
    assert evaluation.smoothed_components == {**PREVIOUS.components, "final_score": 0.25}
    assert evaluation.ewma_state() == PREVIOUS


def test_an_emergency_without_history_scores_zero_and_carries_nothing() -> None:
    evaluation = evaluate(
        _aggregation((CRITICAL,), metrics=False),
        V1,
        previous=None,
        recent_good_smoothed=[],
    )

    assert evaluation.score == 0.0
    assert evaluation.smoothed_components == {"final_score": 0.0}
    assert evaluation.ewma_state() is None


def test_a_failed_fetch_gives_a_fallback_of_seventy_percent_of_the_mean() -> None:
    evaluation = evaluate(
        None,
        V1,
        previous=PREVIOUS,
        recent_good_smoothed=SKEWED,
        fetch_error="DexScreener answered 503",
    )

    # mean(0.9, 0.1, 0.2) = 0.4 -> 0.7 * 0.4 = 0.28
    assert evaluation.fallback == "fallback"
    assert evaluation.score == pytest.approx(0.28)
    assert evaluation.smoothed_score == pytest.approx(0.28)
    assert evaluation.advances_ewma is False
    assert evaluation.ewma_state() == PREVIOUS
    assert evaluation.metrics == {
        "data_quality_ok": False,
        "data_quality_issues": [
            {"code": "fetch_failed", "message": "DexScreener answered 503", "severity": "critical"}
        ],
        "fallback": "fallback",
    }


def test_a_fetch_error_wins_over_an_aggregation() -> None:
    evaluation = evaluate(
        _aggregation(),
        V1,
        previous=None,
        recent_good_smoothed=HISTORY,
        fetch_error="token missing from the answer",
    )

    # mean(0.8, 0.2, 0.6, 0.4) = 0.5 -> 0.35
    assert evaluation.fallback == "fallback"
    assert evaluation.score == pytest.approx(0.35)


def test_a_fallback_without_history_scores_zero() -> None:
    evaluation = evaluate(None, V1, previous=None, recent_good_smoothed=[])

    assert evaluation.score == 0.0
    assert evaluation.metrics["data_quality_issues"] == [
        {
            "code": "fetch_failed",
            "message": "DexScreener gave no answer for the token",
            "severity": "critical",
        }
    ]


def test_fallbacks_look_at_the_ten_newest_good_scores_only() -> None:
    newest_first = [1.0] * 10 + [100.0, 100.0]

    fallback = evaluate(None, V1, previous=None, recent_good_smoothed=newest_first)
    emergency = evaluate(
        _aggregation((CRITICAL,), metrics=False),
        V1,
        previous=None,
        recent_good_smoothed=newest_first,
    )

    assert fallback.score == pytest.approx(0.7)  # 0.7 * mean(ten 1.0s)
    assert emergency.score == pytest.approx(0.5)  # 0.5 * median(ten 1.0s)


def test_fallbacks_skip_non_finite_history() -> None:
    evaluation = evaluate(None, V1, previous=None, recent_good_smoothed=[math.nan, 0.4, math.inf])

    assert evaluation.score == pytest.approx(0.28)


def test_it_refuses_an_unknown_model() -> None:
    with pytest.raises(UnknownModelError):
        evaluate(
            _aggregation(),
            ScoringParams(scoring_model_active="moonshot"),
            previous=None,
            recent_good_smoothed=[],
        )

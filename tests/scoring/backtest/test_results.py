"""The figures of one horizon: deciles, top decile vs the rest, hot calls, threshold tallies."""

import math
import statistics

import pytest

from scoring.backtest.results import Tally, horizon_result, tally
from scoring.backtest.stats import sort_order
from tests.scoring.backtest.test_stats import reference_ranks

# 20 samples, scores 0.1 .. 2.0 ascending: decile d holds ranks 2d+1 and 2d+2.
SCORES = [i / 10 for i in range(1, 21)]
RETURNS = [
    -0.1, 0.0, -0.05, 0.05, 0.1, -0.2, 0.02, 0.03, -0.01, 0.04,
    0.06, -0.03, 0.08, 0.01, 0.07, -0.02, 0.09, 0.12, 0.3, 0.5,
]  # fmt: skip


def test_it_measures_one_horizon_by_hand() -> None:
    result, tallies = horizon_result(
        15, SCORES, RETURNS, hot_threshold=1.5, thresholds=[0.5, 1.0, 2.0, 2.5]
    )

    assert result.minutes == 15
    assert result.samples == 20
    assert result.decile_counts == (2,) * 10
    assert result.decile_means == pytest.approx(
        (-0.05, 0.0, -0.05, 0.025, 0.015, 0.015, 0.045, 0.025, 0.105, 0.4)
    )
    assert result.top_decile_mean == pytest.approx(0.4)
    assert result.rest_mean == pytest.approx(0.26 / 18)
    assert result.spread == pytest.approx(0.4 - 0.26 / 18)
    # scores >= 1.5: returns 0.07, -0.02, 0.09, 0.12, 0.3, 0.5
    assert (result.hot_threshold, result.calls, result.hits) == (1.5, 6, 5)
    assert result.hit_rate == pytest.approx(5 / 6)
    assert result.base_rate == pytest.approx(13 / 20)  # 0.0 is not a positive return
    assert result.rho == pytest.approx(
        statistics.correlation(reference_ranks(SCORES), reference_ranks(RETURNS))
    )
    assert tallies == [Tally(16, 12), Tally(11, 9), Tally(1, 1), Tally(0, 0)]
    assert tallies[3].hit_rate is None


def test_equal_scores_share_one_decile_and_give_no_correlation() -> None:
    result, _ = horizon_result(5, [0.5] * 4, [0.1, -0.1, 0.2, 0.0], hot_threshold=0.3)

    assert result.decile_counts == (0, 0, 0, 0, 0, 4, 0, 0, 0, 0)  # average rank 2.5 of 4
    assert result.decile_means[5] == pytest.approx(0.05)
    assert result.top_decile_mean is None
    assert result.spread is None
    assert result.rho is None
    assert (result.calls, result.hits) == (4, 2)


def test_negative_scores_count_in_the_base_rate() -> None:
    result, _ = horizon_result(5, [-0.5, -0.2, 0.4], [0.1, 0.2, -0.1], hot_threshold=0.3)

    assert result.base_rate == pytest.approx(2 / 3)
    assert (result.calls, result.hits) == (1, 0)


def test_no_samples_give_no_figures() -> None:
    result, tallies = horizon_result(60, [], [], hot_threshold=0.3, thresholds=[1.0])

    assert (result.samples, result.rho, result.top_decile_mean, result.rest_mean) == (
        0,
        None,
        None,
        None,
    )
    assert (result.calls, result.hit_rate, result.base_rate) == (0, None, None)
    assert tallies == [Tally(0, 0)]


def test_tally_cuts_at_score_at_or_above_the_threshold() -> None:
    scores = [0.3, 0.1, 0.3, 0.7]
    returns = [0.01, 0.5, -0.02, 0.03]

    counted = tally(sort_order(scores), scores, returns, [0.3, -math.inf, 0.31, 0.7, 0.8])

    assert counted == [Tally(3, 2), Tally(4, 3), Tally(1, 1), Tally(1, 1), Tally(0, 0)]

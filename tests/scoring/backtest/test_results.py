"""The figures of one horizon: deciles, top decile vs the rest, hot calls, threshold tallies,
intervals and whether there is history enough to judge."""

import math
import statistics
from random import Random

import pytest

from scoring.backtest.results import Confidence, Tally, horizon_result, tally
from scoring.backtest.stats import Interval, cluster_bootstrap, sort_order
from tests.scoring.backtest.test_stats import reference_ranks

# 20 samples, scores 0.1 .. 2.0 ascending: decile d holds ranks 2d+1 and 2d+2.
SCORES = [i / 10 for i in range(1, 21)]
RETURNS = [
    -0.1, 0.0, -0.05, 0.05, 0.1, -0.2, 0.02, 0.03, -0.01, 0.04,
    0.06, -0.03, 0.08, 0.01, 0.07, -0.02, 0.09, 0.12, 0.3, 0.5,
]  # fmt: skip


TOKENS = [i // 2 for i in range(20)]  # ten tokens of two samples


def test_it_measures_one_horizon_by_hand() -> None:
    result, tallies = horizon_result(
        15, SCORES, RETURNS, tokens=TOKENS, hot_threshold=1.5, thresholds=[0.5, 1.0, 2.0, 2.5]
    )

    assert result.minutes == 15
    assert (result.samples, result.tokens) == (20, 10)
    assert result.enough is False  # 20 samples: under the 30 a horizon needs
    assert (result.rho_interval, result.top_decile_interval, result.resamples) == (None, None, 0)
    assert result.hot_share == pytest.approx(6 / 20)
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
    result, _ = horizon_result(
        5, [0.5] * 4, [0.1, -0.1, 0.2, 0.0], tokens=[1, 2, 3, 4], hot_threshold=0.3
    )

    assert result.decile_counts == (0, 0, 0, 0, 0, 4, 0, 0, 0, 0)  # average rank 2.5 of 4
    assert result.decile_means[5] == pytest.approx(0.05)
    assert result.top_decile_mean is None
    assert result.spread is None
    assert result.rho is None
    assert (result.calls, result.hits) == (4, 2)


def test_negative_scores_count_in_the_base_rate() -> None:
    result, _ = horizon_result(
        5, [-0.5, -0.2, 0.4], [0.1, 0.2, -0.1], tokens=[1, 1, 2], hot_threshold=0.3
    )

    assert result.base_rate == pytest.approx(2 / 3)
    assert (result.calls, result.hits) == (1, 0)


def test_no_samples_give_no_figures() -> None:
    result, tallies = horizon_result(60, [], [], tokens=[], hot_threshold=0.3, thresholds=[1.0])

    assert (result.samples, result.rho, result.top_decile_mean, result.rest_mean) == (
        0,
        None,
        None,
        None,
    )
    assert (result.calls, result.hit_rate, result.base_rate, result.hot_share) == (
        0,
        None,
        None,
        None,
    )
    assert (result.tokens, result.enough) == (0, False)
    assert tallies == [Tally(0, 0)]


def test_tally_cuts_at_score_at_or_above_the_threshold() -> None:
    scores = [0.3, 0.1, 0.3, 0.7]
    returns = [0.01, 0.5, -0.02, 0.03]

    counted = tally(sort_order(scores), scores, returns, [0.3, -math.inf, 0.31, 0.7, 0.8])

    assert counted == [Tally(3, 2), Tally(4, 3), Tally(1, 1), Tally(1, 1), Tally(0, 0)]


def many(tokens: int, per_token: int, seed: int = 4) -> tuple[list[float], list[float], list[int]]:
    """Scores that predict returns a little, token by token."""
    rng = Random(seed)
    owners = [t for t in range(tokens) for _ in range(per_token)]
    scores = [rng.random() for _ in owners]
    returns = [score / 20 + rng.gauss(0, 0.05) for score in scores]
    return scores, returns, owners


def test_enough_history_gets_intervals_from_the_seeded_token_bootstrap() -> None:
    scores, returns, tokens = many(12, 5)
    confidence = Confidence(resamples=400, seed=3)

    result, _ = horizon_result(
        5, scores, returns, tokens=tokens, hot_threshold=0.5, confidence=confidence
    )

    expected = cluster_bootstrap(scores, returns, tokens, resamples=400, seed="3:5")
    assert (result.samples, result.tokens, result.enough) == (60, 12, True)
    assert result.rho_interval == expected.rho
    assert result.top_decile_interval == expected.top_decile_mean
    assert (result.interval_samples, result.interval_tokens, result.resamples) == (60, 12, 400)
    assert result.rho_resamples == expected.rhos
    assert result.rho_interval is not None
    assert result.rho_interval.low < (result.rho or 0) < result.rho_interval.high
    assert result.to_json()["rho_interval"] == {
        "low": result.rho_interval.low,
        "high": result.rho_interval.high,
    }
    assert "rho_resamples" not in result.to_json()


def test_the_bootstrap_thins_a_long_history_to_its_limit() -> None:
    scores, returns, tokens = many(20, 50)  # 1,000 samples
    confidence = Confidence(resamples=100, seed=1, max_samples=300)

    result, _ = horizon_result(
        15, scores, returns, tokens=tokens, hot_threshold=0.5, confidence=confidence
    )

    # Every 4th sample (ceil(1000 / 300)): 250 of them, still from all 20 tokens.
    expected = cluster_bootstrap(scores[::4], returns[::4], tokens[::4], resamples=100, seed="1:15")
    assert (result.interval_samples, result.interval_tokens) == (250, 20)
    assert result.rho_interval == expected.rho
    assert result.samples == 1000  # the figures themselves use every sample


@pytest.mark.parametrize(
    ("tokens", "per_token", "enough"),
    [(10, 3, True), (9, 4, False), (15, 1, False), (30, 1, True)],
)
def test_a_horizon_needs_30_samples_from_10_tokens(
    tokens: int, per_token: int, enough: bool
) -> None:
    scores, returns, owners = many(tokens, per_token)

    result, _ = horizon_result(
        5, scores, returns, tokens=owners, hot_threshold=0.5, confidence=Confidence(resamples=50)
    )

    assert result.enough is enough
    assert (result.rho_interval is not None) is enough


def test_no_resamples_no_intervals() -> None:
    scores, returns, tokens = many(12, 5)

    result, _ = horizon_result(
        5, scores, returns, tokens=tokens, hot_threshold=0.5, confidence=Confidence(resamples=0)
    )

    assert (result.enough, result.rho_interval, result.resamples) == (True, None, 0)


def test_an_undefined_figure_gets_no_interval() -> None:
    tokens = [t for t in range(12) for _ in range(3)]

    result, _ = horizon_result(
        5,
        [0.5] * 36,
        [0.01 * i for i in range(36)],
        tokens=tokens,
        hot_threshold=0.3,
        confidence=Confidence(resamples=50),
    )

    assert (result.rho, result.rho_interval) == (None, None)  # equal scores rank nothing
    assert (result.top_decile_mean, result.top_decile_interval) == (None, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"resamples": -1}, "resamples must be a whole number >= 0"),
        ({"max_samples": 0}, "max_samples must be a whole number >= 1"),
        ({"min_tokens": 2.5}, "min_tokens must be a whole number >= 1"),
    ],
)
def test_confidence_is_validated(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Confidence(**changes)  # type: ignore[arg-type]


def test_interval_json() -> None:
    assert Interval(-0.1, 0.2).to_json() == {"low": -0.1, "high": 0.2}

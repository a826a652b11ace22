"""Ranks, Spearman's rho (ties get average ranks), score deciles and their bootstrap intervals
resampled by token, against values by hand and a slow reference."""

import math
import statistics
from fractions import Fraction
from random import Random

import pytest

from scoring.backtest.stats import (
    Interval,
    average_ranks,
    cluster_bootstrap,
    decile_of,
    paired_difference,
    percentile_interval,
    resampled_statistics,
    sort_order,
    spearman,
    thinned,
    token_weights,
)


def reference_ranks(values: list[float]) -> list[float]:
    """Average ranks by counting, a different algorithm from the one under test."""
    return [(sum(w < v for w in values) + sum(w <= v for w in values) + 1) / 2 for v in values]


def test_it_ranks_from_one_upwards() -> None:
    assert list(average_ranks([30.0, 10.0, 20.0])) == [3.0, 1.0, 2.0]


def test_tied_values_share_the_average_of_their_ranks() -> None:
    assert list(average_ranks([10.0, 20.0, 20.0, 30.0])) == [1.0, 2.5, 2.5, 4.0]
    assert list(average_ranks([5.0, 5.0, 5.0])) == [2.0, 2.0, 2.0]
    assert list(average_ranks([7.0, 1.0, 7.0, 1.0, 7.0])) == [4.0, 1.5, 4.0, 1.5, 4.0]


def test_it_ranks_nothing_as_nothing() -> None:
    assert list(average_ranks([])) == []
    assert sort_order([]) == []


def test_spearman_is_one_for_any_increasing_relation_and_minus_one_for_a_decreasing_one() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]

    assert spearman(xs, [v**3 for v in xs]) == pytest.approx(1.0)
    assert spearman(xs, [-(v**2) for v in xs]) == pytest.approx(-1.0)


def test_spearman_with_ties_by_hand() -> None:
    # rx = [1, 2.5, 2.5, 4, 5], ry = [2, 1, 3.5, 3.5, 5], mean rank 3:
    # cov = 2 + 1 - 0.25 + 0.5 + 4 = 7.25, var x = var y = 9.5, rho = 7.25 / 9.5
    xs = [1.0, 2.0, 2.0, 3.0, 4.0]
    ys = [2.0, 1.0, 3.0, 3.0, 5.0]

    assert spearman(xs, ys) == pytest.approx(7.25 / 9.5, abs=1e-15)


def test_spearman_matches_pearson_of_reference_ranks_on_tied_data() -> None:
    xs = [0.3, 0.1, 0.3, 0.9, 0.5, 0.1, 0.7, 0.3, 0.2, 0.9]
    ys = [0.02, -0.01, 0.0, 0.05, 0.0, -0.03, 0.04, 0.01, 0.0, 0.02]

    expected = statistics.correlation(reference_ranks(xs), reference_ranks(ys))

    assert spearman(xs, ys) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("xs", "ys"),
    [([], []), ([1.0], [2.0]), ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]), ([1.0, 2.0], [4.0, 4.0])],
)
def test_spearman_is_undefined_without_two_pairs_or_with_a_constant_side(
    xs: list[float], ys: list[float]
) -> None:
    assert spearman(xs, ys) is None


def test_spearman_refuses_unpaired_lists() -> None:
    with pytest.raises(ValueError, match="3 scores against 2 returns"):
        spearman([1.0, 2.0, 3.0], [1.0, 2.0])


@pytest.mark.parametrize(
    ("rank", "n", "decile"),
    [
        (1, 100, 0),
        (10, 100, 0),
        (11, 100, 1),
        (90, 100, 8),
        (91, 100, 9),
        (100, 100, 9),
        (50.5, 100, 5),  # a tie spanning ranks 1..100 sits in the middle
        (1, 10, 0),
        (7, 10, 6),
        (10, 10, 9),
        (1, 15, 0),
        (15, 15, 9),
        (14, 15, 9),  # floor(13.5 * 10 / 15) = 9: the midpoint rule
        (1, 1, 5),  # a lone sample is its own median
    ],
)
def test_decile_of_uses_the_midpoint_of_the_rank(rank: float, n: int, decile: int) -> None:
    assert decile_of(rank, n) == decile


# Bootstrap intervals, resampled by token.


def reference_statistics(
    scores: list[float], returns: list[float], tokens: list[int], *, resamples: int, seed: object
) -> tuple[list[float | None], list[float | None]]:
    """The slow way: write each resample out in full (every sample of each drawn token, as
    often as it was drawn), rank it by counting and take Pearson's r of the ranks and the
    mean return of decile 9 with exact fractions. Only the draws are shared with the code."""
    numbered = list(dict.fromkeys(tokens))
    rng = Random(seed)
    rhos: list[float | None] = []
    tops: list[float | None] = []
    for _ in range(resamples):
        weights = token_weights(rng, len(numbered))
        drawn = [t for t, k in zip(numbered, weights, strict=True) for _ in range(k)]
        picked = [i for t in drawn for i in range(len(tokens)) if tokens[i] == t]
        xs, ys = [scores[i] for i in picked], [returns[i] for i in picked]
        rx, ry = reference_ranks(xs), reference_ranks(ys)
        constant = len(set(rx)) < 2 or len(set(ry)) < 2
        rhos.append(None if constant else statistics.correlation(rx, ry))
        n = len(xs)
        top = [
            y for r, y in zip(rx, ys, strict=True) if (Fraction(r) - Fraction(1, 2)) * 10 / n >= 9
        ]
        tops.append(sum(top) / len(top) if top else None)
    return rhos, tops


def same(values: list[float | None], expected: list[float | None]) -> bool:
    return [v is None for v in values] == [e is None for e in expected] and [
        v for v in values if v is not None
    ] == pytest.approx([e for e in expected if e is not None], abs=1e-12)


# Three tokens whose samples come interleaved, with ties in scores and returns. Token 9's
# price never moves: a resample of token 9 alone has constant returns, hence no rho.
SMALL_SCORES = [0.5, 0.2, 0.5, 0.9, 0.1, 0.5, 0.7, 0.2, 0.3, 0.9, 0.4, 0.6]
SMALL_RETURNS = [0.1, 0.0, -0.2, 0.3, 0.0, 0.0, 0.0, -0.1, 0.0, 0.0, 0.05, 0.1]
SMALL_TOKENS = [7, 7, 3, 3, 7, 9, 9, 3, 9, 9, 7, 3]


@pytest.mark.parametrize("seed", [1, "7:5", 20260302])
def test_the_resamples_match_a_slow_reference_on_a_small_sample(seed: object) -> None:
    rhos, tops = resampled_statistics(
        SMALL_SCORES, SMALL_RETURNS, SMALL_TOKENS, resamples=200, seed=seed
    )

    expected_rhos, expected_tops = reference_statistics(
        SMALL_SCORES, SMALL_RETURNS, SMALL_TOKENS, resamples=200, seed=seed
    )
    assert same(rhos, expected_rhos)
    assert same(tops, expected_tops)
    # Three tokens drawn three times make 10 different resamples; token 9 alone has no rho.
    assert any(r is None for r in rhos)
    assert len({r for r in rhos if r is not None}) == 9


def test_the_resamples_match_the_reference_with_many_ties_and_tokens() -> None:
    rng = Random(5)  # 40 tokens of 1..5 samples, scores and returns on a coarse grid
    tokens = [t for t in range(40) for _ in range(rng.randint(1, 5))]
    scores = [rng.choice([0.1, 0.2, 0.3, 0.4]) for _ in tokens]
    returns = [rng.choice([-0.1, 0.0, 0.0, 0.1, 0.2]) for _ in tokens]

    got = resampled_statistics(scores, returns, tokens, resamples=60, seed=3)

    expected = reference_statistics(scores, returns, tokens, resamples=60, seed=3)
    assert same(got[0], expected[0])
    assert same(got[1], expected[1])


def test_the_interval_is_the_middle_95_percent_of_the_reference_resamples() -> None:
    bootstrap = cluster_bootstrap(
        SMALL_SCORES, SMALL_RETURNS, SMALL_TOKENS, resamples=1000, seed=11
    )

    rhos, tops = reference_statistics(
        SMALL_SCORES, SMALL_RETURNS, SMALL_TOKENS, resamples=1000, seed=11
    )
    known = sorted(r for r in rhos if r is not None)
    assert 950 <= len(known) < 1000  # token 9 alone (1 in 27) has none
    trim = math.floor(len(known) * 0.025 + 1e-9)
    assert bootstrap.rho == Interval(pytest.approx(known[trim]), pytest.approx(known[-1 - trim]))
    # A tie of 0.9s spans the top of many resamples, leaving their top decile empty: under
    # 95% of the resamples have a value, and no interval is claimed.
    assert sum(t is not None for t in tops) < 950
    assert bootstrap.top_decile_mean is None
    assert (bootstrap.samples, bootstrap.tokens, bootstrap.resamples) == (12, 3, 1000)
    assert list(bootstrap.rhos) == pytest.approx(rhos, abs=1e-12)


def test_the_same_seed_and_data_give_the_same_interval() -> None:
    rng = Random(9)
    tokens = [t for t in range(25) for _ in range(4)]
    scores = [rng.random() for _ in tokens]
    returns = [s / 10 + rng.gauss(0, 0.05) for s in scores]

    first = cluster_bootstrap(scores, returns, tokens, resamples=300, seed=42)
    again = cluster_bootstrap(list(scores), list(returns), list(tokens), resamples=300, seed=42)
    other = cluster_bootstrap(scores, returns, tokens, resamples=300, seed=43)

    assert first == again
    assert first.rho is not None
    assert other.rho is not None
    assert first.rho != other.rho
    assert first.rho.low < spearman(scores, returns) < first.rho.high  # type: ignore[operator]


def test_it_draws_tokens_not_samples() -> None:
    # Five tokens of ten samples each; every sample of a token shares its return, and each
    # token's scores lie in a band of its own (token 4's highest). Every resample holds 50
    # samples and its top decile (5 samples) is the best-scored drawn token's, whole: the
    # top-decile mean of a resample is exactly one token's return. Resampling samples would
    # mix tokens in the top decile and take values between them.
    returns_of = [-0.375, -0.125, 0.0, 0.25, 0.5]  # binary fractions: their means are exact
    tokens = [t for t in range(5) for _ in range(10)]
    scores = [t + i / 10 for t in range(5) for i in range(10)]
    returns = [returns_of[t] for t in tokens]

    _, tops = resampled_statistics(scores, returns, tokens, resamples=400, seed=8)

    rng = Random(8)
    expected = []
    for _ in range(400):
        weights = token_weights(rng, 5)
        expected.append(returns_of[max(t for t in range(5) if weights[t])])
    assert tops == expected
    assert set(tops) <= set(returns_of)
    assert len(set(tops)) >= 3
    bootstrap = cluster_bootstrap(scores, returns, tokens, resamples=400, seed=8)
    ordered = sorted(expected)
    assert bootstrap.top_decile_mean == Interval(ordered[10], ordered[389])  # 10 = 2.5% of 400


def test_token_weights_draw_count_tokens_with_replacement() -> None:
    weights = token_weights(Random(1), 1000)
    again = token_weights(Random(1), 1000)

    assert weights == again
    assert (len(weights), sum(weights)) == (1000, 1000)
    # With replacement: about 1/e of the tokens are not drawn at all.
    assert 330 < weights.count(0) < 410
    assert max(weights) > 1


def test_percentile_interval_by_hand() -> None:
    values: list[float | None] = [float(v) for v in range(1000)]

    assert percentile_interval(values) == Interval(25.0, 974.0)
    assert percentile_interval([3.0, 1.0, 2.0]) == Interval(1.0, 3.0)  # nothing to trim
    # 40 of 1,000 unknown: still 96% known, the trim is taken of the known ones.
    assert percentile_interval(values[:960] + [None] * 40) == Interval(24.0, 935.0)
    assert percentile_interval(values[:940] + [None] * 60) is None  # under 95% known
    assert percentile_interval([]) is None


def test_intervals_overlap_when_they_share_a_value() -> None:
    assert Interval(0.1, 0.3).overlaps(Interval(0.3, 0.5))
    assert Interval(0.2, 0.4).overlaps(Interval(0.0, 1.0))
    assert not Interval(0.1, 0.29).overlaps(Interval(0.3, 0.5))
    assert not Interval(0.3, 0.5).overlaps(Interval(0.1, 0.29))


def test_the_paired_difference_is_taken_resample_by_resample() -> None:
    first: list[float | None] = [0.1 * k for k in range(40)]
    second: list[float | None] = [value + 0.05 for value in first]  # always 0.05 better

    assert paired_difference(first, second) == Interval(pytest.approx(0.05), pytest.approx(0.05))
    assert paired_difference(first, second[:-1]) is None
    assert paired_difference([], []) is None


def test_thinning_keeps_every_kth_sample_up_to_the_limit() -> None:
    samples = list(range(10))

    assert samples[thinned(10, 3)] == [0, 4, 8]  # k = ceil(10 / 3) = 4
    assert samples[thinned(10, 5)] == [0, 2, 4, 6, 8]
    assert samples[thinned(10, 50)] == samples

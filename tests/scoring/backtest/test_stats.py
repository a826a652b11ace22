"""Ranks, Spearman's rho (ties get average ranks) and score deciles, against values by hand."""

import statistics

import pytest

from scoring.backtest.stats import average_ranks, decile_of, sort_order, spearman


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

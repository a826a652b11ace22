"""Rank statistics: average ranks, Spearman's rank correlation, score deciles. Pure Python."""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

DECILES = 10


def sort_order(values: Sequence[float]) -> list[int]:
    """Indexes of ``values`` from the smallest value to the largest (stable for ties)."""
    return sorted(range(len(values)), key=values.__getitem__)


def average_ranks(values: Sequence[float], order: Sequence[int] | None = None) -> array[float]:
    """1-based ranks; tied values share the average of the ranks they span.

    ``[10, 20, 20, 30]`` -> ``[1, 2.5, 2.5, 4]``. ``order`` (from ``sort_order``) saves a sort
    when the caller has it already.
    """
    order = sort_order(values) if order is None else order
    n = len(order)
    ranks = array("d", bytes(8 * n))
    start = 0
    while start < n:
        value = values[order[start]]
        end = start + 1
        while end < n and values[order[end]] == value:
            end += 1
        rank = (start + end + 1) / 2  # mean of the 1-based ranks start+1 .. end
        for position in range(start, end):
            ranks[order[position]] = rank
        start = end
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho: the Pearson correlation of the average ranks of ``xs`` and ``ys``.

    rho = sum((rx - m)(ry - m)) / sqrt(sum((rx - m)^2) * sum((ry - m)^2)), m = (n + 1) / 2
    (average ranks always sum to n(n + 1)/2). None with fewer than 2 pairs or when either
    side is constant: no ranking, no correlation.
    """
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} scores against {len(ys)} returns")
    return rank_correlation(average_ranks(xs), average_ranks(ys))


def rank_correlation(rx: Sequence[float], ry: Sequence[float]) -> float | None:
    """The Pearson correlation of two rank vectors (see ``spearman``)."""
    n = len(rx)
    if n < 2:
        return None
    mean = (n + 1) / 2
    covariance = var_x = var_y = 0.0
    for a, b in zip(rx, ry, strict=True):
        da, db = a - mean, b - mean
        covariance += da * db
        var_x += da * da
        var_y += db * db
    if var_x == 0 or var_y == 0:
        return None
    return max(-1.0, min(1.0, covariance / math.sqrt(var_x * var_y)))


def decile_of(rank: float, n: int) -> int:
    """Score decile (0 = lowest, 9 = highest) of a sample with average rank ``rank`` of ``n``.

    decile = floor((rank - 0.5) * 10 / n), within [0, 9]: the midpoint of the sample's rank
    interval decides, so equal scores always share a decile (heavy ties leave deciles empty
    rather than splitting a tie at random). With n = 100, ranks 91..100 are the top decile.
    """
    return min(DECILES - 1, max(0, math.floor((rank - 0.5) * DECILES / n)))

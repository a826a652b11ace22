"""Rank statistics: average ranks, Spearman's rank correlation, score deciles, and their
bootstrap confidence intervals resampled by token. Pure Python."""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import add, mul
from random import Random

DECILES = 10
LEVEL = 0.95  # confidence of every interval


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
    (rank - 0.5) * 10 is exact for an average rank (a whole or half number) and one rounded
    division cannot carry it across a whole number: no sample slips over a decile line.
    """
    return min(DECILES - 1, max(0, math.floor((rank - 0.5) * DECILES / n)))


# Bootstrap confidence intervals, resampled by token (a cluster bootstrap). Snapshots of one
# token are minutes apart and share its story, so they are not independent draws: a resample
# draws tokens with replacement and takes every sample of each token drawn. Treating the
# samples as independent would make the intervals look far narrower than the history allows.


@dataclass(frozen=True)
class Interval:
    """A confidence interval [low, high] (at LEVEL)."""

    low: float
    high: float

    def overlaps(self, other: Interval) -> bool:
        """True when the two intervals share a value."""
        return self.low <= other.high and other.low <= self.high

    def to_json(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}


@dataclass(frozen=True)
class Bootstrap:
    """Intervals of Spearman's rho and of the top score decile's mean return, from
    ``resamples`` resamples of ``samples`` samples of ``tokens`` tokens (None: the statistic
    has no value on too many resamples, see ``percentile_interval``), and rho of each
    resample in draw order (two bootstraps of one sample with one seed pair up)."""

    rho: Interval | None
    top_decile_mean: Interval | None
    samples: int
    tokens: int
    resamples: int
    rhos: tuple[float | None, ...]


def thinned(count: int, limit: int) -> slice:
    """Every k-th of ``count`` samples, k = ceil(count / limit): at most ``limit`` of them.

    Samples come grouped by token and in time order, so a stride keeps every token with at
    least k samples and spreads over its life, where neighbouring snapshots tell almost the
    same story anyway. What the stride leaves is what the intervals describe.
    """
    return slice(None, None, max(1, -(-count // max(1, limit))))


_WORD = array("I").itemsize


def token_weights(rng: Random, count: int) -> list[int]:
    """How often each of ``count`` tokens is drawn in ``count`` draws with replacement.

    A draw is (w * count) >> bits of one random word w of the generator's bytes: one call to
    the generator for the whole resample instead of one per draw (the chance of a token is
    off by less than count / 2^bits, 2^32 here).
    """
    words = array("I", rng.randbytes(_WORD * count))
    if sys.byteorder == "big":
        words.byteswap()  # randbytes is little-endian: one seed, one draw, on any machine
    shift = 8 * _WORD
    weights = [0] * count
    for word in words:
        weights[(word * count) >> shift] += 1
    return weights


def percentile_interval(values: Sequence[float | None], level: float = LEVEL) -> Interval | None:
    """The middle ``level`` of the resampled values: their lowest and highest once
    floor(m x (1 - level) / 2) of the m known values are dropped at each end (25 of 1,000 at
    95%). None (no value) counts as unknown; with fewer than ``level`` of the resamples
    known, there is no honest interval and None is returned."""
    known = sorted(value for value in values if value is not None)
    if not known or len(known) < level * len(values):
        return None
    trim = math.floor(len(known) * (1 - level) / 2 + 1e-9)
    return Interval(known[trim], known[-1 - trim])


def cluster_bootstrap(
    scores: Sequence[float],
    returns: Sequence[float],
    tokens: Sequence[int],
    *,
    resamples: int,
    seed: int | str,
    level: float = LEVEL,
) -> Bootstrap:
    """Percentile intervals of rho and of the top-decile mean over ``resamples`` resamples
    by token (see ``resampled_statistics``); the same seed and data give the same intervals."""
    rhos, tops = resampled_statistics(scores, returns, tokens, resamples=resamples, seed=seed)
    return Bootstrap(
        rho=percentile_interval(rhos, level),
        top_decile_mean=percentile_interval(tops, level),
        samples=len(scores),
        tokens=len(set(tokens)),
        resamples=resamples,
        rhos=tuple(rhos),
    )


def paired_difference(
    first: Sequence[float | None], second: Sequence[float | None], level: float = LEVEL
) -> Interval | None:
    """The interval of second - first over resamples that pair up (the same tokens drawn for
    both): the sharper test of a difference, since both figures move with the draw."""
    if not first or len(first) != len(second):
        return None
    return percentile_interval(
        [None if a is None or b is None else b - a for a, b in zip(first, second, strict=True)],
        level,
    )


def resampled_statistics(
    scores: Sequence[float],
    returns: Sequence[float],
    tokens: Sequence[int],
    *,
    resamples: int,
    seed: int | str,
) -> tuple[list[float | None], list[float | None]]:
    """Spearman's rho and the top-decile mean return of each resample.

    The T distinct tokens are numbered in order of first appearance; a resample takes
    ``token_weights(Random(seed), T)`` (one call per resample, in turn) and every sample of
    each token as often as the token was drawn. Ranks are re-taken on each resample, ties
    averaged, so rho and the deciles are exactly those of ``spearman`` and ``decile_of`` on
    the resample written out in full: it is never written out.
    """
    if not len(scores) == len(returns) == len(tokens):
        raise ValueError(f"{len(scores)} scores, {len(returns)} returns, {len(tokens)} tokens")
    numbers: dict[int, int] = {}
    clusters = [numbers.setdefault(token, len(numbers)) for token in tokens]
    count = len(numbers)
    sample = _Clustered(scores, returns, clusters, count)
    rng = Random(seed)
    rhos: list[float | None] = []
    tops: list[float | None] = []
    for _ in range(resamples):
        rho, top = sample.statistics(token_weights(rng, count))
        rhos.append(rho)
        tops.append(top)
    return rhos, tops


class _Ranked:
    """One side of the sample (scores or returns), sorted once so that a resample re-ranks it
    in a few linear passes instead of a sort.

    A resample gives token t a weight w_t (how often it was drawn). In sorted order, with c
    the running weight, a tie group at positions [s, e) holds the resample's copies of its
    samples at ranks c[s] + 1 .. c[e], so their average rank is R = (c[s] + c[e] + 1) / 2.
    It is kept as the integer 2R - 1 = c[s] + c[e]: every sum below is exact.
    """

    def __init__(self, values: Sequence[float], clusters: Sequence[int], count: int) -> None:
        self.order = sort_order(values)
        self.clusters = [clusters[i] for i in self.order]  # the token at each position
        self.untied = [0] * count  # per token: its positions in no tie group
        self.groups: list[tuple[int, int]] = []  # tie groups of two positions or more
        n, start = len(self.order), 0
        while start < n:
            value = values[self.order[start]]
            end = start + 1
            while end < n and values[self.order[end]] == value:
                end += 1
            if end - start > 1:
                self.groups.append((start, end))
            else:
                self.untied[self.clusters[start]] += 1
            start = end
        # A few tie groups (the zero return, a held score) are overwritten group by group;
        # many small ones are cheaper looked up position by position.
        self.bounds = _group_bounds(n, self.groups) if len(self.groups) * 16 > n else None

    def ranks(
        self, weights: Sequence[int], cubed: Sequence[int]
    ) -> tuple[list[int], list[int], list[int], int]:
        """Under token ``weights`` (and their cubes): the weight of each position, the
        running weight c[0..n] (c[p] = the weight before position p), 2R - 1 at each
        position, and the sum of the cubed weights of the resample's tie groups (for the
        variance of the ranks)."""
        w = [weights[token] for token in self.clusters]
        c = list(accumulate(w, initial=0))
        if self.bounds is None:
            twice = list(map(add, c, c[1:]))  # a position alone: c[p] + c[p + 1]
            for start, end in self.groups:
                twice[start:end] = [c[start] + c[end]] * (end - start)
        else:
            firsts, lasts = self.bounds
            twice = list(map(add, map(c.__getitem__, firsts), map(c.__getitem__, lasts)))
        cubes: int = sum(map(mul, cubed, self.untied))
        cubes += sum((c[end] - c[start]) ** 3 for start, end in self.groups)
        return w, c, twice, cubes


def _group_bounds(n: int, groups: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """For each of n positions, where its tie group starts and ends (a lone position: p, p + 1)."""
    firsts, lasts = list(range(n)), list(range(1, n + 1))
    for start, end in groups:
        firsts[start:end] = [start] * (end - start)
        lasts[start:end] = [end] * (end - start)
    return firsts, lasts


class _Clustered:
    """Scores, returns and tokens prepared for resampling (see ``resampled_statistics``)."""

    def __init__(
        self,
        scores: Sequence[float],
        returns: Sequence[float],
        clusters: Sequence[int],
        count: int,
    ) -> None:
        self.scores = _Ranked(scores, clusters, count)
        self.returns = _Ranked(returns, clusters, count)
        position = [0] * len(returns)
        for p, i in enumerate(self.returns.order):
            position[i] = p
        # For each score position, the same sample's position among the returns.
        self.paired = [position[i] for i in self.scores.order]
        self.returns_by_score = [returns[i] for i in self.scores.order]

    def statistics(self, weights: Sequence[int]) -> tuple[float | None, float | None]:
        """(rho, top-decile mean) of the resample with token ``weights``.

        With N = the resample's size and x = 2R - 1 (mean N): sum w (x - N)^2 = (N^3 - sum
        of cubed tie-group weights) / 3, the tie-corrected variance of average ranks, and
        sum w (x - N)(y - N) = sum w x y - N^3; rho is their correlation.
        """
        cubed_weights = [k * k * k for k in weights]
        w, c, x, cubes_x = self.scores.ranks(weights, cubed_weights)
        _, _, y, cubes_y = self.returns.ranks(weights, cubed_weights)
        size = c[-1]
        cubed = size**3
        spread = (cubed - cubes_x) * (cubed - cubes_y)
        rho = None
        if spread > 0:
            cross: int = sum(map(mul, map(mul, w, x), map(y.__getitem__, self.paired)))
            rho = max(-1.0, min(1.0, 3 * (cross - cubed) / math.sqrt(spread)))
        return rho, self._top_decile_mean(w, c, x, size)

    def _top_decile_mean(
        self, w: Sequence[int], c: Sequence[int], x: Sequence[int], size: int
    ) -> float | None:
        # decile_of puts 2R - 1 >= 2N (D - 1) / D in the top decile; x ascends with the score.
        cut = -(-2 * size * (DECILES - 1) // DECILES)
        start = bisect_left(x, cut)
        weight = size - c[start]
        if weight <= 0:
            return None  # one tie spans the top: the top decile is empty, as without resampling
        total: float = sum(map(mul, w[start:], self.returns_by_score[start:]))
        return total / weight

"""The figures of a backtest: per horizon, per threshold, per variant. Pure Python."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scoring.engine import ScoringParams, weight_fields

from .stats import DECILES, average_ranks, rank_correlation, sort_order

# The ScoringParams a replay can change. The others (kept-pool filters, activation) shaped
# the stored metrics themselves, so stored history cannot say what they would have done.
TUNABLE_FIELDS = (
    "scoring_model_active",
    *weight_fields(),
    "ewma_alpha",
    "freshness_threshold_hours",
    "min_score",
)


@dataclass(frozen=True)
class HorizonResult:
    """What the scores said about the price ``minutes`` later.

    ``samples``: snapshots with a forward return. ``decile_means``: mean forward return of each
    score decile, lowest first (None for an empty decile). Hot calls: samples whose score is
    >= ``hot_threshold`` (the variant's min_score); a hit is a call followed by a positive
    return. ``base_rate``: the share of all samples followed by a positive return, the hit
    rate of calling every snapshot hot.
    """

    minutes: int
    samples: int
    rho: float | None
    decile_means: tuple[float | None, ...]
    decile_counts: tuple[int, ...]
    top_decile_mean: float | None
    rest_mean: float | None
    hot_threshold: float
    calls: int
    hits: int
    base_rate: float | None

    @property
    def hit_rate(self) -> float | None:
        """hits / calls; None without a call."""
        return self.hits / self.calls if self.calls else None

    @property
    def spread(self) -> float | None:
        """Top-decile mean minus the rest's mean: what the ranking earns."""
        if self.top_decile_mean is None or self.rest_mean is None:
            return None
        return self.top_decile_mean - self.rest_mean

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(hit_rate=self.hit_rate, spread=self.spread)
        return data


@dataclass(frozen=True)
class ThresholdRow:
    """What calling "hot" from ``threshold`` on would have done.

    ``tokens``: tokens whose score reached it at least once; ``snapshots``: snapshots at or
    above it; per horizon, ``calls`` (those with a forward return) and their ``hit_rates``.
    """

    threshold: float
    tokens: int
    snapshots: int
    calls: tuple[int, ...]
    hit_rates: tuple[float | None, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BacktestResult:
    """One variant (a model and its settings) replayed over one history."""

    label: str
    params: ScoringParams
    signal: str  # "smoothed" or "raw": which score was judged
    snapshots: int
    tokens: int
    held: int  # fallback and emergency snapshots, replayed as the engine holds them
    horizons: tuple[HorizonResult, ...]
    thresholds: tuple[ThresholdRow, ...]

    def horizon(self, minutes: int) -> HorizonResult:
        """The figures at ``minutes``; KeyError when that horizon was not measured."""
        for result in self.horizons:
            if result.minutes == minutes:
                return result
        raise KeyError(minutes)

    def settings(self) -> dict[str, Any]:
        """The tunable settings this variant ran with (see TUNABLE_FIELDS)."""
        return {name: getattr(self.params, name) for name in TUNABLE_FIELDS}

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "settings": self.settings(),
            "signal": self.signal,
            "snapshots": self.snapshots,
            "tokens": self.tokens,
            "held": self.held,
            "horizons": [result.to_json() for result in self.horizons],
            "thresholds": [row.to_json() for row in self.thresholds],
        }


@dataclass(frozen=True)
class Tally:
    """Calls (samples with a score >= the threshold) and hits (those with a positive return)."""

    calls: int
    hits: int

    @property
    def hit_rate(self) -> float | None:
        return self.hits / self.calls if self.calls else None


def horizon_result(
    minutes: int,
    scores: Sequence[float],
    returns: Sequence[float],
    *,
    hot_threshold: float,
    thresholds: Sequence[float] = (),
) -> tuple[HorizonResult, list[Tally]]:
    """The figures of one horizon from its (score, forward return) samples, and the tallies
    of ``thresholds`` (in their order)."""
    n = len(scores)
    order = sort_order(scores)
    score_ranks = average_ranks(scores, order)
    rho = rank_correlation(score_ranks, average_ranks(returns))
    sums, counts = _decile_sums(score_ranks, returns)
    tallies = tally(order, scores, returns, [hot_threshold, -math.inf, *thresholds])
    hot, everything = tallies[0], tallies[1]
    result = HorizonResult(
        minutes=minutes,
        samples=n,
        rho=rho,
        decile_means=tuple(_mean(s, c) for s, c in zip(sums, counts, strict=True)),
        decile_counts=tuple(counts),
        top_decile_mean=_mean(sums[-1], counts[-1]),
        rest_mean=_mean(sum(sums[:-1]), sum(counts[:-1])),
        hot_threshold=hot_threshold,
        calls=hot.calls,
        hits=hot.hits,
        base_rate=everything.hit_rate,
    )
    return result, tallies[2:]


def tally(
    order: Sequence[int],
    scores: Sequence[float],
    returns: Sequence[float],
    thresholds: Sequence[float],
) -> list[Tally]:
    """For each threshold: samples with score >= it, and how many of them had a return > 0.

    ``order`` sorts ``scores`` ascending, so each threshold cuts it once (bisect) and one walk
    from the top counts the positive returns above every cut.
    """
    n = len(order)
    cuts = [bisect_left(order, t, key=scores.__getitem__) for t in thresholds]
    hits_from: dict[int, int] = {}
    position, hits = n, 0
    for cut in sorted(set(cuts), reverse=True):
        for k in range(cut, position):
            hits += returns[order[k]] > 0
        position = cut
        hits_from[cut] = hits
    return [Tally(n - cut, hits_from[cut]) for cut in cuts]


def _decile_sums(ranks: Sequence[float], returns: Sequence[float]) -> tuple[list[float], list[int]]:
    """Sum and count of forward returns per score decile (see stats.decile_of, inlined)."""
    n = len(ranks)
    sums, counts = [0.0] * DECILES, [0] * DECILES
    top = DECILES - 1
    scale = DECILES / n if n else 0.0
    for rank, value in zip(ranks, returns, strict=True):
        decile = min(top, int((rank - 0.5) * scale))  # rank >= 1: int() floors
        sums[decile] += value
        counts[decile] += 1
    return sums, counts


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None

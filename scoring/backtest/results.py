"""The figures of a backtest: per horizon, per threshold, per variant. Pure Python."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from scoring.engine import ScoringParams, weight_fields

from .stats import (
    DECILES,
    Bootstrap,
    Interval,
    average_ranks,
    cluster_bootstrap,
    rank_correlation,
    sort_order,
    thinned,
)

# The ScoringParams a replay can change. The others (kept-pool filters, activation) shaped
# the stored metrics themselves, so stored history cannot say what they would have done.
TUNABLE_FIELDS = (
    "scoring_model_active",
    *weight_fields(),
    "ewma_alpha",
    "freshness_threshold_hours",
    "min_score",
)
RESAMPLES = 1000
SEED = 7
BOOTSTRAP_SAMPLES = 3000
MIN_SAMPLES = 30
MIN_TOKENS = 10


@dataclass(frozen=True)
class Confidence:
    """How sure a horizon's figures are: its bootstrap and the history it needs.

    Intervals come from ``resamples`` resamples by token, seeded by ``seed`` and the horizon
    (the same history gives the same intervals), over at most ``max_samples`` of the
    horizon's samples (``stats.thinned``: the resampling is linear in the samples, and 1,000
    resamples of a million would take minutes). A horizon with fewer than ``min_samples``
    samples or ``min_tokens`` tokens has too little history to judge: no intervals, and the
    reports say so instead of showing its figures. ``resamples=0`` draws no intervals.
    """

    resamples: int = RESAMPLES
    seed: int = SEED
    max_samples: int = BOOTSTRAP_SAMPLES
    min_samples: int = MIN_SAMPLES
    min_tokens: int = MIN_TOKENS

    def __post_init__(self) -> None:
        for name in ("resamples", "max_samples", "min_samples", "min_tokens"):
            value = getattr(self, name)
            least = 0 if name == "resamples" else 1
            if not (isinstance(value, int) and value >= least):
                raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")

    def to_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class HorizonResult:
    """What the scores said about the price ``minutes`` later.

    ``samples``: snapshots with a forward return, from ``tokens`` tokens; ``enough``: they
    reach the Confidence minimums (else the figures are not worth reading). ``decile_means``:
    mean forward return of each score decile, lowest first (None for an empty decile). Hot
    calls: samples whose score is >= ``hot_threshold`` (the variant's min_score); a hit is a
    call followed by a positive return. ``base_rate``: the share of all samples followed by a
    positive return, the hit rate of calling every snapshot hot.

    ``rho_interval``, ``top_decile_interval``: 95% bootstrap intervals resampled by token,
    over ``interval_samples`` of the samples (``interval_tokens`` tokens) in ``resamples``
    resamples; None without enough history or when the figure has no value.
    ``rho_resamples``: rho of each resample, in draw order, for a paired comparison.
    """

    minutes: int
    samples: int
    tokens: int
    enough: bool
    rho: float | None
    decile_means: tuple[float | None, ...]
    decile_counts: tuple[int, ...]
    top_decile_mean: float | None
    rest_mean: float | None
    hot_threshold: float
    calls: int
    hits: int
    base_rate: float | None
    rho_interval: Interval | None = None
    top_decile_interval: Interval | None = None
    interval_samples: int = 0
    interval_tokens: int = 0
    resamples: int = 0
    rho_resamples: tuple[float | None, ...] = field(default=(), repr=False, compare=False)

    @property
    def hit_rate(self) -> float | None:
        """hits / calls; None without a call."""
        return self.hits / self.calls if self.calls else None

    @property
    def hot_share(self) -> float | None:
        """calls / samples: how much of the history the hot line calls; None without samples."""
        return self.calls / self.samples if self.samples else None

    @property
    def spread(self) -> float | None:
        """Top-decile mean minus the rest's mean: what the ranking earns."""
        if self.top_decile_mean is None or self.rest_mean is None:
            return None
        return self.top_decile_mean - self.rest_mean

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rho_resamples"}
        for name in ("rho_interval", "top_decile_interval"):
            interval = data[name]
            data[name] = interval.to_json() if interval is not None else None
        data.update(hit_rate=self.hit_rate, spread=self.spread, hot_share=self.hot_share)
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
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class BacktestResult:
    """One variant (a model and its settings) replayed over one history.

    Hot as the lifecycle sees it (smoothed score >= min_score, whichever score is judged):
    ``hot_snapshots`` of all snapshots; and at each whole minute of the history (``moments``
    minutes with a live token: one between its first and last snapshot, in the state of its
    latest snapshot), the share of live tokens that were hot, averaged in
    ``hot_token_share``.
    """

    label: str
    params: ScoringParams
    signal: str  # "smoothed" or "raw": which score was judged
    snapshots: int
    tokens: int
    held: int  # fallback and emergency snapshots, replayed as the engine holds them
    horizons: tuple[HorizonResult, ...]
    thresholds: tuple[ThresholdRow, ...]
    hot_snapshots: int = 0
    moments: int = 0
    hot_token_share: float | None = None

    @property
    def hot_share(self) -> float | None:
        """hot_snapshots / snapshots; None without a snapshot."""
        return self.hot_snapshots / self.snapshots if self.snapshots else None

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
            "hot_snapshots": self.hot_snapshots,
            "hot_share": self.hot_share,
            "moments": self.moments,
            "hot_token_share": self.hot_token_share,
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
    tokens: Sequence[int],
    hot_threshold: float,
    thresholds: Sequence[float] = (),
    confidence: Confidence = Confidence(),
) -> tuple[HorizonResult, list[Tally]]:
    """The figures of one horizon from its (score, forward return, token) samples, and the
    tallies of ``thresholds`` (in their order)."""
    n = len(scores)
    if not n == len(returns) == len(tokens):
        raise ValueError(f"{n} scores, {len(returns)} returns, {len(tokens)} tokens")
    order = sort_order(scores)
    score_ranks = average_ranks(scores, order)
    rho = rank_correlation(score_ranks, average_ranks(returns))
    sums, counts = _decile_sums(score_ranks, returns)
    tallies = tally(order, scores, returns, [hot_threshold, -math.inf, *thresholds])
    hot, everything = tallies[0], tallies[1]
    distinct = len(set(tokens))
    enough = n >= confidence.min_samples and distinct >= confidence.min_tokens
    result = HorizonResult(
        minutes=minutes,
        samples=n,
        tokens=distinct,
        enough=enough,
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
    if enough and confidence.resamples:
        result = _with_intervals(result, _bootstrap(minutes, scores, returns, tokens, confidence))
    return result, tallies[2:]


def _bootstrap(
    minutes: int,
    scores: Sequence[float],
    returns: Sequence[float],
    tokens: Sequence[int],
    confidence: Confidence,
) -> Bootstrap:
    step = thinned(len(scores), confidence.max_samples)
    return cluster_bootstrap(
        scores[step],
        returns[step],
        tokens[step],
        resamples=confidence.resamples,
        # Seeded by the horizon too: each horizon draws on its own, and every variant
        # measured over the same samples draws the same tokens, so their resamples pair up.
        seed=f"{confidence.seed}:{minutes}",
    )


def _with_intervals(result: HorizonResult, bootstrap: Bootstrap) -> HorizonResult:
    return replace(
        result,
        # No figure, no interval: a resampled value of an undefined figure describes nothing.
        rho_interval=bootstrap.rho if result.rho is not None else None,
        top_decile_interval=(
            bootstrap.top_decile_mean if result.top_decile_mean is not None else None
        ),
        interval_samples=bootstrap.samples,
        interval_tokens=bootstrap.tokens,
        resamples=bootstrap.resamples,
        rho_resamples=bootstrap.rhos,
    )


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
    for rank, value in zip(ranks, returns, strict=True):
        # rank >= 1: int() floors. Multiply, then divide: see stats.decile_of for why exact.
        decile = min(top, int((rank - 0.5) * DECILES / n))
        sums[decile] += value
        counts[decile] += 1
    return sums, counts


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None

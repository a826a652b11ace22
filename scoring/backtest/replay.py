"""Replaying stored snapshots through a model and its EWMA, and the backtest loop over tokens.

Pure Python: rows in (from the database or a test), results out.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from scoring.engine import (
    EMERGENCY,
    FALLBACK,
    Aggregation,
    Metrics,
    ScoringParams,
    evaluate,
    ewma,
    get_model,
)
from scoring.engine.evaluate import HISTORY
from scoring.engine.flags import is_rugged
from scoring.engine.issues import critical

from .results import BacktestResult, Confidence, HorizonResult, ThresholdRow, horizon_result
from .returns import TOLERANCE_FRACTION, forward_returns

SIGNALS = ("smoothed", "raw")
HORIZONS = (5, 15, 60)  # minutes
THRESHOLDS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
SECONDS_PER_MINUTE = 60.0
MOMENT_SECONDS = 60.0  # the live tokens' hot share is taken at every whole minute
_HELD = (FALLBACK, EMERGENCY)
# What the engine is handed to hold an emergency row: any critical issue will do.
_BLOCKED = Aggregation(
    pools=(),
    metrics=None,
    issues=(critical("replayed", "a stored emergency snapshot"),),
    name=None,
    symbol=None,
    image_url=None,
)


class SnapshotRow(NamedTuple):
    """One stored TokenScore, as far as a replay cares.

    ``at``: created_at in seconds since the epoch. ``metrics``: the stored inputs rebuilt as
    ``Metrics`` (its ``price_usd`` is the primary pool's USD price); None when the row holds
    none (fallback and emergency rows).
    """

    token_id: int
    at: float
    fallback: str | None
    metrics: Metrics | None


class Replay(NamedTuple):
    """Scores and smoothed scores of one token's snapshots, in the rows' order."""

    scores: list[float]
    smoothed: list[float]
    held: int


@dataclass(frozen=True)
class Variant:
    """A model and its settings, under a label (e.g. "A: current v3")."""

    label: str
    params: ScoringParams


@dataclass(frozen=True)
class BacktestOptions:
    """What is measured: horizons in minutes, which score is judged ("smoothed" or "raw"),
    how late a forward price may be (a fraction of the horizon), the hot thresholds whose
    flagged tokens are counted (each variant's min_score is added), and the bootstrap and
    minimum history of every horizon (``confidence``)."""

    horizons: tuple[int, ...] = HORIZONS
    signal: str = "smoothed"
    tolerance: float = TOLERANCE_FRACTION
    thresholds: tuple[float, ...] = THRESHOLDS
    confidence: Confidence = field(default_factory=Confidence)

    def __post_init__(self) -> None:
        if self.signal not in SIGNALS:
            raise ValueError(f"signal must be one of {SIGNALS}, got {self.signal!r}")
        if not self.horizons or any(h <= 0 for h in self.horizons):
            raise ValueError(f"horizons must be positive minutes, got {self.horizons!r}")
        if not self.tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0, got {self.tolerance!r}")


def replay_token(rows: Sequence[SnapshotRow], params: ScoringParams) -> Replay:
    """Re-score one token's snapshots (time order) as a refresh with ``params`` would have.

    Rows with metrics: score = model.combine(model.compute(metrics)), smoothed = EWMA of
    the score (the first value as is), and the smoothed score joins the recent good scores;
    a model that zeroes rugs scores a rugged row 0 and smooths on from 0, as ``evaluate``.
    Fallback and emergency rows (and rows without metrics): the engine's held value from the
    last 10 replayed good smoothed scores (0.7 x mean, 0.5 x median), EWMA state unchanged.
    The EWMA starts at the first row given: history before it is not replayed.
    """
    model = get_model(params.scoring_model_active)
    alpha = params.ewma_alpha
    scores: list[float] = []
    smoothed: list[float] = []
    state: float | None = None
    recent: deque[float] = deque(maxlen=HISTORY)  # newest first
    held = 0
    for row in rows:
        metrics = row.metrics
        if metrics is None or row.fallback in _HELD:
            value = _held_score(row.fallback, recent, params)
            scores.append(value)
            smoothed.append(value)
            held += 1
            continue
        score = model.combine(model.compute(metrics, params), params)
        state = ewma(score, state, alpha)
        if model.zero_when_rugged and is_rugged(metrics, params):
            score = state = 0.0
        recent.appendleft(state)
        scores.append(score)
        smoothed.append(state)
    return Replay(scores, smoothed, held)


def _held_score(kind: str | None, good: Iterable[float], params: ScoringParams) -> float:
    """The engine's own fallback arithmetic, so a replay holds exactly as a refresh did."""
    recent = list(good)  # evaluate() slices it; a deque does not slice
    if kind == EMERGENCY:
        return evaluate(_BLOCKED, params, previous=None, recent_good_smoothed=recent).score
    return evaluate(
        None, params, previous=None, recent_good_smoothed=recent, fetch_error="replayed"
    ).score


def backtest(
    rows: Iterable[SnapshotRow],
    variants: Sequence[Variant],
    options: BacktestOptions | None = None,
) -> list[BacktestResult]:
    """Replay ``rows`` through every variant in one pass; one result per variant.

    ``rows`` must come grouped by token, each token's rows in time order (as
    ``history.snapshot_stream`` yields them); only one token's rows are held at a time, plus
    a (score, forward return) pair per sample and horizon. Forward returns depend on prices
    only, so they are computed once per token for all variants.
    """
    options = options or BacktestOptions()
    thresholds = sorted({*options.thresholds, *(v.params.min_score for v in variants)})
    runs = [_Run(variant, options, thresholds) for variant in variants]
    seen: set[int] = set()
    for token_id, group in groupby(rows, key=attrgetter("token_id")):
        if token_id in seen:
            raise ValueError(f"rows of token {token_id} are not contiguous: order by token")
        seen.add(token_id)
        history = list(group)
        forwards = _forward_returns(history, options)
        for run in runs:
            run.add_token(history, forwards)
    return [run.result() for run in runs]


def _forward_returns(
    history: Sequence[SnapshotRow], options: BacktestOptions
) -> list[list[float | None]]:
    times = [row.at for row in history]
    prices = [row.metrics.price_usd if row.metrics else None for row in history]
    out = []
    for minutes in options.horizons:
        horizon = minutes * SECONDS_PER_MINUTE
        out.append(forward_returns(times, prices, horizon, horizon * options.tolerance))
    return out


class _Run:
    """One variant's replay in progress: its samples per horizon (score, forward return and
    the token's number, for resampling by token), threshold counts and hot counts."""

    def __init__(self, variant: Variant, options: BacktestOptions, thresholds: list[float]):
        self.variant = variant
        self.options = options
        self.thresholds = thresholds
        self.scores = [array("d") for _ in options.horizons]
        self.returns = [array("d") for _ in options.horizons]
        self.sample_tokens = [array("I") for _ in options.horizons]
        self.flagged_tokens = [0] * len(thresholds)
        self.flagged_snapshots = [0] * len(thresholds)
        self.snapshots = self.tokens = self.held = self.hot_snapshots = 0
        self.live: dict[int, int] = {}  # minute -> tokens live then
        self.hot: dict[int, int] = {}  # minute -> of those, the hot ones

    def add_token(
        self, history: Sequence[SnapshotRow], forwards: Sequence[Sequence[float | None]]
    ) -> None:
        replay = replay_token(history, self.variant.params)
        signals = replay.smoothed if self.options.signal == "smoothed" else replay.scores
        number = array("I", [self.tokens])
        self.snapshots += len(history)
        self.tokens += 1
        self.held += replay.held
        isfinite = math.isfinite
        for scores, returns, tokens, forward in zip(
            self.scores, self.returns, self.sample_tokens, forwards, strict=True
        ):
            before = len(scores)
            for signal, value in zip(signals, forward, strict=True):
                if value is not None and isfinite(value) and isfinite(signal):
                    scores.append(signal)
                    returns.append(value)
            tokens.extend(number * (len(scores) - before))
        ordered = sorted(signals)
        for index, threshold in enumerate(self.thresholds):
            above = len(ordered) - bisect_left(ordered, threshold)
            self.flagged_tokens[index] += above > 0
            self.flagged_snapshots[index] += above
        smoothed = ordered if signals is replay.smoothed else sorted(replay.smoothed)
        self.hot_snapshots += len(smoothed) - bisect_left(smoothed, self.variant.params.min_score)
        self._count_hot_minutes([row.at for row in history], replay.smoothed)

    def _count_hot_minutes(self, times: Sequence[float], smoothed: Sequence[float]) -> None:
        """Hot as the lifecycle reads it (smoothed score >= min_score) at each whole minute
        from the token's first snapshot to its last, in the state of its latest snapshot: a
        cold token is refreshed less often than a hot one, but it is live all along."""
        min_score = self.variant.params.min_score
        live, hot = self.live, self.hot
        latest = 0
        first = math.ceil(times[0] / MOMENT_SECONDS)
        for minute in range(first, math.floor(times[-1] / MOMENT_SECONDS) + 1):
            moment = minute * MOMENT_SECONDS
            while latest + 1 < len(times) and times[latest + 1] <= moment:
                latest += 1
            live[minute] = live.get(minute, 0) + 1
            if smoothed[latest] >= min_score:
                hot[minute] = hot.get(minute, 0) + 1

    def hot_token_share(self) -> float | None:
        """The mean, over the minutes with a live token, of the share of them that were hot."""
        shares = [self.hot.get(minute, 0) / live for minute, live in self.live.items()]
        return sum(shares) / len(shares) if shares else None

    def result(self) -> BacktestResult:
        horizons: list[HorizonResult] = []
        calls: list[list[int]] = [[] for _ in self.thresholds]
        rates: list[list[float | None]] = [[] for _ in self.thresholds]
        for minutes, scores, returns, tokens in zip(
            self.options.horizons, self.scores, self.returns, self.sample_tokens, strict=True
        ):
            result, tallies = horizon_result(
                minutes,
                scores,
                returns,
                tokens=tokens,
                hot_threshold=self.variant.params.min_score,
                thresholds=self.thresholds,
                confidence=self.options.confidence,
            )
            horizons.append(result)
            for index, counted in enumerate(tallies):
                calls[index].append(counted.calls)
                rates[index].append(counted.hit_rate)
        rows = tuple(
            ThresholdRow(
                t,
                self.flagged_tokens[i],
                self.flagged_snapshots[i],
                tuple(calls[i]),
                tuple(rates[i]),
            )
            for i, t in enumerate(self.thresholds)
        )
        return BacktestResult(
            label=self.variant.label,
            params=self.variant.params,
            signal=self.options.signal,
            snapshots=self.snapshots,
            tokens=self.tokens,
            held=self.held,
            horizons=tuple(horizons),
            thresholds=rows,
            hot_snapshots=self.hot_snapshots,
            moments=len(self.live),
            hot_token_share=self.hot_token_share(),
        )

"""Geometry of the server-rendered charts of a token: its score and its price over the same
snapshots, on the same time axis (so the two line up), with a line broken wherever refreshes
stopped. Snapshots in, pixel coordinates out.

Plain Python (no Django) so the arithmetic is tested on its own; the templates only draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moon.lib.svg import Scale, Tick, time_label, time_ticks, value_ticks

MARGIN = (12, 16, 24, 64)  # top, right, bottom, left: room for a price's labels too


@dataclass(frozen=True)
class Snapshot:
    """One stored TokenScore, as far as the chart cares."""

    at: datetime
    score: float
    smoothed_score: float
    fallback: str | None = None
    price: float | None = None  # the primary pool's priceUsd then


@dataclass(frozen=True)
class ChartPoint:
    """A snapshot placed on the chart, with the band of x pixels that hovers it."""

    snapshot: Snapshot
    x: float
    y_score: float
    y_smoothed: float
    band_left: float
    band_width: float


@dataclass(frozen=True)
class ScoreChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    points: tuple[ChartPoint, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    threshold_y: float | None  # the hot line, when it falls inside the value range

    segments: tuple[tuple[int, ...], ...] = ()  # runs of point indices without a gap

    @property
    def score_lines(self) -> list[str]:
        """SVG polyline points of the raw score, one per run of snapshots without a gap."""
        return [_line(self.points, run, "y_score") for run in self.segments]

    @property
    def smoothed_lines(self) -> list[str]:
        """SVG polyline points of the smoothed score, one per run."""
        return [_line(self.points, run, "y_smoothed") for run in self.segments]

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top


def score_chart(
    snapshots: Sequence[Snapshot],
    *,
    width: int = 1200,
    height: int = 250,
    threshold: float | None = None,
    gap_seconds: float | None = None,
    margin: tuple[int, int, int, int] = MARGIN,
) -> ScoreChart:
    """Place `snapshots` (oldest first) on a time x axis and a shared score y axis.

    y covers every raw and smoothed score and 0; the hot `threshold` is drawn when in range.
    Each point owns the x band halfway to its neighbours, so hovering anywhere near it works.
    Two snapshots more than `gap_seconds` apart are not joined: refreshes stopped between.
    """
    top, right, bottom, left = margin
    x0, x1, y0, y1 = float(left), float(width - right), float(height - bottom), float(top)
    values = [v for s in snapshots for v in (s.score, s.smoothed_score)] or [0.0]
    ticks = value_ticks(min(0.0, *values), max(values))
    y = Scale(ticks[0], ticks[-1], y0, y1)
    times = [s.at.timestamp() for s in snapshots] or [0.0]
    x = Scale(min(times), max(times), x0, x1)
    xs = [x(t) for t in times]
    points = tuple(
        ChartPoint(s, xs[i], y(s.score), y(s.smoothed_score), *_band(xs, i, x0, x1))
        for i, s in enumerate(snapshots)
    )
    shown = threshold is not None and ticks[0] <= threshold <= ticks[-1]
    return ScoreChart(
        width=width,
        height=height,
        left=x0,
        top=y1,
        right=x1,
        bottom=y0,
        points=points,
        y_ticks=tuple(Tick(y(v), f"{v:g}") for v in ticks),
        x_ticks=_time_axis(snapshots, x),
        threshold_y=y(threshold) if shown and threshold is not None else None,
        segments=runs(snapshots, gap_seconds),
    )


def _band(xs: Sequence[float], i: int, x0: float, x1: float) -> tuple[float, float]:
    """Left edge and width of the hover band of point i: halfway to each neighbour."""
    left = (xs[i - 1] + xs[i]) / 2 if i > 0 else x0
    right = (xs[i] + xs[i + 1]) / 2 if i + 1 < len(xs) else x1
    if len(xs) == 1:
        left, right = x0, x1
    return left, max(right - left, 0.0)


def _time_axis(snapshots: Sequence[Snapshot], x: Scale) -> tuple[Tick, ...]:
    if not snapshots:
        return ()
    start, end = snapshots[0].at, snapshots[-1].at
    span = (end - start).total_seconds()
    if span <= 0:
        return (Tick(x(start.timestamp()), time_label(start, 0)),)
    return tuple(
        Tick(x(moment.timestamp()), time_label(moment, span)) for moment in time_ticks(start, end)
    )


def runs(snapshots: Sequence[Snapshot], gap_seconds: float | None) -> tuple[tuple[int, ...], ...]:
    """The indices of `snapshots` cut wherever two neighbours lie more than `gap_seconds`
    apart (None: never)."""
    cuts: list[list[int]] = []
    for i, snapshot in enumerate(snapshots):
        apart = i > 0 and (snapshot.at - snapshots[i - 1].at).total_seconds()
        if not cuts or (gap_seconds is not None and apart and apart > gap_seconds):
            cuts.append([])
        cuts[-1].append(i)
    return tuple(tuple(run) for run in cuts)


def _line(points: Sequence[Any], run: Sequence[int], attribute: str) -> str:
    return " ".join(f"{points[i].x:.1f},{getattr(points[i], attribute):.1f}" for i in run)


# --- The price chart ----------------------------------------------------------------------------

# The price axis spans the 5th to 95th percentile of the prices, widened by this share of that
# span on each side (never past the extremes): a one-off spike is drawn clipped at the edge
# instead of flattening every other point into a line.
ROBUST_QUANTILE = 0.05
ROBUST_MARGIN = 0.25
ROBUST_MIN_POINTS = 10  # fewer prices than this: the axis covers them all
# The newest prices are always inside the axis: a breakout in progress is news, not a spike.
ROBUST_KEEP_LATEST = 3


@dataclass(frozen=True)
class PricePoint:
    snapshot: Snapshot
    x: float
    y: float
    clipped: str  # "high" or "low" when its price lies beyond the axis, else ""


@dataclass(frozen=True)
class PriceChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    points: tuple[PricePoint, ...]  # the snapshots that have a price
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    segments: tuple[tuple[int, ...], ...]  # runs of `points` indices without a gap
    domain: tuple[float, float]  # the prices the y axis spans

    @property
    def lines(self) -> list[str]:
        return [_line(self.points, run, "y") for run in self.segments if len(run) > 1]

    @property
    def clipped(self) -> int:
        return sum(1 for point in self.points if point.clipped)


def robust_domain(values: Sequence[float]) -> tuple[float, float]:
    """The price range an axis should span (see ROBUST_QUANTILE)."""
    ordered = sorted(values)
    lo, hi = ordered[0], ordered[-1]
    if len(ordered) < ROBUST_MIN_POINTS:
        return lo, hi
    q_lo, q_hi = _quantile(ordered, ROBUST_QUANTILE), _quantile(ordered, 1 - ROBUST_QUANTILE)
    spread = q_hi - q_lo
    if spread <= 0:
        spread = abs(q_hi) * 0.1 or 1.0
    return max(lo, q_lo - ROBUST_MARGIN * spread), min(hi, q_hi + ROBUST_MARGIN * spread)


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def price_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round ticks over [lo, hi] at any magnitude (a memecoin's price is often below 1e-6)."""
    top = max(abs(lo), abs(hi))
    unit = 10.0 ** math.floor(math.log10(top)) if top > 0 else 1.0
    return [float(f"{v * unit:.6g}") for v in value_ticks(lo / unit, hi / unit, count)]


def _split(run: Sequence[int], cut: Callable[[int], bool]) -> list[list[int]]:
    """`run` cut at (and without) the indices `cut` picks."""
    pieces: list[list[int]] = [[]]
    for i in run:
        if cut(i):
            pieces.append([])
        else:
            pieces[-1].append(i)
    return pieces


def price_chart(
    snapshots: Sequence[Snapshot],
    *,
    label: Callable[[float], str],
    width: int = 1200,
    height: int = 180,
    gap_seconds: float | None = None,
    margin: tuple[int, int, int, int] = MARGIN,
) -> PriceChart:
    """The prices of `snapshots` on the same x axis as score_chart() of the same snapshots.
    A snapshot without a price leaves a gap, as does a pause longer than `gap_seconds`."""
    top, right, bottom, left = margin
    x0, x1, y0, y1 = float(left), float(width - right), float(height - bottom), float(top)
    times = [s.at.timestamp() for s in snapshots] or [0.0]
    x = Scale(min(times), max(times), x0, x1)
    priced = [s for s in snapshots if s.price is not None]
    prices = [float(s.price) for s in priced if s.price is not None]
    lo, hi = robust_domain(prices) if prices else (0.0, 1.0)
    latest = prices[-ROBUST_KEEP_LATEST:]
    if latest:
        lo, hi = min(lo, *latest), max(hi, *latest)
    ticks = price_ticks(lo, hi)
    y = Scale(ticks[0], ticks[-1], y0, y1)
    points = tuple(
        PricePoint(
            snapshot=s,
            x=x(s.at.timestamp()),
            y=y(min(max(price, ticks[0]), ticks[-1])),
            clipped="high" if price > ticks[-1] else "low" if price < ticks[0] else "",
        )
        for s, price in zip(priced, prices, strict=True)
    )
    # A snapshot without a price breaks the line as a pause does.
    point_of = {id(point.snapshot): i for i, point in enumerate(points)}
    segments = [
        [point_of[id(snapshots[i])] for i in piece]
        for run in runs(snapshots, gap_seconds)
        for piece in _split(run, lambda i: snapshots[i].price is None)
        if piece
    ]
    return PriceChart(
        width=width,
        height=height,
        left=x0,
        top=y1,
        right=x1,
        bottom=y0,
        points=points,
        y_ticks=tuple(Tick(y(v), label(v)) for v in ticks),
        x_ticks=_time_axis(snapshots, x),
        segments=tuple(tuple(run) for run in segments),
        domain=(ticks[0], ticks[-1]),
    )

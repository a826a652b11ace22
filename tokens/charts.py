"""Geometry of the server-rendered score chart: snapshots in, pixel coordinates out.

Plain Python (no Django) so the arithmetic is tested on its own; the template only draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

# Candidate spacings of time ticks, in seconds: 1m, 5m, 15m, 30m, 1h, 3h, 6h, 12h, 1d, 2d, 1w.
TIME_STEPS = (60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 172800, 604800)
DAY = 86400


@dataclass(frozen=True)
class Snapshot:
    """One stored TokenScore, as far as the chart cares."""

    at: datetime
    score: float
    smoothed_score: float
    fallback: str | None = None


@dataclass(frozen=True)
class Scale:
    """Maps the domain [lo, hi] linearly onto the pixel range [start, end].

    A flat domain (lo == hi) maps every value onto the middle of the range.
    """

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.hi == self.lo:
            return (self.start + self.end) / 2
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


@dataclass(frozen=True)
class Tick:
    position: float  # pixels along the axis
    label: str


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

    @property
    def score_line(self) -> str:
        """SVG polyline points of the raw score."""
        return " ".join(f"{p.x:.1f},{p.y_score:.1f}" for p in self.points)

    @property
    def smoothed_line(self) -> str:
        """SVG polyline points of the smoothed score."""
        return " ".join(f"{p.x:.1f},{p.y_smoothed:.1f}" for p in self.points)

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top


def nice_step(span: float, count: int) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that cuts `span` into at most `count` parts."""
    raw = span / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 2.5, 5.0):
        if raw <= multiple * magnitude * (1 + 1e-9):
            return multiple * magnitude
    return 10 * magnitude


def value_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round values from a multiple of the step at or below `lo` to one at or above `hi`.

    A flat range (lo == hi) is widened to [lo, lo + 1] so a lone value still gets an axis.
    """
    if hi <= lo:
        hi = lo + 1.0
    step = nice_step(hi - lo, count)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    n = round((last - first) / step)
    return [_clean(first + i * step) for i in range(n + 1)]


def time_ticks(start: datetime, end: datetime, count: int = 6) -> list[datetime]:
    """Instants on round UTC boundaries between `start` and `end`, at most about `count`."""
    span = (end - start).total_seconds()
    step = next((s for s in TIME_STEPS if span / s <= count), TIME_STEPS[-1])
    first = math.ceil(start.timestamp() / step) * step
    last = end.timestamp()
    return [
        datetime.fromtimestamp(first + i * step, tz=UTC)
        for i in range(int((last - first) // step) + 1)
    ]


def time_label(moment: datetime, span_seconds: float) -> str:
    """HH:MM within a day's span, MM-DD HH:MM beyond; always in UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%m-%d %H:%M" if span_seconds > DAY else "%H:%M")


def score_chart(
    snapshots: Sequence[Snapshot],
    *,
    width: int = 1200,
    height: int = 250,
    threshold: float | None = None,
    margin: tuple[int, int, int, int] = (12, 16, 24, 44),  # top, right, bottom, left
) -> ScoreChart:
    """Place `snapshots` (oldest first) on a time x axis and a shared score y axis.

    y covers every raw and smoothed score and 0; the hot `threshold` is drawn when in range.
    Each point owns the x band halfway to its neighbours, so hovering anywhere near it works.
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


def _clean(value: float) -> float:
    """Drop float noise (0.30000000000000004 -> 0.3) and negative zero."""
    return round(value, 10) + 0.0

"""Geometry of the server-rendered score chart: snapshots in, pixel coordinates out.

Plain Python (no Django) so the arithmetic is tested on its own; the template only draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from moon.lib.svg import Scale, Tick, time_label, time_ticks, value_ticks


@dataclass(frozen=True)
class Snapshot:
    """One stored TokenScore, as far as the chart cares."""

    at: datetime
    score: float
    smoothed_score: float
    fallback: str | None = None


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

"""Geometry of the lab's server-rendered SVG bar charts: results in, pixel boxes out.

Pure Python: the template only draws. One group of bars per category (a horizon, a score
decile, a threshold), one bar per variant in each group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moon.lib.svg import Scale, Tick, value_ticks

from .results import BacktestResult
from .stats import DECILES

GROUP_FILL = 0.8  # share of a group's band its bars take; the rest separates groups


@dataclass(frozen=True)
class Bar:
    """One variant's value in one group; ``y``/``height`` span from the zero line."""

    series: int  # index: the drawing's colour
    name: str  # the variant's label
    group: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    zero_y: float
    bars: tuple[Bar, ...]
    groups: tuple[Tick, ...]  # label under the middle of each group
    y_ticks: tuple[Tick, ...]
    series: tuple[str, ...]
    missing: int  # values not drawn (None: no sample, no figure)


def grouped_bars(
    title: str,
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    label: Callable[[float], str] = lambda value: f"{value:g}",
    width: int = 560,
    height: int = 220,
    margin: tuple[int, int, int, int] = (12, 8, 24, 52),  # top, right, bottom, left
) -> BarChart:
    """Bars of ``series`` ((name, one value per group) each) grouped by ``groups``.

    y covers every value and 0 on round ticks; bars grow up from 0 for positive values and
    down for negative ones. None draws nothing (and counts in ``missing``).
    """
    top, right, bottom, left = margin
    x0, x1, y0, y1 = float(left), float(width - right), float(height - bottom), float(top)
    values = [v for _, column in series for v in column if v is not None]
    ticks = value_ticks(min(0.0, *values), max(0.0, *values)) if values else [0.0, 1.0]
    y = Scale(ticks[0], ticks[-1], y0, y1)
    band = (x1 - x0) / max(len(groups), 1)
    bar_width = band * GROUP_FILL / max(len(series), 1)
    bars = []
    for g, group in enumerate(groups):
        start = x0 + g * band + band * (1 - GROUP_FILL) / 2
        for s, (name, column) in enumerate(series):
            value = column[g]
            if value is None:
                continue
            top_y, bottom_y = sorted((y(value), y(0.0)))
            bars.append(
                Bar(
                    s,
                    name,
                    group,
                    value,
                    label(value),
                    start + s * bar_width,
                    top_y,
                    bar_width,
                    bottom_y - top_y,
                )
            )
    return BarChart(
        title=title,
        width=width,
        height=height,
        left=x0,
        top=y1,
        right=x1,
        bottom=y0,
        zero_y=y(0.0),
        bars=tuple(bars),
        groups=tuple(Tick(x0 + (g + 0.5) * band, name) for g, name in enumerate(groups)),
        y_ticks=tuple(Tick(y(v), label(v)) for v in ticks),
        series=tuple(name for name, _ in series),
        missing=sum(1 for _, column in series for v in column if v is None),
    )


def percent_label(value: float) -> str:
    """0.025 -> "+2.5%"; 0 -> "0%"."""
    return "0%" if value == 0 else f"{value * 100:+.3g}%"


def correlation_chart(results: Sequence[BacktestResult]) -> BarChart:
    """Spearman's rho of score against forward return, per horizon."""
    first = results[0].horizons
    return grouped_bars(
        "Rank correlation (Spearman) of score and forward return",
        [f"{h.minutes} min" for h in first],
        [(r.label, [h.rho for h in r.horizons]) for r in results],
        label=lambda value: f"{value:+.3g}" if value else "0",
    )


def decile_chart(results: Sequence[BacktestResult], minutes: int) -> BarChart:
    """Mean forward return after ``minutes`` per score decile, lowest decile first."""
    return grouped_bars(
        f"Mean forward return after {minutes} min, by score decile",
        [f"D{d + 1}" for d in range(DECILES)],
        [(r.label, r.horizon(minutes).decile_means) for r in results],
        label=percent_label,
    )


def flagged_chart(results: Sequence[BacktestResult]) -> BarChart:
    """How many tokens each hot threshold would have flagged at least once."""
    return grouped_bars(
        "Tokens flagged at least once, by hot threshold",
        [f"≥{row.threshold:g}" for row in results[0].thresholds],
        [(r.label, [float(row.tokens) for row in r.thresholds]) for r in results],
        label=lambda value: f"{value:,.0f}",
    )


def lab_charts(results: Sequence[BacktestResult]) -> list[BarChart]:
    """Every chart of the lab page: correlation, one decile chart per horizon, flagged."""
    if not results:
        return []
    deciles = [decile_chart(results, h.minutes) for h in results[0].horizons]
    return [correlation_chart(results), *deciles, flagged_chart(results)]

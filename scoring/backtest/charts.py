"""Geometry of the lab's server-rendered SVG bar charts: results in, pixel boxes out.

Pure Python: the template only draws. One group of bars per category (a horizon, a score
decile, a threshold), one bar per variant in each group, and a whisker over a bar whose value
has a confidence interval. Horizons with too little history get no bars (the page says why).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moon.lib.svg import Scale, Tick, value_ticks

from .results import BacktestResult
from .stats import DECILES, Interval

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
    low_y: float | None = None  # the interval's whisker, when the value has one
    high_y: float | None = None

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


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
    intervals: Sequence[Sequence[Interval | None]] = (),
    label: Callable[[float], str] = lambda value: f"{value:g}",
    width: int = 560,
    height: int = 220,
    margin: tuple[int, int, int, int] = (12, 8, 24, 52),  # top, right, bottom, left
) -> BarChart:
    """Bars of ``series`` ((name, one value per group) each) grouped by ``groups``, with
    whiskers from ``intervals`` (per series, one interval or None per group; may be empty).

    y covers every value, every interval and 0 on round ticks; bars grow up from 0 for
    positive values and down for negative ones. None draws nothing (and counts in
    ``missing``); a whisker is drawn only over a bar.
    """
    top, right, bottom, left = margin
    x0, x1, y0, y1 = float(left), float(width - right), float(height - bottom), float(top)
    whiskers = [list(column) for column in intervals] or [[None] * len(groups) for _ in series]
    values = [v for _, column in series for v in column if v is not None]
    values += [e for column in whiskers for i in column if i for e in (i.low, i.high)]
    ticks = value_ticks(min(0.0, *values), max(0.0, *values)) if values else [0.0, 1.0]
    y = Scale(ticks[0], ticks[-1], y0, y1)
    band = (x1 - x0) / max(len(groups), 1)
    bar_width = band * GROUP_FILL / max(len(series), 1)
    bars = []
    for g, group in enumerate(groups):
        start = x0 + g * band + band * (1 - GROUP_FILL) / 2
        for s, (name, column) in enumerate(series):
            value, interval = column[g], whiskers[s][g]
            if value is None:
                continue
            top_y, bottom_y = sorted((y(value), y(0.0)))
            text = label(value)
            if interval is not None:
                text += f" [{label(interval.low)}, {label(interval.high)}]"
            bars.append(
                Bar(
                    s,
                    name,
                    group,
                    value,
                    text,
                    start + s * bar_width,
                    top_y,
                    bar_width,
                    bottom_y - top_y,
                    low_y=y(interval.low) if interval else None,
                    high_y=y(interval.high) if interval else None,
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


def correlation_chart(results: Sequence[BacktestResult], minutes: Sequence[int]) -> BarChart:
    """Spearman's rho of score against forward return with its interval, per horizon of
    ``minutes`` (a variant with too little history at one gets no bar there)."""
    horizons = [[r.horizon(m) for m in minutes] for r in results]
    return grouped_bars(
        "Rank correlation (Spearman) of score and forward return, 95% intervals",
        [f"{m} min" for m in minutes],
        [
            (r.label, [h.rho if h.enough else None for h in hs])
            for r, hs in zip(results, horizons, strict=True)
        ],
        intervals=[[h.rho_interval for h in hs] for hs in horizons],
        label=lambda value: f"{value:+.3g}" if value else "0",
    )


def decile_chart(results: Sequence[BacktestResult], minutes: int) -> BarChart:
    """Mean forward return after ``minutes`` per score decile, lowest decile first; the top
    decile with its interval."""
    horizons = [r.horizon(minutes) for r in results]
    return grouped_bars(
        f"Mean forward return after {minutes} min, by score decile",
        [f"D{d + 1}" for d in range(DECILES)],
        [
            (r.label, h.decile_means if h.enough else [None] * DECILES)
            for r, h in zip(results, horizons, strict=True)
        ],
        intervals=[[None] * (DECILES - 1) + [h.top_decile_interval] for h in horizons],
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
    """Every chart of the lab page: correlation and one decile chart per horizon, over the
    horizons some variant has enough history at (no empty charts), then flagged tokens."""
    if not results:
        return []
    judged = [
        h.minutes
        for position, h in enumerate(results[0].horizons)
        if any(r.horizons[position].enough for r in results)
    ]
    if not judged:
        return [flagged_chart(results)]
    deciles = [decile_chart(results, minutes) for minutes in judged]
    return [correlation_chart(results, judged), *deciles, flagged_chart(results)]

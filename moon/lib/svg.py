"""Axis geometry for the server-rendered SVG charts: linear scales and round ticks.

Plain Python so the arithmetic is tested on its own; templates only draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

# Candidate spacings of time ticks, in seconds: 1m, 5m, 15m, 30m, 1h, 3h, 6h, 12h, 1d, 2d, 1w.
TIME_STEPS = (60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 172800, 604800)
DAY = 86400


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
    return [clean_number(first + i * step) for i in range(n + 1)]


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


def clean_number(value: float) -> float:
    """Drop float noise (0.30000000000000004 -> 0.3) and negative zero."""
    return round(value, 10) + 0.0

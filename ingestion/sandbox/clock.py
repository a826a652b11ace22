"""Simulated time: epoch milliseconds that run `speed` times faster than the real clock."""

from __future__ import annotations

import time
from collections.abc import Callable


class SimClock:
    """now = start + real seconds elapsed x speed + manual advances. Speed 0 freezes it."""

    def __init__(
        self, start_ms: int, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.start_ms = start_ms
        self._monotonic = monotonic
        self._base_ms = float(start_ms)
        self._base_real = monotonic()
        self._speed = speed

    @property
    def speed(self) -> float:
        return self._speed

    def now_ms(self) -> int:
        return int(self._base_ms + (self._monotonic() - self._base_real) * 1000 * self._speed)

    def advance(self, ms: int) -> int:
        """Jump forward (never back) by `ms` simulated milliseconds; returns the new now."""
        if ms < 0:
            raise ValueError("the simulated clock only moves forward")
        self._base_ms += ms
        return self.now_ms()

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._base_ms = float(self.now_ms())
        self._base_real = self._monotonic()
        self._speed = speed

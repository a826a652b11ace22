"""A token's trade tape: cumulative buys, sells, volume and log price as functions of time.

The tape advances in 10-minute chunks, each drawn from its own `Random(seed, chunk)`, and
stores only chunk boundaries. Minute detail inside a chunk (needed for a window edge) is a
second draw from another per-chunk `Random`, split so its minutes sum exactly to the chunk.
So a point of the tape depends only on (token, time), whatever order points are asked in,
and any rolling window is a difference of two points: m5 <= h1 <= h6 <= h24 by construction.
"""

from __future__ import annotations

import math
from array import array
from random import Random
from typing import NamedTuple

from ingestion.sandbox.life import TokenSpec
from ingestion.sandbox.story import MINUTE_MS, Profile, minute_profile

CHUNK_MINUTES = 10
_SPLIT_CACHE = 6


class TapePoint(NamedTuple):
    """Cumulative counts and volume (USD) since launch, and the log SOL price, at one instant."""

    buys: int
    sells: int
    volume: float
    log_price: float


class _Split(NamedTuple):
    """Minute prefix sums inside one chunk (11 boundaries), compact: arrays, not lists."""

    buys: array[int]
    sells: array[int]
    volume: array[float]
    log_price: array[float]


class TokenTape:
    """Lazily simulated trade history of one token, from launch to the latest instant asked."""

    __slots__ = ("_buys", "_first", "_log_price", "_sells", "_splits", "_volume", "spec", "t0_ms")

    def __init__(self, spec: TokenSpec, t0_ms: int) -> None:
        self.spec = spec
        self.t0_ms = t0_ms
        self._first = self._minute(spec.created_ms) // CHUNK_MINUTES
        self._buys = array("d", [0.0])
        self._sells = array("d", [0.0])
        self._volume = array("d", [0.0])
        self._log_price = array("d", [spec.lp_start])
        self._splits: dict[int, _Split] = {}

    def point(self, at_ms: int) -> TapePoint:
        """The tape at `at_ms`; the current minute counts pro rata (floored) of its trades."""
        if at_ms <= self.spec.created_ms:
            return TapePoint(0, 0, 0.0, self.spec.lp_start)
        minute = self._minute(at_ms)
        frac = (at_ms - self.t0_ms - minute * MINUTE_MS) / MINUTE_MS
        chunk, index = divmod(minute, CHUNK_MINUTES)
        self._extend(chunk)
        row = chunk - self._first
        split = self._split(chunk)
        b0, b1 = split.buys[index], split.buys[index + 1]
        s0, s1 = split.sells[index], split.sells[index + 1]
        v0, v1 = split.volume[index], split.volume[index + 1]
        p0, p1 = split.log_price[index], split.log_price[index + 1]
        return TapePoint(
            int(self._buys[row]) + b0 + math.floor((b1 - b0) * frac),
            int(self._sells[row]) + s0 + math.floor((s1 - s0) * frac),
            self._volume[row] + v0 + (v1 - v0) * frac,
            p0 + (p1 - p0) * frac,
        )

    def _minute(self, at_ms: int) -> int:
        return (at_ms - self.t0_ms) // MINUTE_MS

    def _profiles(self, chunk: int) -> list[Profile]:
        spec = self.spec
        first_ms = self.t0_ms + chunk * CHUNK_MINUTES * MINUTE_MS
        first_age = (first_ms + MINUTE_MS / 2 - spec.migrated_ms) / MINUTE_MS
        if first_ms >= spec.created_ms:
            return [minute_profile(spec, first_age + i) for i in range(CHUNK_MINUTES)]
        profiles = []
        for i in range(CHUNK_MINUTES):
            end_ms = first_ms + (i + 1) * MINUTE_MS
            alive = min(1.0, max(0.0, (end_ms - spec.created_ms) / MINUTE_MS))
            if alive == 0:
                profiles.append((0.0, 0.5, 0.0, 0.0, 1.0))
                continue
            lam, buy, drift, sigma, size = minute_profile(spec, first_age + i)
            profiles.append((lam * alive, buy, drift * alive, sigma * math.sqrt(alive), size))
        return profiles

    def _rng(self, chunk: int, stream: int) -> Random:
        return Random((self.spec.seed << 34) + ((chunk + (1 << 31)) << 1) + stream)

    def _extend(self, chunk: int) -> None:
        while self._first + len(self._buys) - 1 <= chunk:
            self._step(self._first + len(self._buys) - 1)

    def _step(self, chunk: int) -> None:
        rng = self._rng(chunk, 0)
        lam = buy = size = drift = variance = 0.0
        for p_lam, p_buy, p_drift, p_sigma, p_size in self._profiles(chunk):
            lam += p_lam
            buy += p_lam * p_buy
            size += p_lam * p_size
            drift += p_drift
            variance += p_sigma * p_sigma
        trades = draw_poisson(rng, lam)
        buys = _binomial(rng, trades, buy / lam) if trades else 0
        jitter = math.exp(0.25 * rng.gauss(0, 1) - 0.03125)
        volume = trades * self.spec.trade_usd * (size / lam) * jitter if trades else 0.0
        self._buys.append(self._buys[-1] + buys)
        self._sells.append(self._sells[-1] + trades - buys)
        self._volume.append(self._volume[-1] + volume)
        self._log_price.append(self._log_price[-1] + drift + math.sqrt(variance) * rng.gauss(0, 1))

    def _split(self, chunk: int) -> _Split:
        cached = self._splits.get(chunk)
        if cached is not None:
            return cached
        if len(self._splits) >= _SPLIT_CACHE:
            del self._splits[next(iter(self._splits))]
        split = self._splits[chunk] = self._draw_split(chunk)
        return split

    def _draw_split(self, chunk: int) -> _Split:
        row = chunk - self._first
        rng = self._rng(chunk, 1)
        profiles = self._profiles(chunk)
        w_buys, w_sells, w_volume = [], [], []
        for lam, buy, _, _, size in profiles:
            w_buys.append(lam * buy * (0.7 + 0.6 * rng.random()))
            w_sells.append(lam * (1 - buy) * (0.7 + 0.6 * rng.random()))
            w_volume.append(lam * size * (0.7 + 0.6 * rng.random()))
        buys = int(self._buys[row + 1] - self._buys[row])
        sells = int(self._sells[row + 1] - self._sells[row])
        volume = self._volume[row + 1] - self._volume[row]
        start, end = self._log_price[row], self._log_price[row + 1]
        return _Split(
            array("q", _allocate_counts(buys, w_buys)),
            array("q", _allocate_counts(sells, w_sells)),
            array("d", _allocate_amount(volume, w_volume)),
            array("d", _bridge(rng, profiles, start, end)),
        )


def _prefix(weights: list[float]) -> list[float]:
    out, total = [0.0], 0.0
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _allocate_counts(total: int, weights: list[float]) -> list[int]:
    """Prefix sums of `total` spread over minutes by weight, integral, ending exactly at total."""
    if total == 0:
        return [0] * (len(weights) + 1)
    prefix = _prefix(weights)
    out = [math.floor(total * value / prefix[-1]) for value in prefix[:-1]]
    out.append(total)
    return out


def _allocate_amount(total: float, weights: list[float]) -> list[float]:
    if total == 0:
        return [0.0] * (len(weights) + 1)
    prefix = _prefix(weights)
    out = [total * value / prefix[-1] for value in prefix[:-1]]
    out.append(total)
    return out


def _bridge(rng: Random, profiles: list[Profile], start: float, end: float) -> list[float]:
    """Minute log prices: drift plus a Brownian bridge pinned to the chunk's two ends."""
    drift = _prefix([p[2] for p in profiles])
    variance = _prefix([p[3] * p[3] for p in profiles])
    noise = _prefix([p[3] * rng.gauss(0, 1) for p in profiles])
    if variance[-1] == 0:
        return [start + d for d in drift[:-1]] + [end]
    miss = noise[-1] - (end - start - drift[-1])
    out = [
        start + d + z - v / variance[-1] * miss
        for d, z, v in zip(drift[:-1], noise[:-1], variance[:-1], strict=True)
    ]
    out.append(end)
    return out


def draw_poisson(rng: Random, lam: float) -> int:
    """A Poisson draw: exact (Knuth) for small means, normal approximation above 30."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(lam + math.sqrt(lam) * rng.gauss(0, 1)))
    limit, count, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _binomial(rng: Random, trials: int, share: float) -> int:
    """A binomial draw by normal approximation, clamped to [0, trials]."""
    spread = math.sqrt(trials * share * (1 - share))
    return min(trials, max(0, round(trials * share + spread * rng.gauss(0, 1))))

"""The simulated market: which tokens launch and graduate when, and what their pools show.

Pure simulation, no I/O. Everything is a function of (seed, simulated time), plus the explicit
inputs of `force_migration`: each simulated minute draws its launches and graduations from
its own `Random`, each token its life from another, so asking in any order gives one market.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from random import Random
from typing import Any

from ingestion.sandbox.base58 import random_address, random_pump_mint, random_signature
from ingestion.sandbox.life import (
    TokenSpec,
    create_frame,
    draw_initial_buy,
    draw_token,
)
from ingestion.sandbox.names import draw_name_symbol, draw_uri
from ingestion.sandbox.pairs import render_pairs
from ingestion.sandbox.story import MINUTE_MS, STORIES
from ingestion.sandbox.tape import TokenTape, draw_poisson

# A token launches at most 60 minutes before it graduates: know that far ahead.
_LOOKAHEAD_MINUTES = 61
HOUR_MS = 60 * MINUTE_MS


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One frame of the PumpPortal feed at its simulated instant; kind is create or migrate."""

    at_ms: int
    kind: str
    frame: dict[str, Any]


class Market:
    """Synthetic Pump.fun graduates and their DexScreener pools, queried at any simulated time."""

    def __init__(
        self,
        *,
        seed: int,
        start_ms: int,
        migrations_per_hour: float = 50.0,
        bursts: bool = True,
        creates_per_minute: float = 12.0,
        preseed_tokens: int = 0,
        preseed_hours: float = 6.0,
        sol_usd: float = 150.0,
    ) -> None:
        self.seed = seed
        self.start_ms = start_ms
        self.migrations_per_hour = migrations_per_hour
        self.bursts = bursts
        self.creates_per_minute = creates_per_minute
        self.sol_usd = sol_usd
        self._specs: dict[str, TokenSpec] = {}
        self._tapes: dict[str, TokenTape] = {}
        self._migrations: dict[int, list[TokenSpec]] = {}
        self._launches: dict[int, list[TokenSpec]] = {}
        self._materialized = 0
        self._forced = 0
        for index in range(preseed_tokens):
            rng = Random(f"{seed}:preseed:{index}")
            migrated = start_ms - 1 - int(rng.random() * preseed_hours * HOUR_MS)
            self._register(draw_token(rng, migrated_ms=migrated))

    def token(self, mint: str, at_ms: int) -> TokenSpec | None:
        """The token if it exists (has launched) at `at_ms`."""
        self._materialize(at_ms)
        spec = self._specs.get(mint)
        return spec if spec is not None and spec.created_ms <= at_ms else None

    def tape(self, mint: str) -> TokenTape | None:
        """The token's trade tape (ground truth: cumulative counts, volume, log SOL price)."""
        spec = self._specs.get(mint)
        if spec is None:
            return None
        tape = self._tapes.get(mint)
        if tape is None:
            tape = self._tapes[mint] = TokenTape(spec, self.start_ms)
        return tape

    def token_pairs(self, mint: str, at_ms: int) -> list[dict[str, Any]]:
        """All pools of one token at `at_ms`; [] for an unknown or not yet launched mint."""
        spec = self.token(mint, at_ms)
        tape = self.tape(mint) if spec is not None else None
        if spec is None or tape is None:
            return []
        return render_pairs(spec, tape, at_ms, self.sol_usd)

    def pairs(self, mints: Iterable[str], at_ms: int) -> list[dict[str, Any]]:
        """Pools of several tokens, in request order, each mint once."""
        out: list[dict[str, Any]] = []
        for mint in dict.fromkeys(mints):
            out.extend(self.token_pairs(mint, at_ms))
        return out

    def tokens(self, at_ms: int, *, migrated: bool = True) -> list[TokenSpec]:
        """Tokens graduated (or, with migrated=False, launched) by `at_ms`, oldest first."""
        self._materialize(at_ms)
        found = [
            spec
            for spec in self._specs.values()
            if (spec.migrated_ms if migrated else spec.created_ms) <= at_ms
        ]
        return sorted(found, key=lambda spec: (spec.migrated_ms, spec.mint))

    def events_between(self, after_ms: int, until_ms: int) -> list[FeedEvent]:
        """Launch and graduation frames with after_ms < at_ms <= until_ms, in time order."""
        self._materialize(until_ms)
        first = max(0, (after_ms - self.start_ms) // MINUTE_MS)
        last = (until_ms - self.start_ms) // MINUTE_MS
        events: list[FeedEvent] = []
        for minute in range(first, last + 1):
            events.extend(self._plain_launches(minute))
            events.extend(
                FeedEvent(s.created_ms, "create", s.create_frame())
                for s in self._launches.get(minute, ())
            )
            events.extend(
                FeedEvent(s.migrated_ms, "migrate", s.migration_frame())
                for s in self._migrations.get(minute, ())
            )
        inside = [e for e in events if after_ms < e.at_ms <= until_ms]
        return sorted(inside, key=lambda event: event.at_ms)

    def force_migration(
        self, at_ms: int, *, mint: str | None = None, story: str | None = None
    ) -> tuple[TokenSpec, bool]:
        """Graduate a new token now; a known graduated mint is replayed: (token, replayed)."""
        if story is not None and story not in STORIES:
            raise ValueError(f"unknown story {story!r}; choose from {', '.join(STORIES)}")
        if mint is not None and mint in self._specs:
            known = self._specs[mint]
            if known.migrated_ms > at_ms:
                raise ValueError(f"{mint} exists and graduates later")
            return known, True
        rng = Random(f"{self.seed}:forced:{self._forced}")
        self._forced += 1
        spec = draw_token(rng, migrated_ms=at_ms, mint=mint, story=story)
        self._register(spec)
        return spec, False

    def _register(self, spec: TokenSpec) -> None:
        self._specs[spec.mint] = spec

    def _materialize(self, at_ms: int) -> None:
        last = (at_ms - self.start_ms) // MINUTE_MS + _LOOKAHEAD_MINUTES
        while self._materialized <= last:
            minute = self._materialized
            scheduled = self._scheduled_migrations(minute)
            self._migrations[minute] = scheduled
            for spec in scheduled:
                self._register(spec)
                launch_minute = (spec.created_ms - self.start_ms) // MINUTE_MS
                if launch_minute >= 0:
                    self._launches.setdefault(launch_minute, []).append(spec)
            self._materialized += 1

    def _scheduled_migrations(self, minute: int) -> list[TokenSpec]:
        rng = Random(f"{self.seed}:migrations:{minute}")
        rate = self.migrations_per_hour / 60 * self._burst_factor(minute // 60)
        offsets = sorted(rng.randrange(MINUTE_MS) for _ in range(draw_poisson(rng, rate)))
        at = self.start_ms + minute * MINUTE_MS
        return [
            draw_token(Random(f"{self.seed}:token:{minute}:{i}"), migrated_ms=at + offset)
            for i, offset in enumerate(offsets)
        ]

    def _burst_factor(self, hour: int) -> float:
        """Graduations come in waves: ~30% of hours run at about 2.2x, the rest at about 0.5x."""
        if not self.bursts:
            return 1.0
        rng = Random(f"{self.seed}:hour:{hour}")
        return rng.uniform(1.8, 2.6) if rng.random() < 0.3 else rng.uniform(0.3, 0.7)

    def _plain_launches(self, minute: int) -> list[FeedEvent]:
        """Tokens that launch and never graduate: create frames only."""
        rng = Random(f"{self.seed}:launches:{minute}")
        at = self.start_ms + minute * MINUTE_MS
        events = []
        for _ in range(draw_poisson(rng, self.creates_per_minute)):
            offset = rng.randrange(MINUTE_MS)
            name, symbol = draw_name_symbol(rng)
            frame = create_frame(
                signature=random_signature(rng),
                mint=random_pump_mint(rng),
                creator=random_address(rng),
                sol_amount=draw_initial_buy(rng),
                bonding_curve=random_address(rng),
                name=name,
                symbol=symbol,
                uri=draw_uri(rng),
            )
            events.append(FeedEvent(at + offset, "create", frame))
        return events


def token_summary(spec: TokenSpec) -> dict[str, Any]:
    """Ground truth of one token for tests, benchmarks and backtests (not a DexScreener shape)."""
    return {
        "mint": spec.mint,
        "name": spec.name,
        "symbol": spec.symbol,
        "signature": spec.migration_signature,
        "story": spec.story,
        "created_at_ms": spec.created_ms,
        "migrated_at_ms": spec.migrated_ms,
        "pump_at_ms": (
            spec.migrated_ms + math.floor(spec.event_at * MINUTE_MS)
            if spec.story == "pump"
            else None
        ),
        "rug_at_ms": spec.rug_at_ms,
        "pools": [
            {
                "dex_id": pool.dex_id,
                "pair_address": pool.pair_address,
                "created_at_ms": pool.created_ms,
            }
            for pool in spec.pools
        ],
    }

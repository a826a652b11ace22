"""The simulated market: which tokens launch and graduate when, and what their pools show.

Pure simulation, no I/O. Everything is a function of (seed, simulated time), plus the explicit
inputs of `force_migration`: each simulated minute draws its launches and graduations from
its own `Random`, each token its life from another, so asking in any order gives one market.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from random import Random
from typing import Any

from ingestion.sandbox.keys import (
    bonding_curve_of,
    random_pump_mint,
    random_signature,
    random_wallet,
)
from ingestion.sandbox.life import (
    TokenSpec,
    create_frame,
    draw_initial_buy,
    draw_token,
    skip_draw,
)
from ingestion.sandbox.names import draw_name_symbol, draw_uri
from ingestion.sandbox.pairs import render_pairs
from ingestion.sandbox.story import MINUTE_MS, STORIES
from ingestion.sandbox.tape import TokenTape, draw_poisson
from ingestion.sandbox.traits import forced_traits, traits_summary

# A token launches at most 60 minutes before it graduates: know that far ahead.
_LOOKAHEAD_MINUTES = 61
HOUR_MS = 60 * MINUTE_MS
# A few wallets launch again and again: this share of launches is theirs, the first of them
# busiest (weights 1, 1/2, 1/3, ...), so even a small market has a creator with several coins.
SERIAL_CREATORS = 6
SERIAL_SHARE = 0.2


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
        self.preseed_span_ms = int(preseed_hours * HOUR_MS) if preseed_tokens else 0
        self._specs: dict[str, TokenSpec] = {}
        self._order: list[TokenSpec] = []
        self.serial_creators = tuple(
            random_wallet(Random(f"{seed}:serial-creator:{i}")) for i in range(SERIAL_CREATORS)
        )
        self._tapes: dict[str, TokenTape] = {}
        self._migrations: dict[int, list[TokenSpec]] = {}
        self._launches: dict[int, list[TokenSpec]] = {}
        self._materialized = 0
        self._forced = 0
        for index in range(preseed_tokens):
            rng = Random(f"{seed}:preseed:{index}")
            migrated = start_ms - 1 - int(rng.random() * preseed_hours * HOUR_MS)
            creator = self._serial_creator(f"preseed:{index}")
            self._register(draw_token(rng, migrated_ms=migrated, creator=creator))

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
            events.extend(self.plain_launches(minute))
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

    def registered_since(self, count: int, at_ms: int) -> list[TokenSpec]:
        """Graduating tokens known by `at_ms` (an hour ahead included), in the order they became
        known, from the `count`-th on: the list only grows, so a reader can follow it."""
        self._materialize(at_ms)
        return self._order[count:]

    def force_migration(
        self,
        at_ms: int,
        *,
        mint: str | None = None,
        story: str | None = None,
        traits: Mapping[str, Any] | None = None,
    ) -> tuple[TokenSpec, bool]:
        """Graduate a new token now; a known graduated mint is replayed: (token, replayed).
        `traits` forces chain traits (see traits.TokenTraits) and "serial_creator": true gives
        it one of the serial creators."""
        if story is not None and story not in STORIES:
            raise ValueError(f"unknown story {story!r}; choose from {', '.join(STORIES)}")
        if mint is not None and mint in self._specs:
            known = self._specs[mint]
            if known.migrated_ms > at_ms:
                raise ValueError(f"{mint} exists and graduates later")
            return known, True
        patch = dict(traits or {})
        serial = patch.pop("serial_creator", None)
        if serial is not None and not isinstance(serial, bool):
            raise ValueError("serial_creator must be true or false")
        rng = Random(f"{self.seed}:forced:{self._forced}")
        creator = self._serial_creator(f"forced:{self._forced}", forced=serial)
        self._forced += 1
        spec = draw_token(rng, migrated_ms=at_ms, mint=mint, story=story, creator=creator)
        if patch:
            spec = dataclasses.replace(spec, traits=forced_traits(spec.traits, patch))
        self._register(spec)
        return spec, False

    def _serial_creator(self, key: str, forced: bool | None = None) -> str | None:
        """One of the serial creators for this launch, or None for a one-off wallet."""
        rng = Random(f"{self.seed}:creator:{key}")
        serial = rng.random() < SERIAL_SHARE if forced is None else forced
        if not serial:
            return None
        weights = [1 / (i + 1) for i in range(SERIAL_CREATORS)]
        return rng.choices(self.serial_creators, weights)[0]

    def _register(self, spec: TokenSpec) -> None:
        self._specs[spec.mint] = spec
        self._order.append(spec)

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
            draw_token(
                Random(f"{self.seed}:token:{minute}:{i}"),
                migrated_ms=at + offset,
                creator=self._serial_creator(f"token:{minute}:{i}"),
            )
            for i, offset in enumerate(offsets)
        ]

    def _burst_factor(self, hour: int) -> float:
        """Graduations come in waves: ~30% of hours run at about 2.2x, the rest at about 0.5x."""
        if not self.bursts:
            return 1.0
        rng = Random(f"{self.seed}:hour:{hour}")
        return rng.uniform(1.8, 2.6) if rng.random() < 0.3 else rng.uniform(0.3, 0.7)

    def plain_launches(self, minute: int) -> list[FeedEvent]:
        """Tokens launched in `minute` (from the start on) that never graduate: create frames."""
        rng = Random(f"{self.seed}:launches:{minute}")
        at = self.start_ms + minute * MINUTE_MS
        events = []
        for index in range(draw_poisson(rng, self.creates_per_minute)):
            offset = rng.randrange(MINUTE_MS)
            name, symbol = draw_name_symbol(rng)
            signature, mint = random_signature(rng), random_pump_mint(rng)
            creator = random_wallet(rng)
            sol_amount = draw_initial_buy(rng)
            skip_draw(rng)  # the curve is derived from the mint
            frame = create_frame(
                signature=signature,
                mint=mint,
                creator=self._serial_creator(f"launch:{minute}:{index}") or creator,
                sol_amount=sol_amount,
                bonding_curve=bonding_curve_of(mint),
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
        "uri": spec.uri,
        "creator": spec.creator,
        "create_signature": spec.create_signature,
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
        "risk": traits_summary(spec.traits, spec.creator, spec.serial_creator),
        "habits": spec.habits.summary(),
    }

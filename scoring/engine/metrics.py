"""The aggregated inputs of the scoring spec, summed over a token's kept pools."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import datetime
from typing import Any

from .pools import PoolSnapshot


@dataclass(frozen=True)
class Metrics:
    """Scoring inputs over the kept pools; the primary pool is the most liquid kept one."""

    L_tot: float
    tx_5m: int
    tx_1h: int
    vol_5m: float
    vol_1h: float
    buys_5m: int
    sells_5m: int
    pool_count: int
    primary_pair_address: str | None
    primary_dex_id: str | None
    price_usd: float | None
    dp5: float | None
    dp15: float | None
    hours_since_migration: float | None
    # Age-honest windows (scoring spec v2). Stored snapshots from before these existed read
    # back with the defaults.
    history_minutes: float | None = None  # since migration, or the primary pool's creation
    tx_pace_5m: float = 0.0  # trades a minute over the last 5 minutes ...
    tx_pace_rest: float = 0.0  # ... and over the rest of the covered hour
    vol_pace_5m: float = 0.0  # USD a minute, the same two windows
    vol_pace_rest: float = 0.0
    window_5m_minutes: float | None = None  # what the primary pool's m5 and h1 really cover
    window_1h_minutes: float | None = None
    dp60: float | None = None  # primary priceChange.h1 / 100
    implausible_pools: int = 0  # pools left out for claiming liquidity nothing backs
    peak_liquidity_usd: float | None = None  # the most kept liquidity the token ever had

    def to_json(self) -> dict[str, Any]:
        """Every field, under its one name."""
        return asdict(self)

    def is_finite(self) -> bool:
        """False when a sum overflowed (only absurd inputs near 1e308 can do that)."""
        numbers: tuple[float | None, ...] = (self.L_tot, self.vol_5m, self.vol_1h, self.price_usd)
        numbers += (self.tx_5m, self.tx_1h, self.buys_5m, self.sells_5m, self.dp5, self.dp15)
        numbers += (self.tx_pace_5m, self.tx_pace_rest, self.vol_pace_5m, self.vol_pace_rest)
        numbers += (self.dp60, self.peak_liquidity_usd)
        try:
            return all(math.isfinite(number) for number in numbers if number is not None)
        except OverflowError:  # an integer count beyond float range
            return False


# Inputs every stored observation has; spec v2's windows read back with their defaults from
# snapshots written before them.
REQUIRED_FIELDS = tuple(
    field.name
    for field in fields(Metrics)
    if field.default is MISSING and field.default_factory is MISSING
)
ALL_FIELDS = tuple(field.name for field in fields(Metrics))


def metrics_from_json(data: Mapping[str, Any]) -> Metrics | None:
    """The Metrics that ``Metrics.to_json()`` stored (extra keys ignored); None when an input
    is missing, as on fallback and emergency snapshots."""
    if any(name not in data for name in REQUIRED_FIELDS):
        return None
    return Metrics(**{name: data[name] for name in ALL_FIELDS if name in data})


def summarize(
    pools: Sequence[PoolSnapshot],
    hours_since_migration: float | None,
    *,
    now: datetime | None = None,
    previous_peak_usd: float | None = None,
) -> Metrics:
    """Metrics over ``pools`` that are kept.

    L_tot = sum liquidity.usd; tx_5m = sum(buys+sells m5); tx_1h = sum(buys+sells h1);
    vol_5m, vol_1h = sum volume m5, h1; dp5 = primary priceChange.m5 / 100;
    dp15 = primary priceChange.h1 / 400 (DexScreener has no m15: a quarter of the hour's move);
    dp60 = primary priceChange.h1 / 100. With no kept pool every sum is 0 and the primary
    fields are None. The paces are ``window_paces``; history_minutes is the younger of the
    migration and the primary pool; peak_liquidity_usd = max(previous peak, L_tot).
    """
    kept = [pool for pool in pools if pool.kept]
    # max() keeps the first of equally liquid pools, so the choice is stable across refreshes.
    primary = max(kept, key=lambda pool: pool.liquidity_usd or 0.0, default=None)
    l_tot = sum(pool.liquidity_usd or 0.0 for pool in kept)
    tx_5m, tx_rest, vol_5m, vol_rest = window_paces(kept, now)
    primary_age = _age_minutes(primary, now)
    return Metrics(
        L_tot=l_tot,
        tx_5m=sum(pool.buys_5m + pool.sells_5m for pool in kept),
        tx_1h=sum(pool.buys_1h + pool.sells_1h for pool in kept),
        vol_5m=sum(pool.volume_5m for pool in kept),
        vol_1h=sum(pool.volume_1h for pool in kept),
        buys_5m=sum(pool.buys_5m for pool in kept),
        sells_5m=sum(pool.sells_5m for pool in kept),
        pool_count=len(kept),
        primary_pair_address=primary.pair_address if primary else None,
        primary_dex_id=primary.dex_id if primary else None,
        price_usd=primary.price_usd if primary else None,
        dp5=_scaled(primary.price_change_5m, 100) if primary else None,
        dp15=_scaled(primary.price_change_1h, 400) if primary else None,
        hours_since_migration=hours_since_migration,
        history_minutes=_history(hours_since_migration, primary_age),
        tx_pace_5m=tx_5m,
        tx_pace_rest=tx_rest,
        vol_pace_5m=vol_5m,
        vol_pace_rest=vol_rest,
        window_5m_minutes=_cover(primary_age, M5) if primary else None,
        window_1h_minutes=_cover(primary_age, H1) if primary else None,
        dp60=_scaled(primary.price_change_1h, 100) if primary else None,
        implausible_pools=sum(1 for pool in pools if pool.implausible),
        peak_liquidity_usd=max(l_tot, previous_peak_usd or 0.0),
    )


M5, H1 = 5.0, 60.0  # the minutes DexScreener's m5 and h1 windows span on an old enough pool


def window_paces(
    kept: Sequence[PoolSnapshot], now: datetime | None
) -> tuple[float, float, float, float]:
    """(trades/min last 5 min, trades/min rest of the hour, the same for USD volume).

    A pool's h1 window covers min(60, age) minutes and its m5 min(5, age): a pool a few minutes
    old has m5 == h1, and comparing them as if they spanned 5 and 60 minutes is what made young
    pools look like rockets. Only pools with a rest window (older than 5 minutes) count, on both
    sides of the ratio, so a brand-new side pool cannot inflate the last 5 minutes alone. An
    unknown age counts as a full hour.
    """
    tx_5m = tx_rest = vol_5m = vol_rest = 0.0
    for pool in kept:
        age = _age_minutes(pool, now)
        cover_5m, cover_1h = _cover(age, M5), _cover(age, H1)
        rest = cover_1h - cover_5m
        if cover_5m <= 0 or rest <= 0:
            continue
        trades_5m = pool.buys_5m + pool.sells_5m
        tx_5m += trades_5m / cover_5m
        tx_rest += max(0, pool.buys_1h + pool.sells_1h - trades_5m) / rest
        vol_5m += pool.volume_5m / cover_5m
        vol_rest += max(0.0, pool.volume_1h - pool.volume_5m) / rest
    return tx_5m, tx_rest, vol_5m, vol_rest


def _age_minutes(pool: PoolSnapshot | None, now: datetime | None) -> float | None:
    if pool is None or pool.pair_created_at is None or now is None:
        return None
    return max(0.0, (now - pool.pair_created_at).total_seconds() / 60)


def _cover(age: float | None, window: float) -> float:
    return window if age is None else min(window, age)


def _history(hours: float | None, primary_age: float | None) -> float | None:
    known = [
        value for value in (None if hours is None else hours * 60, primary_age) if value is not None
    ]
    return min(known) if known else None


def _scaled(percent: float | None, divisor: float) -> float | None:
    return None if percent is None else percent / divisor

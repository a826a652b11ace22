"""The aggregated inputs of the scoring spec, summed over a token's kept pools."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
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

    def to_json(self) -> dict[str, Any]:
        """Every field, plus the seed API's aliases tx_count_5m/1h and volume_5m/1h."""
        data = asdict(self)
        data["tx_count_5m"] = self.tx_5m
        data["tx_count_1h"] = self.tx_1h
        data["volume_5m"] = self.vol_5m
        data["volume_1h"] = self.vol_1h
        return data

    def is_finite(self) -> bool:
        """False when a sum overflowed (only absurd inputs near 1e308 can do that)."""
        numbers: tuple[float | None, ...] = (self.L_tot, self.vol_5m, self.vol_1h, self.price_usd)
        numbers += (self.tx_5m, self.tx_1h, self.buys_5m, self.sells_5m, self.dp5, self.dp15)
        try:
            return all(math.isfinite(number) for number in numbers if number is not None)
        except OverflowError:  # an integer count beyond float range
            return False


def summarize(pools: Sequence[PoolSnapshot], hours_since_migration: float | None) -> Metrics:
    """Metrics over ``pools`` that are kept.

    L_tot = sum liquidity.usd; tx_5m = sum(buys+sells m5); tx_1h = sum(buys+sells h1);
    vol_5m, vol_1h = sum volume m5, h1; dp5 = primary priceChange.m5 / 100;
    dp15 = primary priceChange.h1 / 400 (DexScreener has no m15: a quarter of the hour's move).
    With no kept pool every sum is 0 and the primary fields are None.
    """
    kept = [pool for pool in pools if pool.kept]
    # max() keeps the first of equally liquid pools, so the choice is stable across refreshes.
    primary = max(kept, key=lambda pool: pool.liquidity_usd or 0.0, default=None)
    return Metrics(
        L_tot=sum(pool.liquidity_usd or 0.0 for pool in kept),
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
    )


def _scaled(percent: float | None, divisor: float) -> float | None:
    return None if percent is None else percent / divisor

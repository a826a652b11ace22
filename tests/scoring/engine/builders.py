"""Plain builders for engine tests: DexScreener pair dicts, pools and metrics without surprises."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from scoring.engine import Metrics, PoolSnapshot, ScoringParams

MINT = "5446sW7E8jCzLXnT9npZNfDwBnQugVc3XdfEbqPBpump"
OTHER_MINT = "So11111111111111111111111111111111111111112"
EXAMPLE_PAIR_ADDRESS = "8ittpMFhz8SrxFy5u5xoaSDeVdbF3gS6xjXZwP8G1nFt"
EXAMPLE_CREATED_AT = datetime(2026, 3, 2, 4, 59, 21, tzinfo=UTC)  # pairCreatedAt 1772427561000


@cache
def _example() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (Path(__file__).parents[2] / "data" / "pair_example.json").read_text()
    )
    return loaded


def example_pair() -> dict[str, Any]:
    """A fresh deep copy of the real PumpSwap pair of research/dexscreener-pair-example.json."""
    return copy.deepcopy(_example())


def make_pair(
    pair_address: str,
    *,
    dex_id: str = "raydium",
    base: str = MINT,
    quote: str = "SOL",
    liquidity: float | None = 1000.0,
    txns_5m: tuple[int, int] = (0, 0),
    txns_1h: tuple[int, int] = (0, 0),
    volume_5m: float = 0.0,
    volume_1h: float = 0.0,
    price_change_5m: float | None = None,
    price_change_1h: float | None = None,
    created_ms: int | None = None,
) -> dict[str, Any]:
    """A minimal pair in DexScreener's shape; absent windows and liquidity are left out."""
    pair: dict[str, Any] = {
        "chainId": "solana",
        "dexId": dex_id,
        "url": f"https://dexscreener.com/solana/{pair_address.lower()}",
        "pairAddress": pair_address,
        "baseToken": {"address": base, "name": "Test Token", "symbol": "TT"},
        "quoteToken": {"address": "quote", "name": quote, "symbol": quote},
        "priceUsd": "0.5",
        "txns": {
            "m5": {"buys": txns_5m[0], "sells": txns_5m[1]},
            "h1": {"buys": txns_1h[0], "sells": txns_1h[1]},
        },
        "volume": {"m5": volume_5m, "h1": volume_1h, "h24": volume_1h},
        "priceChange": {},
    }
    if liquidity is not None:
        pair["liquidity"] = {"usd": liquidity}
    if price_change_5m is not None:
        pair["priceChange"]["m5"] = price_change_5m
    if price_change_1h is not None:
        pair["priceChange"]["h1"] = price_change_1h
    if created_ms is not None:
        pair["pairCreatedAt"] = created_ms
    return pair


_ZERO_METRICS = Metrics(
    L_tot=0.0,
    tx_5m=0,
    tx_1h=0,
    vol_5m=0.0,
    vol_1h=0.0,
    buys_5m=0,
    sells_5m=0,
    pool_count=1,
    primary_pair_address="P1",
    primary_dex_id="raydium",
    price_usd=None,
    dp5=None,
    dp15=None,
    hours_since_migration=None,
)


def make_metrics(**overrides: Any) -> Metrics:
    """Metrics of one quiet kept pool (all zero) with ``overrides``."""
    return replace(_ZERO_METRICS, **overrides)


_POOL = PoolSnapshot(
    pair_address="P1",
    dex_id="raydium",
    labels=(),
    quote_symbol="SOL",
    url="",
    liquidity_usd=1000.0,
    buys_5m=0,
    sells_5m=0,
    buys_1h=0,
    sells_1h=0,
    volume_5m=0.0,
    volume_1h=0.0,
    volume_24h=0.0,
    price_usd=None,
    price_change_5m=None,
    price_change_1h=None,
    pair_created_at=None,
    kept=True,
)


def make_pool(**overrides: Any) -> PoolSnapshot:
    """A kept raydium pool with $1,000 liquidity and ``overrides``."""
    return replace(_POOL, **overrides)


# Spec v1 with the weights its own spec used: the tests of v1's exact numbers pin it.
V1 = ScoringParams(
    scoring_model_active="hybrid_momentum", w_tx=0.25, w_vol=0.25, w_fresh=0.25, w_oi=0.25
)

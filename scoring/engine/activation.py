"""Lifecycle activation rule: does the token trade in enough liquid places?"""

from __future__ import annotations

from collections.abc import Sequence

from .params import ScoringParams
from .pools import PoolSnapshot

PUMPSWAP_DEX_IDS = frozenset({"pumpswap", "pumpfun-amm"})


def activation_passes(pools: Sequence[PoolSnapshot], params: ScoringParams) -> bool:
    """docs/scoring.md "Lifecycle": liquid = kept, liquidity_usd >= activation_min_liquidity_usd.

    ``any_pool``: >= 1 liquid pool (PumpSwap included).
    ``arbitrage``: >= 2 liquid external (non-PumpSwap) pools, or >= 1 liquid external pool plus
    a PumpSwap pool (dexId pumpswap or pumpfun-amm). The PumpSwap pool need not be kept: the
    spec qualifies only the external pools, and the migration pool is the PumpSwap one anyway.
    """
    liquid = [pool for pool in pools if _is_liquid(pool, params)]
    if params.activation_rule == "any_pool":
        return bool(liquid)
    external = [pool for pool in liquid if not is_pumpswap(pool)]
    has_pumpswap = any(is_pumpswap(pool) for pool in pools)
    return len(external) >= 2 or (has_pumpswap and len(external) >= 1)


def is_pumpswap(pool: PoolSnapshot) -> bool:
    """True for a pool on PumpSwap, the AMM pump.fun tokens migrate to."""
    return pool.dex_id.casefold() in PUMPSWAP_DEX_IDS


def _is_liquid(pool: PoolSnapshot, params: ScoringParams) -> bool:
    liquidity = pool.liquidity_usd
    return pool.kept and liquidity is not None and liquidity >= params.activation_min_liquidity_usd

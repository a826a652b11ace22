"""One DexScreener pair as a typed pool, and the kept-pool filter of the scoring spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .issues import QualityIssue
from .pair_reader import PairReader
from .params import ScoringParams


@dataclass(frozen=True)
class PoolSnapshot:
    """One pair of the token, typed; what a ``Pool`` row stores."""

    pair_address: str
    dex_id: str
    labels: tuple[str, ...]
    quote_symbol: str
    url: str
    liquidity_usd: float | None
    buys_5m: int
    sells_5m: int
    buys_1h: int
    sells_1h: int
    volume_5m: float
    volume_1h: float
    volume_24h: float
    price_usd: float | None
    price_change_5m: float | None
    price_change_1h: float | None
    pair_created_at: datetime | None
    kept: bool
    liquidity_quote: float | None = None  # liquidity.quote: the quote reserve, in quote tokens
    price_native: float | None = None  # the base token's price in quote tokens
    implausible: bool = False  # claims far more liquidity than its quote reserve backs
    market_cap_usd: float | None = None  # marketCap: shown, never scored


def parse_pool(
    pair: Mapping[str, Any], params: ScoringParams, *, label: str
) -> tuple[PoolSnapshot | None, tuple[QualityIssue, ...]]:
    """A raw pair -> (pool, no issues), or (None, its critical issues).

    Required: pairAddress, dexId, quoteToken.symbol, and the m5/h1 windows of txns and volume
    on pairs of non-excluded dexes (DexScreener always sends those windows; the bonding-curve
    pairs of excluded dexes are never scored, so their windows may be absent and count as 0).
    Optional (None when absent): liquidity.usd (absent on bonding curves), priceUsd, each
    priceChange window (DexScreener omits windows without data), pairCreatedAt.
    """
    reader = PairReader(pair, label)
    dex_id = reader.text("dexId", required=True)
    windows = not is_excluded_dex(dex_id, params)
    pool = PoolSnapshot(
        pair_address=reader.text("pairAddress", required=True),
        dex_id=dex_id,
        labels=reader.labels(),
        quote_symbol=reader.text("quoteToken", "symbol", required=True),
        url=reader.optional_url("url") or "",
        liquidity_usd=reader.amount(
            "liquidity", "usd", required=False, negative_code="negative_liquidity"
        ),
        buys_5m=reader.count("txns", "m5", "buys", required=windows),
        sells_5m=reader.count("txns", "m5", "sells", required=windows),
        buys_1h=reader.count("txns", "h1", "buys", required=windows),
        sells_1h=reader.count("txns", "h1", "sells", required=windows),
        volume_5m=_volume(reader, "m5", required=windows),
        volume_1h=_volume(reader, "h1", required=windows),
        volume_24h=_volume(reader, "h24", required=False),
        price_usd=reader.price("priceUsd"),
        price_change_5m=reader.change("priceChange", "m5"),
        price_change_1h=reader.change("priceChange", "h1"),
        pair_created_at=reader.timestamp("pairCreatedAt"),
        kept=False,
        liquidity_quote=reader.amount(
            "liquidity", "quote", required=False, negative_code="negative_liquidity"
        ),
        price_native=reader.price("priceNative"),
        market_cap_usd=reader.optional_amount("marketCap"),
    )
    if reader.issues:
        return None, tuple(reader.issues)
    pool = replace(pool, implausible=is_implausible(pool, params))
    return replace(pool, kept=is_kept(pool, params)), ()


def is_implausible(pool: PoolSnapshot, params: ScoringParams) -> bool:
    """liquidity.usd > factor x 2 x the USD value of the quote reserve.

    A two-sided pool holds about as much value in quote as in base, so its liquidity is about
    twice its quote reserve; concentrated-liquidity pools have been seen claiming $1.9B against
    $25 of USDC. The quote's USD price is priceUsd / priceNative. Unknown when a figure is
    missing: then the pool is taken at its word.
    """
    usd, quote = pool.liquidity_usd, pool.liquidity_quote
    if usd is None or quote is None or pool.price_usd is None or not pool.price_native:
        return False
    quote_usd = quote * pool.price_usd / pool.price_native
    return usd > params.implausible_liquidity_factor * 2 * quote_usd


def is_kept(pool: PoolSnapshot, params: ScoringParams) -> bool:
    """Kept = dexId not excluded, quote symbol allowed, liquidity.usd >= min_pool_liquidity_usd,
    and a liquidity the pool's quote reserve can back (``is_implausible``).

    Names compare case-insensitively: staff type "sol" as readily as "SOL".
    """
    allowed = {symbol.casefold() for symbol in params.allowed_quote_symbols}
    return (
        not is_excluded_dex(pool.dex_id, params)
        and pool.quote_symbol.casefold() in allowed
        and pool.liquidity_usd is not None
        and pool.liquidity_usd >= params.min_pool_liquidity_usd
        and not pool.implausible
    )


def is_excluded_dex(dex_id: str, params: ScoringParams) -> bool:
    """True for the bonding-curve / launchpad dexes listed in ``excluded_dex_ids``."""
    return dex_id.casefold() in {excluded.casefold() for excluded in params.excluded_dex_ids}


def _volume(reader: PairReader, window: str, *, required: bool) -> float:
    volume = reader.amount("volume", window, required=required, negative_code="negative_volume")
    return volume or 0.0

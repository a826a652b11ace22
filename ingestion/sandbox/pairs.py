"""Render a token's pools as DexScreener pair objects, in the real shape and key order."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ingestion.sandbox.habits import FakeLiquidity
from ingestion.sandbox.life import TOTAL_SUPPLY, PoolSpec, TokenSpec
from ingestion.sandbox.story import MINUTE_MS
from ingestion.sandbox.tape import TapePoint, TokenTape

WINDOWS = (("m5", 5), ("h1", 60), ("h6", 360), ("h24", 1440))
QUOTES = {
    "SOL": {
        "address": "So11111111111111111111111111111111111111112",
        "name": "Wrapped SOL",
        "symbol": "SOL",
    },
    "USDC": {
        "address": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        "name": "USD Coin",
        "symbol": "USDC",
    },
}


def number(value: float, digits: int = 2) -> float | int:
    """Round like the real API prints: integral values as JSON ints (it is JavaScript)."""
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) else rounded


def price_text(value: float) -> str:
    """Four significant digits in fixed notation: 2.44e-6 -> "0.000002440"."""
    if value <= 0:
        return "0"
    decimals = max(0, 3 - math.floor(math.log10(value)))
    return f"{value:.{decimals}f}"


def render_pairs(
    spec: TokenSpec, tape: TokenTape, at_ms: int, sol_usd: float
) -> list[dict[str, Any]]:
    """Every pool of the token that exists at `at_ms`, most liquid first, bonding curve last."""
    if at_ms < spec.created_ms:
        return []
    points: dict[int, TapePoint] = {}

    def point(x_ms: int) -> TapePoint:
        found = points.get(x_ms)
        if found is None:
            found = points[x_ms] = tape.point(x_ms)
        return found

    live = [pool for pool in spec.pools if pool.created_ms <= at_ms]
    main_liquidity = _main_liquidity_usd(spec, point(at_ms).log_price, at_ms, sol_usd)
    rendered = [
        _render_pool(spec, pool, live, point, at_ms, sol_usd, main_liquidity) for pool in live
    ]
    rendered.sort(key=lambda pair: -pair.get("liquidity", {}).get("usd", -1.0))
    return rendered


def _main_liquidity_usd(spec: TokenSpec, log_price: float, at_ms: int, sol_usd: float) -> float:
    return 2 * _main_quote_sol(spec, log_price, at_ms) * sol_usd


def _main_quote_sol(spec: TokenSpec, log_price: float, at_ms: int) -> float:
    """Constant product: quote = sqrt(k * price); a rug's pull leaves a share of k, so with
    its dump the pool keeps a few percent of its quote."""
    k = spec.quote0**2 / math.exp(spec.lp_target)
    rug_at = spec.rug_at_ms
    if rug_at is not None and at_ms >= rug_at:
        k *= spec.habits.rug_left
    return math.sqrt(k * math.exp(log_price))


def _pool_counts(
    spec: TokenSpec,
    pool: PoolSpec,
    live: list[PoolSpec],
    point: Callable[[int], TapePoint],
    x_ms: int,
) -> tuple[int, int, float]:
    """Cumulative (buys, sells, volume) of one pool at x: the curve keeps the pre-migration
    flow; side pools take their share of the flow since they opened; PumpSwap the rest."""
    if pool.dex_id == "pumpfun":
        p = point(min(x_ms, spec.migrated_ms))
        return p.buys, p.sells, p.volume
    if x_ms <= pool.created_ms:
        return 0, 0, 0.0
    if pool.fake is not None:
        rounds = pool.fake.trades_until(pool.created_ms, x_ms)
        return rounds, rounds, 2 * rounds * pool.fake.trade_usd
    now = point(x_ms)
    if pool.dex_id != "pumpswap":
        base = point(pool.created_ms)
        return (
            math.floor(pool.share * (now.buys - base.buys)),
            math.floor(pool.share * (now.sells - base.sells)),
            pool.share * (now.volume - base.volume),
        )
    base = point(pool.created_ms)
    buys, sells = float(now.buys - base.buys), float(now.sells - base.sells)
    volume = now.volume - base.volume
    for side in live:
        if side.share and side.created_ms < x_ms:
            opened = point(side.created_ms)
            buys -= side.share * (now.buys - opened.buys)
            sells -= side.share * (now.sells - opened.sells)
            volume -= side.share * (now.volume - opened.volume)
    return math.floor(buys), math.floor(sells), max(0.0, volume)


def _render_pool(
    spec: TokenSpec,
    pool: PoolSpec,
    live: list[PoolSpec],
    point: Callable[[int], TapePoint],
    at_ms: int,
    sol_usd: float,
    main_liquidity: float,
) -> dict[str, Any]:
    on_curve = pool.dex_id == "pumpfun"
    price_at = min(at_ms, spec.migrated_ms) if on_curve else at_ms
    price_usd = _price_usd(pool, point(price_at).log_price, sol_usd)
    now = _pool_counts(spec, pool, live, point, at_ms)
    txns: dict[str, dict[str, int]] = {}
    volume: dict[str, float | int] = {}
    change: dict[str, float | int] = {}
    for name, minutes in WINDOWS:
        since = at_ms - minutes * MINUTE_MS
        before = _pool_counts(spec, pool, live, point, since)
        buys, sells = now[0] - before[0], now[1] - before[1]
        txns[name] = {"buys": buys, "sells": sells}
        volume[name] = number(now[2] - before[2])
        if buys + sells and pool.fake is not None:
            change[name] = 0  # its trades go in and out at the price it was parked at
        elif buys + sells:
            ref = min(max(since, pool.created_ms), price_at)
            ratio = math.exp(point(price_at).log_price - point(ref).log_price)
            change[name] = number((ratio - 1) * 100)
    pair: dict[str, Any] = {
        "chainId": "solana",
        "dexId": pool.dex_id,
        "url": f"https://dexscreener.com/solana/{pool.pair_address.lower()}",
        "pairAddress": pool.pair_address,
    }
    if pool.labels:
        pair["labels"] = list(pool.labels)
    pair["baseToken"] = {"address": spec.mint, "name": spec.name, "symbol": spec.symbol}
    pair["quoteToken"] = dict(QUOTES[pool.quote])
    pair["priceNative"] = price_text(price_usd if pool.quote == "USDC" else price_usd / sol_usd)
    pair["priceUsd"] = price_text(price_usd)
    pair["txns"] = txns
    pair["volume"] = {name: volume[name] for name, _ in reversed(WINDOWS)}
    pair["priceChange"] = change
    if pool.fake is not None:
        pair["liquidity"] = _claimed_liquidity(pool.quote, pool.fake, sol_usd)
    elif not on_curve:
        pair["liquidity"] = _liquidity(spec, pool, at_ms, price_usd, sol_usd, main_liquidity)
    pair["fdv"] = pair["marketCap"] = round(price_usd * TOTAL_SUPPLY)
    pair["pairCreatedAt"] = pool.created_ms
    if spec.info is not None and at_ms >= spec.info_from_ms:
        pair["info"] = spec.info
        if spec.boosts:
            pair["boosts"] = {"active": spec.boosts}
    return pair


def _price_usd(pool: PoolSpec, log_price: float, sol_usd: float) -> float:
    """The market price plus the pool's arbitrage lag; a fake pool shows its parked price."""
    if pool.fake is not None:
        return pool.fake.price_usd
    return math.exp(log_price + math.log1p(pool.basis)) * sol_usd


def _claimed_liquidity(quote: str, fake: FakeLiquidity, sol_usd: float) -> dict[str, float | int]:
    """What DexScreener shows for a parked pool: the base valued at the parked price, so usd =
    base x priceUsd + the quote's worth, against a few dollars of quote."""
    quote_amount = fake.quote_usd if quote == "USDC" else fake.quote_usd / sol_usd
    return {
        "usd": number(fake.claimed_usd),
        "base": number(fake.base_tokens, 0),
        "quote": number(quote_amount, 4),
    }


def _liquidity(
    spec: TokenSpec,
    pool: PoolSpec,
    at_ms: int,
    price_usd: float,
    sol_usd: float,
    main_liquidity: float,
) -> dict[str, float | int]:
    usd = main_liquidity * pool.depth
    quote = usd / 2 if pool.quote == "USDC" else usd / 2 / sol_usd
    base = usd / 2 / price_usd
    return {
        "usd": number(usd),
        "base": number(base, 0 if base >= 1000 else 2),
        "quote": number(quote, 4),
    }


def pool_reserves(
    spec: TokenSpec, pool: PoolSpec, log_price: float, at_ms: int, sol_usd: float = 150.0
) -> tuple[float, float]:
    """(tokens, SOL) in one pool's vaults at `at_ms`, given the token's log SOL price then: the
    amounts behind its DexScreener liquidity (base, and quote in SOL terms)."""
    if pool.fake is not None:
        return pool.fake.base_tokens, pool.fake.quote_usd / sol_usd
    quote_sol = _main_quote_sol(spec, log_price, at_ms) * pool.depth
    return quote_sol / (math.exp(log_price) * (1 + pool.basis)), quote_sol

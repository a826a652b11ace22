"""What one synthetic token is: its identity, its pools and the story its trading follows.

A token is drawn once from its own `Random`; everything later (trades, prices) is a pure
function of that draw and the simulated minute, so the market never depends on who asked when.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from random import Random
from typing import Any

from ingestion.sandbox.habits import FakeLiquidity, Habits, draw_habits
from ingestion.sandbox.keys import (
    bonding_curve_of,
    pool_of,
    random_address,
    random_pump_mint,
    random_signature,
    random_wallet,
)
from ingestion.sandbox.names import draw_name_symbol, draw_profile, draw_uri
from ingestion.sandbox.story import MINUTE_MS, STORIES, STORY_WEIGHTS, draw_story
from ingestion.sandbox.traits import TokenTraits, draw_traits

# pump.fun's bonding curve: virtual reserves at launch and at graduation (SOL, tokens).
CURVE_SOL, CURVE_TOKENS = 30.0, 1_073_000_000.0
GRADUATION_SOL = 115.005
TOTAL_SUPPLY = 1_000_000_000


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One DexScreener pair of the token. `share` is the slice of the token's post-migration
    flow it carries (the PumpSwap pool takes what the others leave); `depth` its liquidity
    relative to the PumpSwap pool; `basis` a small static price offset from arbitrage lag.
    A `fake` pool carries none of the flow and claims a liquidity nothing backs."""

    pair_address: str
    dex_id: str
    labels: tuple[str, ...]
    quote: str
    created_ms: int
    share: float
    depth: float
    basis: float
    fake: FakeLiquidity | None = None


@dataclass(frozen=True, slots=True, eq=False)
class TokenSpec:
    """Identity and story parameters of one token; prices are SOL per token (native)."""

    seed: int
    mint: str
    name: str
    symbol: str
    uri: str
    creator: str
    create_signature: str
    migration_signature: str
    bonding_curve: str
    created_ms: int
    migrated_ms: int
    initial_buy_sol: float
    story: str
    lam0: float
    trade_usd: float
    lp_start: float
    lp_target: float
    quote0: float
    tau: float
    floor: float
    trend: float
    event_at: float
    event_len: float
    event_amp: float
    event_gain: float
    pools: tuple[PoolSpec, ...]
    info: dict[str, Any] | None
    info_from_ms: int
    boosts: int
    traits: TokenTraits
    serial_creator: bool = False
    habits: Habits = field(default_factory=Habits)

    @property
    def rug_at_ms(self) -> int | None:
        if self.story != "rug":
            return None
        return self.migrated_ms + int(self.event_at * MINUTE_MS)

    def create_frame(self) -> dict[str, Any]:
        """The PumpPortal `subscribeNewToken` frame of this token's launch."""
        return create_frame(
            signature=self.create_signature,
            mint=self.mint,
            creator=self.creator,
            sol_amount=self.initial_buy_sol,
            bonding_curve=self.bonding_curve,
            name=self.name,
            symbol=self.symbol,
            uri=self.uri,
        )

    def migration_frame(self) -> dict[str, Any]:
        """The PumpPortal migration frame: exactly these four keys."""
        return {
            "signature": self.migration_signature,
            "mint": self.mint,
            "txType": "migrate",
            "pool": "pump-amm",
        }


def create_frame(
    *,
    signature: str,
    mint: str,
    creator: str,
    sol_amount: float,
    bonding_curve: str,
    name: str,
    symbol: str,
    uri: str,
) -> dict[str, Any]:
    """A create frame with the bonding curve reserves after the creator's initial buy."""
    v_sol = CURVE_SOL + sol_amount
    v_tokens = CURVE_SOL * CURVE_TOKENS / v_sol
    return {
        "signature": signature,
        "mint": mint,
        "traderPublicKey": creator,
        "txType": "create",
        "initialBuy": _js_number(round(CURVE_TOKENS - v_tokens, 6)),
        "solAmount": sol_amount,
        "bondingCurveKey": bonding_curve,
        "vTokensInBondingCurve": _js_number(round(v_tokens, 6)),
        "vSolInBondingCurve": _js_number(v_sol),
        "marketCapSol": v_sol / v_tokens * TOTAL_SUPPLY,
        "name": name,
        "symbol": symbol,
        "uri": uri,
        "is_mayhem_mode": False,
        "pool": "pump",
    }


def _js_number(value: float) -> float | int:
    """PumpPortal is JavaScript: an integral number goes out without a fraction."""
    return int(value) if value == int(value) else value


def draw_initial_buy(rng: Random) -> float:
    return 0 if rng.random() < 0.2 else round(rng.uniform(0.1, 3.0), 9)


def draw_token(
    rng: Random,
    *,
    migrated_ms: int,
    mint: str | None = None,
    story: str | None = None,
    creator: str | None = None,
) -> TokenSpec:
    """Draw a token that graduates at `migrated_ms`, launched 3 to 60 minutes earlier; a given
    `creator` (a serial one) replaces the drawn wallet."""
    seed = rng.getrandbits(48)
    token_mint = mint or random_pump_mint(rng)
    name, symbol = draw_name_symbol(rng)
    created_ms = migrated_ms - int(rng.uniform(3, 60) * MINUTE_MS)
    initial_buy = draw_initial_buy(rng)
    v_sol = CURVE_SOL + initial_buy
    chosen = story or rng.choices(STORIES, STORY_WEIGHTS)[0]
    lp_target = math.log(GRADUATION_SOL**2 / (CURVE_SOL * CURVE_TOKENS)) + rng.gauss(0, 0.02)
    info_from_ms = migrated_ms + int(rng.uniform(1, 90) * MINUTE_MS)
    info = draw_profile(rng, token_mint, symbol, info_from_ms) if rng.random() < 0.5 else None
    params = draw_story(rng, chosen)
    habits = draw_habits(seed, chosen)
    skip_draw(rng)  # the curve is derived from the mint, but its draw keeps the stream in place
    bonding_curve = bonding_curve_of(token_mint)
    return TokenSpec(
        seed=seed,
        mint=token_mint,
        name=name,
        symbol=symbol,
        uri=draw_uri(rng),
        creator=_given_or(creator, random_wallet(rng)),
        create_signature=random_signature(rng),
        migration_signature=random_signature(rng),
        bonding_curve=bonding_curve,
        created_ms=created_ms,
        migrated_ms=migrated_ms,
        initial_buy_sol=initial_buy,
        story=chosen,
        lam0=math.exp(rng.gauss(math.log(40), 0.6)),
        trade_usd=math.exp(rng.gauss(math.log(60), 0.4)),
        lp_start=math.log(v_sol * v_sol / (CURVE_SOL * CURVE_TOKENS)),
        lp_target=lp_target,
        quote0=rng.uniform(84.0, 85.0),
        pools=_draw_pools(rng, token_mint, created_ms, migrated_ms)
        + _fake_pool(seed, habits, migrated_ms),
        info=info,
        info_from_ms=info_from_ms,
        boosts=rng.choice((10, 30, 50, 100, 500)) if info and rng.random() < 0.2 else 0,
        traits=draw_traits(token_mint, created_ms),
        serial_creator=creator is not None,
        habits=habits,
        **params,
    )


def _given_or(given: str | None, drawn: str) -> str:
    """`given` if any; `drawn` is drawn either way, so the stream does not depend on it."""
    return drawn if given is None else given


def skip_draw(rng: Random) -> None:
    """Consume one address-sized draw."""
    rng.getrandbits(256)


def _draw_pools(rng: Random, mint: str, created_ms: int, migrated_ms: int) -> tuple[PoolSpec, ...]:
    def later() -> int:
        return migrated_ms + int(rng.uniform(2, 120) * MINUTE_MS)

    def basis() -> float:
        return rng.uniform(-0.006, 0.006)

    skip_draw(rng)  # the pool is derived from the mint too
    pools = [
        PoolSpec(bonding_curve_of(mint), "pumpfun", (), "SOL", created_ms, 0.0, 0.0, 0.0),
        PoolSpec(pool_of(mint), "pumpswap", (), "SOL", migrated_ms, 0.0, 1.0, 0.0),
    ]
    if rng.random() < 0.25:
        label = "CPMM" if rng.random() < 0.6 else "CLMM"
        share, depth = rng.uniform(0.05, 0.25), rng.uniform(0.1, 0.6)
        pools.append(
            PoolSpec(
                random_address(rng), "raydium", (label,), "SOL", later(), share, depth, basis()
            )
        )
    if rng.random() < 0.3:
        label = "DLMM" if rng.random() < 0.5 else "DYN2"
        quote = "USDC" if rng.random() < 0.25 else "SOL"
        share, depth = rng.uniform(0.03, 0.2), rng.uniform(0.05, 0.5)
        pools.append(
            PoolSpec(
                random_address(rng), "meteora", (label,), quote, later(), share, depth, basis()
            )
        )
    if rng.random() < 0.05:
        share, depth = rng.uniform(0.02, 0.1), rng.uniform(0.05, 0.3)
        pools.append(
            PoolSpec(random_address(rng), "orca", (), "SOL", later(), share, depth, basis())
        )
    return tuple(pools)


def _fake_pool(seed: int, habits: Habits, migrated_ms: int) -> tuple[PoolSpec, ...]:
    """The token's fake-liquidity pool, if its habits give it one (its address from its own
    stream, so the other pools keep theirs)."""
    if habits.fake is None:
        return ()
    dex_id, label = habits.fake_dex
    opened = migrated_ms + int(habits.fake_after * MINUTE_MS)
    address = random_address(Random(f"fake-pool:{seed}"))
    return (
        PoolSpec(address, dex_id, (label,), habits.fake_quote, opened, 0.0, 0.0, 0.0, habits.fake),
    )

"""Habits: the ways real graduates' trading departs from a clean story.

Seen on real Pump.fun graduates and reproduced here: most go thin within minutes of migrating
(a few trades of a few dollars every five minutes); some are worked by a volume bot (bursts of
paired buys and sells that move nothing); a few get a concentrated-liquidity pool parked at an
absurd price, which DexScreener values at billions against a few dollars of quote; a rug is a
dump plus a liquidity pull, often after a short pump to draw buyers in.

Drawn from a `Random` of the token's own seed, never from the stream that draws its identity
and pools, so a habit moves no name, address or signature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

THIN_SHARE = 0.3  # of the tokens that do not rug
WASH_SHARE = 0.2
FAKE_POOL_SHARE = 0.06
RUG_PUMP_SHARE = 0.4
REVIVAL_SHARE = 0.4  # of the tokens that do not rug
REVIVAL_STORIES = ("pump", "steady", "fade")
WASH_SEGMENT_MINUTES = 30
WASH_SEGMENT_SHARE = 0.3  # of a bot's 30-minute segments that hold a burst


@dataclass(frozen=True, slots=True)
class FakeLiquidity:
    """A pool whose price was set far above the market and never traded back: its reserve is
    nearly all base, valued at that price. DexScreener reports liquidity.usd = base x priceUsd
    + the quote's worth, so `claimed_usd` is what it shows against `quote_usd` of real quote.
    Its creator trades a buy and a sell every `trade_every` minutes, of `trade_usd` each."""

    claimed_usd: float
    quote_usd: float
    base_tokens: float
    trade_every: float
    trade_usd: float

    @property
    def price_usd(self) -> float:
        return (self.claimed_usd - self.quote_usd) / self.base_tokens

    def trades_until(self, created_ms: int, at_ms: int) -> int:
        """Buy-and-sell rounds from the pool's creation up to `at_ms` (the first at creation)."""
        if at_ms < created_ms:
            return 0
        return math.floor((at_ms - created_ms) / (self.trade_every * 60_000)) + 1


@dataclass(frozen=True, slots=True)
class Habits:
    """thin: a thin token's share of its story's activity once the migration crowd has left
    (over `settle` minutes), its trades `thin_size` of the usual size; 1 and 1 for a token that
    stays busy. wash_rate: trades a minute of a volume bot during its bursts (0: no bot), of
    `wash_size` times the usual size. A rug dumps the price to `rug_crash` of what it was over
    `rug_minutes`, and its liquidity pull leaves `rug_left` of the pool's constant product;
    `rug_pump` is the log gain of the pump before it (0: none), over `rug_pump_minutes`."""

    thin: float = 1.0
    thin_size: float = 1.0
    settle: float = 5.0
    wash_rate: float = 0.0
    wash_size: float = 1.0
    rug_crash: float = 0.03
    rug_minutes: int = 1
    rug_left: float = 0.1
    rug_pump: float = 0.0
    rug_pump_minutes: float = 0.0
    fake: FakeLiquidity | None = None
    fake_dex: tuple[str, str] = ("raydium", "CLMM")
    fake_quote: str = "USDC"
    fake_after: float = 0.0  # minutes after migration the fake pool opens
    revival_at: float = 0.0  # minutes after migration a second wave of buyers arrives (0: none)
    revival_len: float = 0.0
    revival_amp: float = 0.0  # its peak extra trades a minute, as a multiple of the token's lam0
    revival_gain: float = 0.0  # the log price gain it carries

    @property
    def is_thin(self) -> bool:
        return self.thin < 1

    def summary(self) -> dict[str, bool]:
        """Which habits the token has, for the ground truth."""
        return {
            "thin": self.is_thin,
            "wash": self.wash_rate > 0,
            "fake_liquidity": self.fake is not None,
            "pump_before_rug": self.rug_pump > 0,
            "revival": self.revival_at > 0,
        }


def draw_habits(seed: int, story: str) -> Habits:
    """Every value is drawn whether it is used or not: one token, one stream, any story."""
    rng = Random(f"habits:{seed}")
    thin = rng.random() < THIN_SHARE and story != "rug"
    thin_share, thin_size = rng.uniform(0.02, 0.06), rng.uniform(0.04, 0.15)
    settle = rng.uniform(3, 15)
    wash = rng.random() < WASH_SHARE
    wash_rate, wash_size = rng.uniform(15, 60), rng.uniform(0.3, 1.0)
    crash = math.exp(rng.uniform(math.log(0.005), math.log(0.06)))
    liquidity_left = rng.uniform(0.02, 0.08)  # of the pool's quote, crash and pull together
    rug_minutes = rng.randint(1, 4)
    pump = rng.random() < RUG_PUMP_SHARE and story == "rug"
    pump_gain, pump_minutes = math.log(rng.uniform(1.5, 3.0)), rng.uniform(10, 25)
    fake = rng.random() < FAKE_POOL_SHARE
    claimed = 10 ** rng.uniform(5.5, 9.3)
    fake_liquidity = FakeLiquidity(
        claimed_usd=claimed,
        quote_usd=rng.uniform(3, 45),
        base_tokens=1e9 * rng.uniform(0.005, 0.03),
        trade_every=rng.uniform(20, 120),
        trade_usd=claimed * rng.uniform(2e-6, 2e-5),
    )
    dex = ("raydium", "CLMM") if rng.random() < 0.6 else ("meteora", "DLMM")
    quote = "USDC" if rng.random() < 0.7 else "SOL"
    fake_after = rng.uniform(3, 240)
    # Drawn last, so every earlier habit keeps its value.
    revival = rng.random() < REVIVAL_SHARE and story in REVIVAL_STORIES
    revival_at, revival_len = rng.uniform(90, 660), rng.uniform(20, 60)
    revival_amp, revival_gain = rng.uniform(1, 3), math.log(rng.uniform(1.5, 4))
    return Habits(
        thin=thin_share if thin else 1.0,
        thin_size=thin_size if thin else 1.0,
        settle=settle,
        wash_rate=wash_rate if wash else 0.0,
        wash_size=wash_size,
        rug_crash=crash,
        rug_minutes=rug_minutes,
        # quote = sqrt(k x price): what is left of the quote is sqrt(left x crash).
        rug_left=min(1.0, liquidity_left**2 / crash),
        rug_pump=pump_gain if pump else 0.0,
        rug_pump_minutes=pump_minutes if pump else 0.0,
        fake=fake_liquidity if fake else None,
        fake_dex=dex,
        fake_quote=quote,
        fake_after=fake_after,
        revival_at=revival_at if revival else 0.0,
        revival_len=revival_len if revival else 0.0,
        revival_amp=revival_amp if revival else 0.0,
        revival_gain=revival_gain if revival else 0.0,
    )

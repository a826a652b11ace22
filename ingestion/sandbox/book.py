"""Every on-chain account of one token, and what each holds at any instant.

The pools' vaults hold what the pools' DexScreener liquidity says (same reserves, same
instant); the bonding curve sells all but what it hands the PumpSwap pool at graduation (about
206.9 M tokens) and is empty after;
the creator, the incinerator and the holders share the rest in proportions fixed per token
by its holder profile. Amounts are integers (raw units, 6 decimals) that add up exactly to
the supply: a long tail of small holders, never listed, takes the remainder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

from ingestion.sandbox.keys import (
    AMM_PROGRAMS,
    INCINERATOR,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    WSOL_MINT,
    ata,
    bonding_curve_of,
    pool_authority_of,
    pool_of,
    random_wallet,
)
from ingestion.sandbox.life import PoolSpec, TokenSpec
from ingestion.sandbox.pairs import pool_reserves
from ingestion.sandbox.story import MINUTE_MS
from ingestion.sandbox.tape import TokenTape
from ingestion.sandbox.traits import SPL_2022, TokenTraits

DECIMALS = 6
SUPPLY = 10**15
CURVE_SALE = 793_100_000 * 10**DECIMALS
# Roles a holder-concentration check must leave out: pools, the curve and the burn address.
PROGRAM_ROLES = ("pool_vault", "amm_vault", "bonding_curve", "pool_authority", "burn")
# A coin that never graduates sells at most this share of its curve, over its first half hour.
PLAIN_SALE_SHARE, PLAIN_SALE_MS = 0.4, 30 * MINUTE_MS
_MIN_FREE = SUPPLY // 20  # pools never swallow the last 5% of the supply


@dataclass(frozen=True, slots=True)
class TokenAccount:
    """One token account of the mint: its address, its owner, what the owner is, since when."""

    address: str
    owner: str
    role: str
    since_ms: int
    frozen: bool = False


@dataclass(frozen=True, slots=True)
class Launch:
    """A coin as its create frame tells it: graduated ones also have their TokenSpec."""

    mint: str
    creator: str
    created_ms: int
    signature: str
    name: str
    symbol: str
    uri: str
    initial_buy_tokens: float
    sol_amount: float
    serial_creator: bool
    spec: TokenSpec | None = None


class TokenBook:
    """The accounts of one token and their balances over time (derived once, on first use)."""

    def __init__(self, launch: Launch, traits: TokenTraits, tape: TokenTape | None) -> None:
        self.launch, self.traits, self.tape = launch, traits, tape
        self.mint, self.creator, self.spec = launch.mint, launch.creator, launch.spec
        self.program_id = TOKEN_2022_PROGRAM if traits.token_program == SPL_2022 else TOKEN_PROGRAM
        self.curve = bonding_curve_of(self.mint)
        self.migrated_ms = self.spec.migrated_ms if self.spec is not None else None
        rng = Random(f"book:{self.mint}")
        profile = traits.holders
        if profile == "creator":
            self.creator_share = rng.uniform(0.12, 0.30)
        else:
            self.creator_share = 0.0 if rng.random() < 0.5 else rng.uniform(0.002, 0.03)
        self.holder_shares = _holder_shares(rng, profile)
        frozen = traits.extension == "defaultAccountState"
        created = launch.created_ms
        self.accounts: list[TokenAccount] = [
            self._account(self.curve, "bonding_curve", created),
            self._account(self.creator, "creator", created, frozen),
        ]
        holders = [random_wallet(rng) for _ in self.holder_shares]
        self.accounts += [self._account(h, "holder", created, frozen) for h in holders]
        self.pool: str | None = None
        self.pool_authority: str | None = None
        self.quote_vault: str | None = None
        self.side_pools: list[tuple[PoolSpec, str]] = []
        self._graduation_base: int | None = None
        if self.spec is not None and self.migrated_ms is not None:
            self._graduated_accounts(self.spec, self.migrated_ms)

    def _account(self, owner: str, role: str, since_ms: int, frozen: bool = False) -> TokenAccount:
        return TokenAccount(ata(owner, self.mint, self.program_id), owner, role, since_ms, frozen)

    def _graduated_accounts(self, spec: TokenSpec, migrated_ms: int) -> None:
        pool, authority = pool_of(self.mint), pool_authority_of(self.mint)
        self.pool, self.pool_authority = pool, authority
        self.quote_vault = ata(pool, WSOL_MINT)
        self.accounts.append(self._account(pool, "pool_vault", migrated_ms))
        self.accounts.append(self._account(authority, "pool_authority", migrated_ms))
        if self.traits.burn_share:
            self.accounts.append(self._account(INCINERATOR, "burn", migrated_ms))
        for side in spec.pools:
            if side.dex_id in ("pumpfun", "pumpswap"):
                continue
            self.side_pools.append((side, amm_program(side)))
            self.accounts.append(self._account(side.pair_address, "amm_vault", side.created_ms))

    @property
    def base_vault(self) -> str | None:
        return ata(self.pool, self.mint, self.program_id) if self.pool else None

    def graduated_by(self, at_ms: int) -> bool:
        return self.migrated_ms is not None and at_ms >= self.migrated_ms

    def supply(self, at_ms: int) -> int:
        return SUPPLY - self.traits.burned if self.graduated_by(at_ms) else SUPPLY

    def live_accounts(self, at_ms: int) -> list[TokenAccount]:
        return [account for account in self.accounts if account.since_ms <= at_ms]

    def balances(self, at_ms: int) -> dict[str, int]:
        """Raw amount of every token account that exists at `at_ms`, by address."""
        if at_ms < self.launch.created_ms:
            return {}
        if self.graduated_by(at_ms):
            fixed, free = self._after_graduation(at_ms)
        else:
            fixed, free = self._on_curve(at_ms)
        amounts: dict[str, int] = {}
        shares = iter(self.holder_shares)
        for account in self.live_accounts(at_ms):
            if account.role == "holder":
                amounts[account.address] = math.floor(free * next(shares))
            else:
                amounts[account.address] = fixed.get(account.role, 0)
        for pool, _ in self.side_pools:
            if pool.created_ms <= at_ms:
                vault = ata(pool.pair_address, self.mint, self.program_id)
                amounts[vault] = fixed.get(pool.pair_address, 0)
        return amounts

    def _on_curve(self, at_ms: int) -> tuple[dict[str, int], int]:
        launch = self.launch
        if self.migrated_ms is not None:
            progress = (at_ms - launch.created_ms) / max(1, self.migrated_ms - launch.created_ms)
        else:
            progress = PLAIN_SALE_SHARE * min(1.0, (at_ms - launch.created_ms) / PLAIN_SALE_MS)
        creator = round(launch.initial_buy_tokens * 10**DECIMALS)
        sold = max(creator, round(min(1.0, progress) * self.sale()))
        return {"bonding_curve": SUPPLY - sold, "creator": creator}, sold - creator

    def sale(self) -> int:
        """What the curve sells before graduating: all but what it then hands the pool."""
        return SUPPLY - self.graduation_base() if self.migrated_ms is not None else CURVE_SALE

    def graduation_base(self) -> int:
        """What the curve hands the pool at graduation: all it has left, so that the curve
        empties into a vault holding exactly what the pool's liquidity shows then."""
        if self._graduation_base is None:
            assert self.migrated_ms is not None
            self._graduation_base = self._after_graduation(self.migrated_ms)[0]["pool_vault"]
        return self._graduation_base

    def _after_graduation(self, at_ms: int) -> tuple[dict[str, int], int]:
        assert self.tape is not None
        assert self.spec is not None
        supply = self.supply(at_ms)
        log_price = self.tape.point(at_ms).log_price
        pools = {"pool_vault": self._base_raw(self.spec.pools[1], log_price, at_ms)}
        for pool, _ in self.side_pools:
            if pool.created_ms <= at_ms:
                pools[pool.pair_address] = self._base_raw(pool, log_price, at_ms)
        burn = round(self.traits.burn_share * SUPPLY)
        creator = round(self.creator_share * SUPPLY)
        room = supply - burn - creator - _MIN_FREE
        held = sum(pools.values())
        if held > room:
            pools = {key: amount * room // held for key, amount in pools.items()}
        free = supply - burn - creator - sum(pools.values())
        return {**pools, "burn": burn, "creator": creator}, free

    def _base_raw(self, pool: PoolSpec, log_price: float, at_ms: int) -> int:
        assert self.spec is not None
        return round(pool_reserves(self.spec, pool, log_price, at_ms)[0] * 1e6)

    def quote_lamports(self, at_ms: int) -> int:
        """Wrapped SOL in the PumpSwap pool's quote vault."""
        if self.spec is None or self.tape is None or not self.graduated_by(at_ms):
            return 0
        log_price = self.tape.point(at_ms).log_price
        return round(pool_reserves(self.spec, self.spec.pools[1], log_price, at_ms)[1] * 1e9)

    def holders(self, at_ms: int) -> list[tuple[TokenAccount, int]]:
        """Every account with its amount, largest first (ties by address)."""
        amounts = self.balances(at_ms)
        found = [(account, amounts[account.address]) for account in self.live_accounts(at_ms)]
        return sorted(found, key=lambda item: (-item[1], item[0].address))


def amm_program(pool: PoolSpec) -> str:
    label = pool.labels[0] if pool.labels else ""
    return AMM_PROGRAMS[(pool.dex_id, label)]


def _holder_shares(rng: Random, profile: str) -> list[float]:
    """Each listed holder's share of what pools, curve, creator and burn leave."""
    if profile == "concentrated":
        whales = [rng.uniform(0.7, 1.0) for _ in range(8)]
        small = [(i + 2) ** -1.1 * rng.uniform(0.85, 1.15) for i in range(28)]
        return _scaled(whales, 0.92) + _scaled(small, 0.05)
    spread = [(i + 2) ** -1.1 * rng.uniform(0.85, 1.15) for i in range(36)]
    return sorted(_scaled(spread, 0.40), reverse=True)


def _scaled(weights: list[float], total: float) -> list[float]:
    whole = sum(weights)
    return [total * weight / whole for weight in weights]

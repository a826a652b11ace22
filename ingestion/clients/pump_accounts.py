"""Accounts around a graduated pump.fun coin, derived as the programs derive them, and who is
behind a token account's owner.

A PumpSwap pool is a program-derived address of its pool authority (itself derived from the
mint under pump.fun) and both mints, so a coin's canonical pool is known without a lookup. Its
account data names the coin's creator (``coin_creator``), which the chain keeps even when the
feed never reported the launch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from solders.pubkey import Pubkey
from solders.token.associated import get_associated_token_address

from .pump_migrations import PUMP_AMM_PROGRAM, PUMP_PROGRAM
from .solana_address import is_on_curve
from .solana_rpc import AccountInfo

SYSTEM_PROGRAM = "11111111111111111111111111111111"
WSOL_MINT = "So11111111111111111111111111111111111111112"
# Where tokens are sent to be gone: no key exists for it, and no program owns it.
INCINERATOR = "1nc1nerator11111111111111111111111111111111"
BURN_ADDRESSES = frozenset({INCINERATOR})
PROGRAM_NAMES = {PUMP_AMM_PROGRAM: "PumpSwap pool", PUMP_PROGRAM: "pump.fun bonding curve"}

# PumpSwap's Pool account: an 8-byte discriminator, bump (u8), index (u16), then the keys
# creator, base_mint, quote_mint, lp_mint, base vault, quote vault, lp_supply (u64) and
# coin_creator.
_POOL_BASE_MINT = 8 + 1 + 2 + 32
_POOL_COIN_CREATOR = 8 + 1 + 2 + 6 * 32 + 8


def _key(address: str) -> Pubkey:
    return Pubkey.from_string(address)


@lru_cache(maxsize=1 << 14)
def pump_pool_of(mint: str) -> str:
    """The coin's canonical PumpSwap pool: index 0, created by its pool authority, paired with
    wrapped SOL."""
    authority, _ = Pubkey.find_program_address(
        [b"pool-authority", bytes(_key(mint))], _key(PUMP_PROGRAM)
    )
    seeds = [b"pool", (0).to_bytes(2, "little"), bytes(authority), bytes(_key(mint))]
    pool, _ = Pubkey.find_program_address([*seeds, bytes(_key(WSOL_MINT))], _key(PUMP_AMM_PROGRAM))
    return str(pool)


@lru_cache(maxsize=1 << 14)
def associated_account(owner: str, mint: str, token_program: str) -> str:
    """The associated token account of ``owner`` for ``mint`` under ``token_program``."""
    return str(get_associated_token_address(_key(owner), _key(mint), _key(token_program)))


def pool_coin_creator(account: AccountInfo, mint: str) -> str | None:
    """The coin creator a PumpSwap pool account names, when it is the pool of ``mint``."""
    data = account.raw
    if account.owner != PUMP_AMM_PROGRAM or data is None or len(data) < _POOL_COIN_CREATOR + 32:
        return None
    if str(Pubkey.from_bytes(data[_POOL_BASE_MINT : _POOL_BASE_MINT + 32])) != mint:
        return None
    creator = data[_POOL_COIN_CREATOR : _POOL_COIN_CREATOR + 32]
    return None if not any(creator) else str(Pubkey.from_bytes(creator))


@dataclass(frozen=True)
class Holder:
    """What is behind a token account's owner: a person's wallet, a program, or the burn."""

    kind: str  # "wallet", "program" or "burn"
    label: str  # e.g. "PumpSwap pool", "program account (owned by ...)", "wallet"

    @property
    def counts(self) -> bool:
        """Whether its tokens count as held by someone (pools, curves and burns do not)."""
        return self.kind == "wallet"


def classify_owner(owner: str, account: AccountInfo | None) -> Holder:
    """Judge an owner by its own account: the burn address; an account a program owns (a
    pool, a curve, a vault's authority) or an address no key can sign for (a program-derived
    address); else a wallet."""
    if owner in BURN_ADDRESSES:
        return Holder("burn", "burn address")
    if account is not None and account.owner != SYSTEM_PROGRAM:
        name = PROGRAM_NAMES.get(account.owner, f"program account (owned by {account.owner})")
        return Holder("program", name)
    if not is_on_curve(owner):
        return Holder("program", "program-derived address")
    return Holder("wallet", "wallet")

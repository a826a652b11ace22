"""Solana keys for the simulated market and chain, built and encoded with solders.

Random wallets, mints and signatures come from a caller's `Random`, one fixed-size draw each, so
a market drawn with the same seed draws the same stream whatever these keys look like. Program
accounts (bonding curves, pools, token accounts) are derived from the mint exactly as pump.fun,
PumpSwap and the associated-token program derive them, so a client that derives them finds them.
"""

from __future__ import annotations

from functools import lru_cache
from random import Random

from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.token.associated import get_associated_token_address

SYSTEM_PROGRAM = "11111111111111111111111111111111"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"  # noqa: S105 (a public address)
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"  # noqa: S105
ASSOCIATED_TOKEN_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"  # noqa: S105
COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111"
MEMO_PROGRAM = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
RENT_SYSVAR = "SysvarRent111111111111111111111111111111111"
PUMP_PROGRAM = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
PUMP_AMM_PROGRAM = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
WSOL_MINT = "So11111111111111111111111111111111111111112"
# pump.fun's withdraw authority: writable in every migrate, so its signature list is the
# list of graduations (plus whatever else mentions it).
MIGRATION_ACCOUNT = "39azUYFWPz3VHgKCf3VChUwbpURdCHRxjWVowf5jUJjg"
INCINERATOR = "1nc1nerator11111111111111111111111111111111"
# Programs that own the side pools DexScreener lists next to PumpSwap.
AMM_PROGRAMS = {
    ("raydium", "CPMM"): "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C",
    ("raydium", "CLMM"): "CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK",
    ("meteora", "DLMM"): "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo",
    ("meteora", "DYN2"): "cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG",
    ("orca", ""): "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc",
}
_PUMP_SUFFIX = "pump"
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_SUFFIX_MODULUS = 58 ** len(_PUMP_SUFFIX)
_U256 = 1 << 256


def random_address(rng: Random) -> str:
    """Any 32-byte public key (side pools, programs that are only named)."""
    return str(Pubkey(rng.getrandbits(256).to_bytes(32, "big")))


def random_wallet(rng: Random) -> str:
    """A wallet: a key on the ed25519 curve, as every keypair's public key is (a program-derived
    address never is, which is how a client tells people from program accounts)."""
    return str(_on_curve(rng.getrandbits(256), 1))


def random_pump_mint(rng: Random) -> str:
    """A mint keypair's key whose base58 form ends in "pump", like pump.fun's vanity mints.

    The last four base58 digits of a number are its value modulo 58**4, so replacing that
    remainder with the value of "pump" fixes the suffix without grinding; stepping by 58**4
    keeps it while looking for a key on the curve.
    """
    suffix_value = 0
    for char in _PUMP_SUFFIX:
        suffix_value = suffix_value * 58 + _ALPHABET.index(char)
    number = rng.getrandbits(256)
    number += suffix_value - number % _SUFFIX_MODULUS
    if number >= _U256:
        number -= _SUFFIX_MODULUS
    return str(_on_curve(number, _SUFFIX_MODULUS))


def random_signature(rng: Random) -> str:
    """A 64-byte transaction signature (87-88 characters)."""
    return str(Signature(rng.getrandbits(512).to_bytes(64, "big")))


def _on_curve(number: int, step: int) -> Pubkey:
    """The first key on the curve at number, number + step, ... (wrapping to the smallest
    number with the same remainder, so a suffix fixed modulo `step` survives)."""
    while True:
        key = Pubkey(number.to_bytes(32, "big"))
        if key.is_on_curve():
            return key
        number += step
        if number >= _U256:
            number %= step


def is_address(text: object) -> bool:
    """Whether `text` is the base58 form of a 32-byte key."""
    if not isinstance(text, str):
        return False
    try:
        return str(Pubkey.from_string(text)) == text
    except ValueError:
        return False


def is_signature(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        return str(Signature.from_string(text)) == text
    except ValueError:
        return False


def signature_bytes(signature: str) -> bytes:
    return bytes(Signature.from_string(signature))


def short_base58(data: bytes) -> str:
    """base58 of up to 64 bytes (instruction data): as a key or signature padded with leading
    zero bytes, each of which base58 writes as one "1", then cut off."""
    if len(data) > 64:
        raise ValueError("at most 64 bytes")
    pad = (32 if len(data) <= 32 else 64) - len(data)
    padded = bytes(pad) + data
    text = str(Pubkey(padded)) if len(padded) == 32 else str(Signature(padded))
    return text[pad:]


def key_bytes(address: str) -> bytes:
    return bytes(Pubkey.from_string(address))


@lru_cache(maxsize=1 << 16)
def find_pda_bump(program: str, *seeds: bytes) -> tuple[str, int]:
    """The program-derived address of `seeds` under `program`, and its bump seed."""
    key, bump = Pubkey.find_program_address(list(seeds), Pubkey.from_string(program))
    return str(key), bump


def find_pda(program: str, *seeds: bytes) -> str:
    return find_pda_bump(program, *seeds)[0]


@lru_cache(maxsize=1 << 16)
def ata(owner: str, mint: str, token_program: str = TOKEN_PROGRAM) -> str:
    """The associated token account of `owner` for `mint` under `token_program`."""
    return str(
        get_associated_token_address(
            Pubkey.from_string(owner), Pubkey.from_string(mint), Pubkey.from_string(token_program)
        )
    )


PUMP_GLOBAL = find_pda(PUMP_PROGRAM, b"global")
PUMP_EVENT_AUTHORITY = find_pda(PUMP_PROGRAM, b"__event_authority")
PUMP_MINT_AUTHORITY = find_pda(PUMP_PROGRAM, b"mint-authority")
AMM_GLOBAL_CONFIG = find_pda(PUMP_AMM_PROGRAM, b"global_config")
AMM_EVENT_AUTHORITY = find_pda(PUMP_AMM_PROGRAM, b"__event_authority")


def bonding_curve_of(mint: str) -> str:
    return find_pda(PUMP_PROGRAM, b"bonding-curve", key_bytes(mint))


def pool_authority_of(mint: str) -> str:
    return find_pda(PUMP_PROGRAM, b"pool-authority", key_bytes(mint))


def pool_of(mint: str) -> str:
    """The canonical PumpSwap pool of a graduated coin: index 0, created by its pool authority,
    paired with wrapped SOL."""
    return pool_bump_of(mint)[0]


def pool_bump_of(mint: str) -> tuple[str, int]:
    index = (0).to_bytes(2, "little")
    creator = key_bytes(pool_authority_of(mint))
    seeds = (b"pool", index, creator, key_bytes(mint), key_bytes(WSOL_MINT))
    return find_pda_bump(PUMP_AMM_PROGRAM, *seeds)


def lp_mint_of(pool: str) -> str:
    return find_pda(PUMP_AMM_PROGRAM, b"pool_lp_mint", key_bytes(pool))


def boost_vault_of(pool: str) -> str:
    return find_pda(PUMP_AMM_PROGRAM, b"boost_vault", key_bytes(pool))

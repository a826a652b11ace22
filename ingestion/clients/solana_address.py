"""Solana account addresses and transaction signatures, checked by the solders library's rules.

Pure: no Django, no network. Every mint, wallet, pool and signature moon accepts from a feed, a
form or an RPC answer goes through here, so there is one definition of "a valid address".
"""

from __future__ import annotations

from typing import TypeGuard

from solders.pubkey import Pubkey
from solders.signature import Signature

# Base58 of 32 bytes takes 32 ("1" * 32, the all-zero key) to 44 characters; of 64 bytes, 64 to
# 88. Checking the length first keeps an absurd input from ever reaching the decoder.
ADDRESS_LENGTHS = range(32, 45)
SIGNATURE_LENGTHS = range(64, 89)


def parse_address(text: object) -> str:
    """``text`` itself when it is the base58 form of a 32-byte key; ValueError otherwise.

    A string that decodes but is not written the way solders writes it back (a different
    spelling of the same bytes) is refused too: a key must have one spelling to be usable in a
    database column and in a cache key.
    """
    if not isinstance(text, str) or len(text) not in ADDRESS_LENGTHS:
        raise ValueError(f"not a Solana address: {text!r:.60}")
    try:
        key = Pubkey.from_string(text)
    except ValueError as exc:
        raise ValueError(f"not a Solana address: {text!r:.60} ({exc})") from exc
    if str(key) != text:
        raise ValueError(f"not a canonical Solana address: {text!r:.60}")
    return text


def is_valid_address(text: object) -> TypeGuard[str]:
    """Whether ``parse_address`` accepts ``text``."""
    try:
        parse_address(text)
    except ValueError:
        return False
    return True


def parse_signature(text: object) -> str:
    """``text`` itself when it is the base58 form of a 64-byte transaction signature."""
    if not isinstance(text, str) or len(text) not in SIGNATURE_LENGTHS:
        raise ValueError(f"not a Solana transaction signature: {text!r:.100}")
    try:
        signature = Signature.from_string(text)
    except ValueError as exc:
        raise ValueError(f"not a Solana transaction signature: {text!r:.100} ({exc})") from exc
    if str(signature) != text:
        raise ValueError(f"not a canonical Solana transaction signature: {text!r:.100}")
    return text


def is_valid_signature(text: object) -> bool:
    """Whether ``parse_signature`` accepts ``text``."""
    try:
        parse_signature(text)
    except ValueError:
        return False
    return True


def is_on_curve(address: str) -> bool:
    """Whether a private key can exist for ``address``.

    False means a program-derived address: a pool, a bonding curve or a vault, which a program
    controls, never a person. Holder checks use it to tell wallets from program accounts.
    """
    return bool(Pubkey.from_string(parse_address(address)).is_on_curve())

"""Random Solana addresses, signatures and pump.fun-style mints for the simulated market."""

from __future__ import annotations

from random import Random

from ingestion.clients.base58 import ALPHABET, b58encode

_INDEX = {char: value for value, char in enumerate(ALPHABET)}
_PUMP_SUFFIX = "pump"
_SUFFIX_MODULUS = 58 ** len(_PUMP_SUFFIX)


def random_address(rng: Random) -> str:
    """A 32-byte public key (pair addresses, wallets, bonding curves)."""
    return b58encode(rng.getrandbits(256).to_bytes(32, "big"))


def random_signature(rng: Random) -> str:
    """A 64-byte transaction signature (87-88 characters)."""
    return b58encode(rng.getrandbits(512).to_bytes(64, "big"))


def random_pump_mint(rng: Random) -> str:
    """A 32-byte mint whose base58 form ends in "pump", like pump.fun's vanity mints.

    The last four base58 digits of a number are its value modulo 58**4, so replacing that
    remainder with the value of "pump" fixes the suffix without grinding keypairs.
    """
    suffix_value = 0
    for char in _PUMP_SUFFIX:
        suffix_value = suffix_value * 58 + _INDEX[char]
    number = rng.getrandbits(256)
    number += suffix_value - number % _SUFFIX_MODULUS
    if number >= 1 << 256:
        number -= _SUFFIX_MODULUS
    return b58encode(number.to_bytes(32, "big"))

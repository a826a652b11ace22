"""Bitcoin-alphabet base58, the encoding of Solana addresses and signatures."""

from typing import TypeGuard

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_VALUES = {char: value for value, char in enumerate(ALPHABET)}


def b58encode(raw: bytes) -> str:
    """Bytes to base58; each leading zero byte becomes a leading '1'."""
    number = int.from_bytes(raw, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(ALPHABET[remainder])
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """Base58 to bytes; each leading '1' is a leading zero byte.

    Raises ValueError on a character outside the alphabet.
    """
    number = 0
    for char in text:
        value = _VALUES.get(char)
        if value is None:
            raise ValueError(f"not a base58 character: {char!r}")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def is_valid_mint(value: object) -> TypeGuard[str]:
    """A Solana address: 32-44 base58 characters that decode to exactly 32 bytes."""
    if not isinstance(value, str) or not 32 <= len(value) <= 44:
        return False
    try:
        return len(b58decode(value)) == 32
    except ValueError:
        return False

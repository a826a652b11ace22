"""Solana addresses are base58 strings of 32 bytes (32-44 characters)."""

from django.core.exceptions import ValidationError

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: i for i, char in enumerate(BASE58_ALPHABET)}


def base58_decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); raises ValueError on a character outside it."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + _INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading_zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading_zeros + body


def is_valid_mint(text: str) -> bool:
    if not isinstance(text, str) or not 32 <= len(text) <= 44:
        return False
    try:
        return len(base58_decode(text)) == 32
    except ValueError:
        return False


def validate_mint(value: str) -> None:
    if not is_valid_mint(value):
        raise ValidationError(
            "%(value)s is not a Solana mint address (base58, 32 bytes).",
            code="invalid_mint",
            params={"value": value},
        )

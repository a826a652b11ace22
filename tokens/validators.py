"""Solana addresses are base58 strings of 32 bytes (32-44 characters)."""

from django.core.exceptions import ValidationError

from ingestion.clients.base58 import is_valid_mint


def validate_mint(value: str) -> None:
    if not is_valid_mint(value):
        raise ValidationError(
            "%(value)s is not a Solana mint address (base58, 32 bytes).",
            code="invalid_mint",
            params={"value": value},
        )

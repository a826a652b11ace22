"""Solana addresses as moon's models and pages check them, by the solders library's rules."""

from django.core.exceptions import ValidationError
from solders.pubkey import Pubkey

# Quote tokens that pools pair a new token against. A feed frame naming one of them as the
# migrated mint is a mislabelled creation, never a graduation.
WSOL_MINT = "So11111111111111111111111111111111111111112"
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
USD1_MINT = "USD1ttGY1N17NEEHLmELoaybftRBUSErhqYiQzvEmuB"
QUOTE_MINTS = frozenset({WSOL_MINT, USDC_MINT, USD1_MINT})


def is_address(value: object) -> bool:
    """A base58 string of exactly 32 bytes, spelt as solders spells it back: a mint, a wallet
    or any other account. The same rule as ingestion.clients.solana_address (which the leaves
    use), so a mint the listener accepts is one the models and the API accept."""
    if not isinstance(value, str) or not 32 <= len(value) <= 44:
        return False
    try:
        return str(Pubkey.from_string(value)) == value
    except ValueError:
        return False


def validate_mint(value: str) -> None:
    """Django validator for Token.mint_address."""
    if not is_address(value):
        raise ValidationError(
            "%(value)s is not a Solana mint address (base58, 32 bytes).",
            code="invalid_mint",
            params={"value": value},
        )

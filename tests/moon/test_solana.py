"""moon.lib.solana and the clients' address check give the same answer for every input."""

import pytest

from ingestion.clients.solana_address import is_valid_address
from moon.lib.solana import is_address

pytestmark = pytest.mark.pure

WSOL = "So11111111111111111111111111111111111111112"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (WSOL, True),
        ("11111111111111111111111111111111", True),  # the system program: 32 zero bytes
        ("1" * 44, False),  # 44 characters that decode to 32 bytes, but not its spelling
        ("z" * 44, False),  # 33 bytes
        ("0OIl-not-base58-at-all-000000000000", False),
        ("", False),
        (None, False),
    ],
)
def test_both_checks_give_the_same_answer(value: object, valid: bool) -> None:
    assert (is_address(value), is_valid_address(value)) == (valid, valid)

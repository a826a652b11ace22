"""parse_frame and is_valid_address on the frame shapes PumpPortal really sends."""

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from ingestion.clients.pumpportal import (
    SUBSCRIBE_MIGRATION,
    SUBSCRIBE_NEW_TOKEN,
    Ack,
    Creation,
    FeedError,
    Garbage,
    Ignored,
    Migration,
    parse_frame,
)
from ingestion.clients.solana_address import is_valid_address

from .support import EXAMPLE_MINT, WSOL

SIGNATURE = (
    "4tSaG6pdJ8pBkXy5N9ZhsJx3yVgCnf7hXg3r1Q6m3eXz2u4cVtZ1k9ZqGd8WvTmRbL2YjF5sHnAeKpQwUxCyDz7E"
)
MIGRATION_FRAME = json.dumps(
    {"signature": SIGNATURE, "mint": EXAMPLE_MINT, "txType": "migrate", "pool": "pump-amm"}
)
CREATE_FRAME = json.dumps(
    {
        "signature": SIGNATURE,
        "mint": EXAMPLE_MINT,
        "traderPublicKey": WSOL,
        "txType": "create",
        "initialBuy": 61571086.07,
        "solAmount": 1.98,
        "bondingCurveKey": "8ittpMFhz8SrxFy5u5xoaSDeVdbF3gS6xjXZwP8G1nFt",
        "vTokensInBondingCurve": 1011428913.93,
        "vSolInBondingCurve": 31.83,
        "marketCapSol": 31.47,
        "name": "The Baby Elephant",
        "symbol": "Solana",
        "uri": "https://ipfs.io/ipfs/QmYz",
        "pool": "pump",
    }
)


def test_it_names_the_two_subscriptions() -> None:
    assert SUBSCRIBE_MIGRATION == {"method": "subscribeMigration"}
    assert SUBSCRIBE_NEW_TOKEN == {"method": "subscribeNewToken"}


@pytest.mark.parametrize(
    ("frame", "parsed"),
    [
        (MIGRATION_FRAME, Migration(signature=SIGNATURE, mint=EXAMPLE_MINT, pool="pump-amm")),
        (MIGRATION_FRAME.encode(), Migration(SIGNATURE, EXAMPLE_MINT, "pump-amm")),
        (
            MIGRATION_FRAME.replace("pump-amm", "raydium"),
            Migration(SIGNATURE, EXAMPLE_MINT, "raydium"),
        ),
        (
            json.dumps({"signature": SIGNATURE, "mint": EXAMPLE_MINT, "txType": "migrate"}),
            Migration(SIGNATURE, EXAMPLE_MINT, None),
        ),
        (
            CREATE_FRAME,
            Creation(
                mint=EXAMPLE_MINT,
                signature=SIGNATURE,
                creator=WSOL,
                bonding_curve="8ittpMFhz8SrxFy5u5xoaSDeVdbF3gS6xjXZwP8G1nFt",
                initial_buy=Decimal("61571086.070000"),
                initial_buy_sol=Decimal("1.980000000"),
                name="The Baby Elephant",
                symbol="Solana",
                uri="https://ipfs.io/ipfs/QmYz",
                pool="pump",
            ),
        ),
        (
            '{"message":"Subscribed to \'migration\' events."}',
            Ack("Subscribed to 'migration' events."),
        ),
        (
            MIGRATION_FRAME.replace('"migrate"', '"buy"'),
            Ignored("txType 'buy'"),
        ),
        ('{"errors":"Too many connections"}', FeedError("Too many connections")),
        ("{}", Ignored("object without txType, keys []")),
    ],
)
def test_it_parses_frames(frame: str | bytes, parsed: object) -> None:
    assert parse_frame(frame) == parsed


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("", "frame is not JSON: ''"),
        ("ping", "frame is not JSON: 'ping'"),
        (b"\xff\xfe", "frame is not UTF-8"),
        ("[1, 2]", "frame is not a JSON object: [1, 2]"),
        ('"migrate"', "frame is not a JSON object: 'migrate'"),
        ('{"txType": 5}', "txType is not a string: 5"),
        (
            json.dumps({"mint": EXAMPLE_MINT, "txType": "migrate"}),
            "migrate frame without a string signature: None",
        ),
        (
            json.dumps({"signature": 12, "mint": EXAMPLE_MINT, "txType": "migrate"}),
            "migrate frame without a string signature: 12",
        ),
        (
            json.dumps({"signature": SIGNATURE, "txType": "migrate"}),
            "migrate frame with an invalid mint: None",
        ),
        (
            json.dumps({"signature": SIGNATURE, "mint": "0OIl" * 10, "txType": "migrate"}),
            "migrate frame with an invalid mint: '0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl'",
        ),
        (
            json.dumps({"signature": SIGNATURE, "mint": "pump", "txType": "create"}),
            "create frame with an invalid mint: 'pump'",
        ),
    ],
)
def test_it_calls_malformed_frames_garbage(frame: str | bytes, reason: str) -> None:
    assert parse_frame(frame) == Garbage(reason)


def test_it_clips_long_garbage_in_its_reason() -> None:
    garbage = parse_frame("x" * 500)

    assert garbage == Garbage("frame is not JSON: '" + "x" * 76 + "...")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (EXAMPLE_MINT, True),
        (WSOL, True),
        ("11111111111111111111111111111111", True),  # the system program: 32 zero bytes
        ("z" * 44, False),  # 44 base58 characters worth 33 bytes
        ("1" + "z" * 43, False),  # a leading '1' is one more zero byte: 33 again
        ("1" * 31, False),
        ("1" * 45, False),
        (EXAMPLE_MINT[:-1] + "0", False),
        (EXAMPLE_MINT[:-1] + "l", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_it_validates_mints(value: object, valid: bool) -> None:
    assert is_valid_address(value) is valid


@given(st.binary(min_size=32, max_size=32))
def test_it_accepts_every_32_byte_address(raw: bytes) -> None:
    encoded = str(Pubkey(raw))

    assert bytes(Pubkey.from_string(encoded)) == raw
    assert is_valid_address(encoded)


def test_a_frame_nested_too_deeply_for_the_parser_is_garbage() -> None:
    """5,000 levels raise RecursionError in json.loads: that must not end the session."""
    deep = '{"txType": "migrate", "mint": ' + "[" * 5000 + "]" * 5000 + "}"

    assert parse_frame(deep) == Garbage("frame nests too deeply to be read")

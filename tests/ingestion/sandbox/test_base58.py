from random import Random

from ingestion.clients.base58 import b58decode, b58encode
from ingestion.clients.base58 import is_valid_mint as is_address
from ingestion.sandbox.base58 import random_pump_mint, random_signature


def test_it_round_trips_bytes_with_leading_zeros() -> None:
    raw = b"\0\0" + bytes(range(1, 31))

    assert b58decode(b58encode(raw)) == raw
    assert b58encode(raw).startswith("11")


def test_it_encodes_known_addresses() -> None:
    assert b58encode(bytes(32)) == "1" * 32
    assert len(b58decode("So11111111111111111111111111111111111111112")) == 32


def test_it_draws_pump_mints_that_decode_to_32_bytes() -> None:
    rng = Random(1)

    mints = [random_pump_mint(rng) for _ in range(500)]

    assert all(mint.endswith("pump") for mint in mints)
    assert all(is_address(mint) for mint in mints)
    assert all(32 <= len(mint) <= 44 for mint in mints)
    assert len(set(mints)) == 500


def test_it_draws_64_byte_signatures() -> None:
    rng = Random(2)

    signatures = [random_signature(rng) for _ in range(200)]

    assert {len(b58decode(s)) for s in signatures} == {64}
    assert all(80 <= len(s) <= 88 for s in signatures)


def test_it_refuses_non_addresses() -> None:
    assert is_address("0OIl" * 10) is False
    assert is_address("abc") is False
    assert is_address(b58encode(bytes(range(1, 65)))) is False

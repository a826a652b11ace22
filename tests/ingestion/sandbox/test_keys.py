"""Keys of the simulated chain: random ones, derived ones, and their base58 forms (solders)."""

from __future__ import annotations

from random import Random

from solders.pubkey import Pubkey
from solders.signature import Signature

from ingestion.sandbox import keys


def test_pump_mints_end_in_pump_and_are_keypair_keys() -> None:
    rng = Random(1)

    mints = [keys.random_pump_mint(rng) for _ in range(300)]

    assert all(mint.endswith("pump") for mint in mints)
    assert all(Pubkey.from_string(mint).is_on_curve() for mint in mints)
    assert all(keys.is_address(mint) for mint in mints)
    assert len(set(mints)) == 300


def test_wallets_are_on_the_curve_and_derived_addresses_are_not() -> None:
    rng = Random(2)
    wallets = [keys.random_wallet(rng) for _ in range(200)]
    mint = keys.random_pump_mint(rng)

    derived = [keys.bonding_curve_of(mint), keys.pool_authority_of(mint), keys.pool_of(mint)]

    assert all(Pubkey.from_string(w).is_on_curve() for w in wallets)
    assert not any(Pubkey.from_string(d).is_on_curve() for d in derived)


def test_draws_take_the_same_stream_whatever_the_key() -> None:
    one, two = Random(3), Random(3)

    keys.random_wallet(one)
    keys.random_pump_mint(one)
    keys.random_signature(one)
    two.getrandbits(256)
    two.getrandbits(256)
    two.getrandbits(512)

    assert one.random() == two.random()


def test_signatures_are_64_bytes() -> None:
    rng = Random(4)

    signatures = [keys.random_signature(rng) for _ in range(200)]

    assert {len(bytes(Signature.from_string(s))) for s in signatures} == {64}
    assert all(keys.is_signature(s) and 80 <= len(s) <= 88 for s in signatures)


def test_it_refuses_non_addresses_and_non_signatures() -> None:
    signature = keys.random_signature(Random(5))

    assert keys.is_address("0OIl" * 10) is False
    assert keys.is_address("abc") is False
    assert keys.is_address(signature) is False
    assert keys.is_address(None) is False
    assert keys.is_signature(keys.INCINERATOR) is False
    assert keys.is_address(keys.INCINERATOR) is True


def test_short_data_is_base58_as_solders_decodes_it() -> None:
    samples = [b"", b"\x00\x01", bytes([155, 234, 231, 146, 236, 158, 162, 30]), bytes(range(40))]

    for data in samples:
        text = keys.short_base58(data)
        size = 32 if len(data) <= 32 else 64
        pad = "1" * (size - len(data))
        decoded = bytes(
            Pubkey.from_string(pad + text) if size == 32 else Signature.from_string(pad + text)
        )
        assert decoded[size - len(data) :] == data


def test_program_accounts_derive_as_on_mainnet() -> None:
    # A real pump.fun create: its mint, bonding curve and the curve's token account.
    mint = "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp"

    assert keys.bonding_curve_of(mint) == "FFzxakVNzpirwMFtLyD22UZ6UM3KLF2EAGC2RxNPaYoH"
    assert keys.ata(keys.bonding_curve_of(mint), mint) == (
        "6eTEMemDi58KJE1rPEagqMsgn34xUWTkzdZTKM8EVbYF"
    )
    assert keys.PUMP_GLOBAL == "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf"
    assert keys.PUMP_EVENT_AUTHORITY == "Ce6TQqeHC9p8KetsN6JsjHK7UTZk7nasjjnr7XxXp9F1"
    assert keys.PUMP_MINT_AUTHORITY == "TSLvdd1pWpHVjahSpsvCXUbgwsL3JAcvokwaKt1eokM"
    assert keys.AMM_GLOBAL_CONFIG == "ADyA8hdefvWN2dbGGWFotbzWxrAvLW83WG6QCVXvJKqw"
    assert keys.AMM_EVENT_AUTHORITY == "GS4CU59F31iL7aR2Q8zVS8DRrcRnXX1yjQ66TqNVQnaR"
    assert all(keys.is_address(program) for program in keys.AMM_PROGRAMS.values())

"""A migration becomes one monitoring token; a quote token's mint never does."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from moon.lib.solana import QUOTE_MINTS, USDC_MINT
from tests.factories import fake_address
from tokens.models import Token
from tokens.services.registration import token_register_migration

pytestmark = pytest.mark.django_db


def test_a_migration_registers_its_token_once() -> None:
    mint = fake_address(7)

    first = token_register_migration(mint=mint, signature="sig-1")
    again = token_register_migration(mint=mint, signature="sig-2")

    assert first is not None
    assert again is None
    assert list(Token.objects.values_list("mint_address", "status", "migration_signature")) == [
        (mint, "monitoring", "sig-1")
    ]


@pytest.mark.parametrize("mint", sorted(QUOTE_MINTS))
def test_a_quote_token_mint_is_not_registered(mint: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tokens.services.registration"):
        token = token_register_migration(mint=mint, signature="sig-quote")

    assert token is None
    assert Token.objects.count() == 0
    assert caplog.messages == [
        f"migration sig-quote names the quote token {mint} as its mint: ignored"
    ]


def test_the_usdc_mint_is_the_real_one() -> None:
    assert USDC_MINT == "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def test_a_migration_found_on_chain_keeps_its_block_time_and_says_where_it_came_from() -> None:
    mint = fake_address(8)
    block_time = timezone.now() - timedelta(hours=3)
    before = timezone.now()

    token = token_register_migration(
        mint=mint, signature="sig-chain", seen_at=block_time, source=Token.Source.CHAIN
    )

    assert token is not None
    token.refresh_from_db()
    assert (token.source, token.migrated_at, token.migration_signature) == (
        "chain",
        block_time,
        "sig-chain",
    )
    # Its monitoring period starts when moon starts to watch it, not at the block time.
    assert token.created_at >= before


def test_a_feed_migration_is_the_default_source() -> None:
    token = token_register_migration(mint=fake_address(9), signature="sig-feed")

    assert token is not None
    assert (token.source, token.created_at) == ("feed", token.migrated_at)

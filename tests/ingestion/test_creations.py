"""Launches heard on the feed: stored once per mint, pruned after a week unless they migrated;
and what a token's page learns from them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ingestion.clients.pumpportal import Creation as HeardCreation
from ingestion.models import ChainMigration, Creation
from ingestion.selectors import TokenOrigin, token_origin
from ingestion.services.creations import creation_store, intake_prune
from moon.lib.counters import counters_read
from moon.lib.solana import USDC_MINT
from tests.factories import TokenFactory, fake_address

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
MINT = fake_address(1, "pump")
CREATOR = fake_address(2)
HEARD = HeardCreation(
    mint=MINT,
    signature="5N5h7ehwg5ragxwPSACUsSg1tfuT5bK3uE9qsshrNrofjuqR1gaM3G4uVMJFUgT4Vwr3QqkyJQaQSdQNnccuAxoM",
    creator=CREATOR,
    bonding_curve=fake_address(3),
    initial_buy=Decimal("151660777.334045"),
    initial_buy_sol=Decimal("4.938271603"),
    name="tremp mubile",
    symbol="t1",
    uri="https://meta.example/metadata/dEBqafob",
    pool="pump",
    seen_at=NOW.timestamp(),
)


def created(days_ago: float, seed: int, migrated: bool = False) -> Creation:
    mint = fake_address(100 + seed, "pump")
    if migrated:
        TokenFactory(mint_address=mint)
    return Creation.objects.create(mint_address=mint, created_at=NOW - timedelta(days=days_ago))


def test_it_stores_a_launch_with_every_field_and_its_arrival_time() -> None:
    assert creation_store(creation=HEARD) is True

    row = Creation.objects.get()
    assert (row.mint_address, row.signature, row.creator, row.bonding_curve) == (
        MINT,
        HEARD.signature,
        CREATOR,
        fake_address(3),
    )
    assert (row.initial_buy, row.initial_buy_sol) == (
        Decimal("151660777.334045"),
        Decimal("4.938271603"),
    )
    assert (row.name, row.symbol, row.uri, row.pool, row.created_at) == (
        "tremp mubile",
        "t1",
        "https://meta.example/metadata/dEBqafob",
        "pump",
        NOW,
    )
    assert counters_read()[("moon_creations_stored", ())] == 1


def test_the_first_frame_of_a_mint_wins_and_quote_mints_are_left_out() -> None:
    creation_store(creation=HEARD)

    again = creation_store(creation=HeardCreation(mint=MINT, name="renamed"))
    usdc = creation_store(creation=HeardCreation(mint=USDC_MINT, creator=CREATOR))

    assert (again, usdc) == (False, False)
    assert list(Creation.objects.values_list("mint_address", "name")) == [(MINT, "tremp mubile")]


def test_a_frame_with_only_a_mint_is_stored_with_blanks() -> None:
    creation_store(creation=HeardCreation(mint=MINT, seen_at=NOW.timestamp()))

    row = Creation.objects.values("creator", "initial_buy", "name", "uri", "created_at").get()
    assert row == {"creator": "", "initial_buy": None, "name": "", "uri": "", "created_at": NOW}


def test_prune_drops_week_old_launches_that_never_migrated() -> None:
    kept_young = created(6.9, 1)
    dropped = created(7.1, 2)
    kept_migrated = created(30, 3, migrated=True)
    ChainMigration.objects.create(
        signature="old",
        mint_address=MINT,
        slot=1,
        block_time=NOW - timedelta(days=8),
        heard_by="feed",
    )
    ChainMigration.objects.create(
        signature="new",
        mint_address=MINT,
        slot=2,
        block_time=NOW - timedelta(days=1),
        heard_by="feed",
    )

    report = intake_prune(now=NOW)

    assert (report.creations, report.chain_migrations) == (1, 1)
    assert sorted(Creation.objects.values_list("pk", flat=True)) == sorted(
        [kept_young.pk, kept_migrated.pk]
    )
    assert not Creation.objects.filter(pk=dropped.pk).exists()
    assert list(ChainMigration.objects.values_list("signature", flat=True)) == ["new"]


def test_prune_works_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingestion.services.creations.PRUNE_BATCH", 2)
    for seed in range(5):
        created(8, seed)

    report = intake_prune(now=NOW)

    assert (report.creations, Creation.objects.count()) == (5, 0)


def test_the_origin_of_a_token_is_its_launch() -> None:
    creation_store(creation=HEARD)
    token = TokenFactory(mint_address=MINT, migrated_at=NOW + timedelta(hours=3, minutes=12))

    assert token_origin(token) == TokenOrigin(
        creator=CREATOR,
        initial_buy=Decimal("151660777.334045"),
        initial_buy_sol=Decimal("4.938271603"),
        created_at=NOW,
        time_to_graduate=timedelta(hours=3, minutes=12),
        name="tremp mubile",
        symbol="t1",
        uri="https://meta.example/metadata/dEBqafob",
    )


def test_a_token_whose_launch_moon_did_not_hear_has_no_origin() -> None:
    assert token_origin(TokenFactory()) is None


def test_an_origin_without_a_creator_or_a_sane_graduation_time_says_none() -> None:
    creation_store(creation=HeardCreation(mint=MINT, seen_at=NOW.timestamp()))
    before = TokenFactory(mint_address=MINT, migrated_at=NOW - timedelta(seconds=1))

    origin = token_origin(before)

    assert origin is not None
    assert (origin.creator, origin.time_to_graduate, origin.initial_buy) == (None, None, None)

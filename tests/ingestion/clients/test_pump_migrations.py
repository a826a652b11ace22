"""read_migrations: graduations told apart from failures, no-ops, spoofs and look-alikes."""

import copy

import pytest

from ingestion.clients.pump_migrations import (
    Graduation,
    MigrationReading,
    read_migrations,
)
from ingestion.clients.solana_rpc import ParsedTransaction
from ingestion.clients.solana_rpc.decode import read_transaction
from tests.ingestion.chain import coin, graduation, make_address, pool_of, spoof

SLOT, BLOCK_TIME = 412_345_678, 1_780_000_000


def parsed(body: dict) -> ParsedTransaction:  # type: ignore[type-arg]
    return read_transaction(copy.deepcopy(body), "test")


def test_it_reads_the_mint_and_pool_of_a_migrate_v2() -> None:
    tx = graduation("a", SLOT, BLOCK_TIME)

    reading = read_migrations(parsed(tx.body))

    assert reading == MigrationReading(
        "migration",
        (Graduation(tx.signature, coin("a"), "migrate_v2", pool_of(coin("a")), SLOT, BLOCK_TIME),),
    )


def test_it_reads_the_older_migrate_too() -> None:
    tx = graduation("b", SLOT, BLOCK_TIME, v1=True)

    (found,) = read_migrations(parsed(tx.body)).migrations

    assert (found.mint, found.instruction) == (coin("b"), "migrate")


def test_it_finds_a_migration_another_program_called() -> None:
    tx = graduation("c", SLOT, BLOCK_TIME, via=make_address("bot-program"))

    (found,) = read_migrations(parsed(tx.body)).migrations

    assert found.mint == coin("c")


def test_it_does_not_need_the_logs() -> None:
    tx = graduation("d", SLOT, BLOCK_TIME, truncated=True)

    assert read_migrations(parsed(tx.body)).verdict == "migration"


@pytest.mark.parametrize(
    ("tx", "expected"),
    [
        (
            graduation("e", SLOT, BLOCK_TIME, err=True),
            MigrationReading(
                "failed", reason="failed: {'InstructionError': [1, {'Custom': 6040}]}"
            ),
        ),
        (
            graduation("f", SLOT, BLOCK_TIME, no_op=True),
            MigrationReading("no_op", reason="bonding curve already migrated"),
        ),
        (
            graduation("g", SLOT, BLOCK_TIME, no_op=True, truncated=True),
            MigrationReading("no_op", reason="migrate created no PumpSwap pool"),
        ),
        (
            spoof("h", SLOT, BLOCK_TIME, mint=coin("h")),
            MigrationReading("not_migration", reason="no pump.fun migrate instruction"),
        ),
    ],
    ids=["failed", "already-migrated", "no-pool-and-no-logs", "spoof"],
)
def test_it_tells_what_is_not_a_graduation(tx, expected: MigrationReading) -> None:  # type: ignore[no-untyped-def]
    assert read_migrations(parsed(tx.body)) == expected


def test_a_create_pool_for_another_mint_is_not_this_graduation() -> None:
    tx = graduation("i", SLOT, BLOCK_TIME)
    body = copy.deepcopy(tx.body)
    pool_call = body["meta"]["innerInstructions"][0]["instructions"][0]
    pool_call["accounts"][3] = coin("someone-else")

    assert read_migrations(parsed(body)).verdict == "no_op"


def test_undecodable_or_oversized_instruction_data_is_not_a_migration() -> None:
    tx = graduation("j", SLOT, BLOCK_TIME)
    body = copy.deepcopy(tx.body)
    body["transaction"]["message"]["instructions"][1]["data"] = "0OIl"
    oversized = copy.deepcopy(tx.body)
    oversized["transaction"]["message"]["instructions"][1]["data"] = "1" * 600

    assert read_migrations(parsed(body)).verdict == "not_migration"
    assert read_migrations(parsed(oversized)).verdict == "not_migration"

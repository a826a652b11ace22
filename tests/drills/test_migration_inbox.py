"""The listener's inbox: migrations heard while the database is down are stored once it is back,
in the order heard, without ever holding up the socket reader."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest
from django.db import OperationalError

from ingestion.clients.pumpportal import Migration
from ingestion.management.commands.listen_pumpfun import MigrationInbox
from tests.factories import fake_address

MIGRATIONS = [
    Migration(signature=f"sig{i}", mint=fake_address(i, "pump"), pool=None) for i in range(4)
]


class Database:
    """A store that refuses while `down`, and records what it stored."""

    def __init__(self, *, down: bool = False, broken: frozenset[str] = frozenset()) -> None:
        self.down = down
        self.broken = broken
        self.stored: list[str] = []
        self.attempts = 0

    async def store(self, migration: Migration) -> None:
        self.attempts += 1
        if self.down:
            raise OperationalError("connection refused")
        if migration.signature in self.broken:
            raise ValueError("not a migration moon can store")
        self.stored.append(migration.signature)


Scenario = Callable[[MigrationInbox, asyncio.Event], Awaitable[None]]


def run(scenario: Scenario, inbox: MigrationInbox) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        storer = asyncio.create_task(inbox.run(stop))
        await scenario(inbox, stop)
        stop.set()
        await asyncio.wait_for(storer, 5)

    asyncio.run(main())


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not check():
            await asyncio.sleep(0.005)


def test_it_stores_the_migrations_held_while_the_database_was_down_in_order() -> None:
    db = Database(down=True)
    inbox = MigrationInbox(db.store, retry_base=0.01, retry_max=0.02)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)  # never waits for the database
        await until(lambda: db.attempts >= 3)
        assert (db.stored, len(inbox)) == ([], 3)
        db.down = False
        await inbox.put(MIGRATIONS[3])
        await until(lambda: len(inbox) == 0)

    run(scenario, inbox)

    assert db.stored == ["sig0", "sig1", "sig2", "sig3"]


def test_a_migration_that_can_never_be_stored_does_not_block_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database(broken=frozenset({"sig1"}))
    inbox = MigrationInbox(db.store)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)
        await until(lambda: len(inbox) == 0)

    run(scenario, inbox)

    assert db.stored == ["sig0", "sig2"]
    assert f"could not register the migration of {MIGRATIONS[1].mint}" in caplog.text


def test_past_its_limit_it_drops_the_oldest_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    db = Database(down=True)
    inbox = MigrationInbox(db.store, limit=2, retry_base=0.01, retry_max=0.02)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)
        db.down = False
        await until(lambda: len(inbox) == 0)

    run(scenario, inbox)

    assert db.stored == ["sig1", "sig2"]
    assert f"dropped the oldest, {MIGRATIONS[0].mint} (signature sig0)" in caplog.text


def test_on_stop_it_tries_once_more_and_names_what_it_could_not_store(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database(down=True)
    inbox = MigrationInbox(db.store, retry_base=60, retry_max=60)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        await inbox.put(MIGRATIONS[0])
        await until(lambda: db.attempts == 1)

    with caplog.at_level(logging.ERROR):
        run(scenario, inbox)

    assert db.attempts == 2  # the last try, without waiting out the 60 s backoff
    assert (
        f"listener stopped before the database took the migration of {MIGRATIONS[0].mint} "
        "(signature sig0)"
    ) in caplog.text

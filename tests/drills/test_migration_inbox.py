"""The listener's inbox against a real Redis: migrations heard while the database is down are
stored once it is back, in the order heard, without ever holding up the socket reader; what a
stopped or killed listener left unstored waits in the journal for the next one; with Redis
away, migrations are stored straight from memory."""

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence

import pytest
import redis
from django.db import OperationalError

from ingestion.clients.pumpportal import Creation, Migration
from ingestion.services.inbox import CreationInbox, MigrationInbox
from ingestion.services.journal import creations_journal, load_migration, migrations_journal
from tests.factories import fake_address

MIGRATIONS = [
    Migration(signature=f"sig{i}", mint=fake_address(i, "pump"), pool=None, seen_at=1.5 + i)
    for i in range(6)
]
# As moon's own clients are made (from a URL): refused at once, without redis-py's retries.
UNREACHABLE = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)


class Database:
    """A store that refuses while `down`, and records what it stored."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.stored: list[str] = []
        self.attempts = 0

    async def store(self, migrations: Sequence[Migration]) -> None:
        self.attempts += 1
        if self.down:
            raise OperationalError("connection refused")
        self.stored.extend(migration.signature for migration in migrations)


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


def test_it_stores_the_migrations_held_while_the_database_was_down_in_order(
    redis_client: redis.Redis,
) -> None:
    db = Database(down=True)
    journal = migrations_journal(redis_client)
    inbox = MigrationInbox(db.store, journal, retry_base=0.01, retry_max=0.02)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)  # never waits for the database or Redis
        await until(lambda: db.attempts >= 3)
        assert (db.stored, len(inbox), len(journal)) == ([], 0, 3)  # durable meanwhile
        db.down = False
        await inbox.put(MIGRATIONS[3])
        await until(lambda: len(journal) == 0)

    run(scenario, inbox)

    assert db.stored == ["sig0", "sig1", "sig2", "sig3"]


def test_what_a_stopped_listener_left_is_stored_by_the_next_one_first(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    journal = migrations_journal(redis_client)
    down = Database(down=True)
    first = MigrationInbox(down.store, journal, retry_base=60, retry_max=60)

    async def heard(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)
        await until(lambda: down.attempts == 1)

    with caplog.at_level(logging.INFO):
        run(heard, first)
    assert "3 migration(s) wait in the inbox for the next listener" in caplog.text
    assert [load_migration(entry) for entry in redis_client.lrange(journal.key, 0, -1)] == list(
        MIGRATIONS[:3]
    )  # seen_at included: the token's migration time is when it was heard

    db = Database()
    second = MigrationInbox(db.store, migrations_journal(redis_client))

    async def more(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        await inbox.put(MIGRATIONS[3])
        await until(lambda: len(db.stored) == 4)

    run(more, second)

    assert db.stored == ["sig0", "sig1", "sig2", "sig3"]
    assert len(journal) == 0


def test_a_storing_defect_costs_its_batch_not_those_behind_it(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    stored: list[str] = []

    async def store(migrations: Sequence[Migration]) -> None:
        if migrations[0].signature == "sig0":
            raise ValueError("not a migration moon can store")
        stored.extend(m.signature for m in migrations)

    journal = migrations_journal(redis_client)
    inbox = MigrationInbox(store, journal, store_batch=1)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)
        await until(lambda: len(stored) == 2)

    run(scenario, inbox)

    assert stored == ["sig1", "sig2"]
    assert "could not store 1 migration(s); dropped" in caplog.text
    assert len(journal) == 0


def test_with_redis_away_it_stores_from_memory(caplog: pytest.LogCaptureFixture) -> None:
    db = Database()
    inbox = MigrationInbox(db.store, migrations_journal(UNREACHABLE), retry_base=0.01)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)
        await until(lambda: len(db.stored) == 3)

    run(scenario, inbox)

    assert db.stored == ["sig0", "sig1", "sig2"]
    assert "Redis does not take the migration inbox" in caplog.text


def test_past_its_memory_limit_it_drops_the_oldest_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database(down=True)
    inbox = MigrationInbox(
        db.store, migrations_journal(UNREACHABLE), limit=2, retry_base=0.01, retry_max=0.02
    )

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in MIGRATIONS[:3]:
            await inbox.put(migration)
        db.down = False
        await until(lambda: len(db.stored) == 2)

    run(scenario, inbox)

    assert db.stored == ["sig1", "sig2"]
    assert f"dropped the oldest, {MIGRATIONS[0].mint} (signature sig0)" in caplog.text


def test_past_its_cap_the_journal_drops_the_oldest_and_says_so(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    journal = migrations_journal(redis_client)
    journal.cap = 3
    journal.append(MIGRATIONS[:5])

    assert [load_migration(e).signature for e in journal.head(10)] == ["sig2", "sig3", "sig4"]
    assert "dropped the oldest 2" in caplog.text


def test_on_stop_with_everything_down_it_names_what_it_could_not_keep(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database(down=True)
    inbox = MigrationInbox(db.store, migrations_journal(UNREACHABLE), retry_base=60, retry_max=60)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        await inbox.put(MIGRATIONS[0])
        await until(lambda: db.attempts == 1)

    with caplog.at_level(logging.ERROR):
        run(scenario, inbox)

    assert db.attempts == 2  # the last try, without waiting out the 60 s backoff
    assert (
        f"listener stopped before the migration of {MIGRATIONS[0].mint} (signature sig0) was "
        "stored or journaled"
    ) in caplog.text


def test_creations_keep_their_exact_amounts_through_the_journal(
    redis_client: redis.Redis,
) -> None:
    from decimal import Decimal

    journal = creations_journal(redis_client)
    creation = Creation(
        mint=fake_address(7, "pump"),
        initial_buy=Decimal("27534883.660147"),
        initial_buy_sol=Decimal("0.999999999"),
        name="Moon ✨",
        seen_at=1767225600.25,
    )
    journal.append([creation])

    assert [journal.load(entry) for entry in journal.head(5)] == [creation]
    assert journal.ack(journal.head(1))
    assert len(journal) == 0
    assert CreationInbox.noun == "creation"


@pytest.fixture
def silent_redis() -> Iterator[redis.Redis]:
    """A port that takes connections and never answers: every call waits out its timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        port = server.getsockname()[1]
        yield redis.Redis.from_url(
            f"redis://127.0.0.1:{port}/0", socket_timeout=0.3, socket_connect_timeout=0.3
        )


def test_events_heard_while_a_journal_write_hangs_are_kept_or_named(
    silent_redis: redis.Redis, redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """The batch on its way to Redis is out of memory but still counts: what overflows is
    dropped by name, everything else reaches the journal once Redis answers."""
    heard = [
        Migration(signature=f"s{i}", mint=fake_address(100 + i, "pump"), pool=None)
        for i in range(12)
    ]
    db = Database(down=True)
    journal = migrations_journal(silent_redis)
    inbox = MigrationInbox(db.store, journal, limit=8, retry_base=0.05, retry_max=0.05)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in heard[:6]:
            await inbox.put(migration)
        await asyncio.sleep(0.1)  # the writer took them and waits on the silent Redis
        for migration in heard[6:]:
            await inbox.put(migration)
        journal._client = redis_client  # Redis answers again
        await until(lambda: len(inbox) == 0 and not inbox._in_flight)

    run(scenario, inbox)

    journaled = {load_migration(e).signature for e in redis_client.lrange(journal.key, 0, -1)}
    dropped = {m.signature for m in heard if f"(signature {m.signature})" in caplog.text}
    assert journaled | dropped == {m.signature for m in heard}
    assert not journaled & dropped
    assert len(dropped) == 4  # 12 heard, 8 kept


def test_with_redis_away_the_storer_waits_between_tries(caplog: pytest.LogCaptureFixture) -> None:
    db = Database()
    journal = migrations_journal(UNREACHABLE)
    calls = 0
    head = journal.head

    def counted(count: int) -> list[str | bytes]:
        nonlocal calls
        calls += 1
        return head(count)

    journal.head = counted  # type: ignore[method-assign]
    inbox = MigrationInbox(db.store, journal, retry_base=0.1, retry_max=0.2)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        await inbox.put(MIGRATIONS[0])
        await until(lambda: db.stored == ["sig0"])
        await asyncio.sleep(1.0)

    run(scenario, inbox)

    assert calls <= 12, calls  # backing off, not spinning


def test_on_stop_with_redis_away_every_held_migration_is_stored() -> None:
    many = [
        Migration(signature=f"m{i}", mint=fake_address(1000 + i, "pump"), pool=None)
        for i in range(500)
    ]
    db = Database()
    inbox = MigrationInbox(db.store, migrations_journal(UNREACHABLE), retry_base=60)

    async def scenario(inbox: MigrationInbox, stop: asyncio.Event) -> None:
        for migration in many:
            await inbox.put(migration)

    run(scenario, inbox)

    assert db.stored == [m.signature for m in many]


def test_a_listener_whose_lock_moved_on_never_trims_the_inbox(redis_client: redis.Redis) -> None:
    journal = migrations_journal(redis_client, lock=("moon:listener:lock", "old-owner"))
    journal.append(MIGRATIONS[:3])
    redis_client.set("moon:listener:lock", "successor")

    assert journal.ack(journal.head(2)) is False
    assert len(journal) == 3
    redis_client.set("moon:listener:lock", "old-owner")
    stale_read = journal.head(2)
    migrations_journal(redis_client).ack(journal.head(1))  # someone else trimmed meanwhile
    assert journal.ack(stale_read) is False  # the head moved: not what was read
    assert len(journal) == 2

"""Drill: the listener's inbox under a burst of migrations, a database stall and a SIGKILL.

A PumpPortal-like socket of the drill's own (real websockets, on loopback) sends migrations as
fast as it can, with four launches per migration as the real feed carries. Every migration the
listener heard becomes exactly one token: when the database is healthy, at the pace of the
burst; when the database stalls and the listener is SIGKILLed, from the Redis journal it left,
by the successor that takes the lock within its 10 s TTL.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import psycopg
import pytest
from websockets.asyncio.server import ServerConnection

from ingestion.services.journal import MIGRATIONS_KEY
from tests.drills.stack import DRILL, SLOW, Stack, running_stack, wait_for
from tests.factories import fake_address
from tests.wsfeed import ThreadedFeed

pytestmark = [*DRILL, pytest.mark.timeout(400)]
LOCK_TTL_SECONDS = 10


class BurstFeed(ThreadedFeed):
    """Answers the subscriptions, then sends each burst it is given to every open socket."""

    serve_options = {"max_queue": None}

    def __init__(self) -> None:
        super().__init__()
        self.sockets: set[ServerConnection] = set()

    async def handle(self, ws: ServerConnection) -> None:
        await ws.recv()
        await ws.recv()
        await ws.send(json.dumps({"message": "Successfully subscribed to keys."}))
        self.sockets.add(ws)
        try:
            while True:  # keep the socket busy within the listener's silence limit
                await ws.send(json.dumps({"message": "keepalive"}))
                await asyncio.sleep(1)
        except Exception:
            self.sockets.discard(ws)

    def burst(self, migrations: list[tuple[str, str]], seconds: float) -> float:
        """Send (mint, signature) migrations over `seconds`, four launches with each; answers
        how long sending took."""
        future = asyncio.run_coroutine_threadsafe(self._burst(migrations, seconds), self.loop)
        return future.result(timeout=seconds + 120)

    async def _burst(self, migrations: list[tuple[str, str]], seconds: float) -> float:
        started = time.monotonic()
        per_slice = max(1, len(migrations) // max(1, int(seconds * 20)))
        for index in range(0, len(migrations), per_slice):
            frames = []
            for mint, signature in migrations[index : index + per_slice]:
                frames.append({"signature": signature, "mint": mint, "txType": "migrate"})
                frames.extend(
                    {
                        "signature": f"{signature}c{k}",
                        "mint": fake_address(k, "pump"),
                        "txType": "create",
                        "name": "launch",
                    }
                    for k in range(4)
                )
            for ws in list(self.sockets):
                for frame in frames:
                    await ws.send(json.dumps(frame))
            due = started + seconds * (index + per_slice) / len(migrations)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        return time.monotonic() - started


@pytest.fixture(scope="module")
def feed() -> Iterator[BurstFeed]:
    server = BurstFeed().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(feed: BurstFeed) -> Iterator[Stack]:
    env = {"PUMPPORTAL_WS_URL": feed.url, "PUMPPORTAL_SILENCE_SECONDS": "30"}
    with running_stack(env=env) as stack:
        yield stack


def migrations(count: int, offset: int) -> list[tuple[str, str]]:
    return [(fake_address(offset + i, "pump"), f"burst{offset + i}") for i in range(count)]


def listening(stack: Stack, feed: BurstFeed) -> None:
    wait_for(lambda: stack.listener_state().get("connected") and feed.sockets, 30, "connected")


def registered(stack: Stack, mints: list[str]) -> int:
    return int(
        stack.postgres.value(
            "SELECT count(*) FROM tokens_token WHERE mint_address = ANY(%s)", [mints]
        )
    )


def test_a_sigkilled_listener_in_a_database_stall_loses_no_migration(
    stack: Stack, feed: BurstFeed
) -> None:
    listener = stack.start_listener()
    listening(stack, feed)
    sent = migrations(2_000, offset=0)
    mints = [mint for mint, _ in sent]
    with psycopg.connect(stack.postgres.url, autocommit=False) as stall:
        stall.execute("LOCK TABLE tokens_token IN ACCESS EXCLUSIVE MODE")  # every insert waits
        feed.burst(sent, seconds=1)
        redis = stack.redis.client()
        wait_for(lambda: redis.llen(MIGRATIONS_KEY) >= len(sent), 30, "every migration journaled")
        listener.kill()  # its storer sits in the stalled database with the batch it read
        stall.rollback()
    assert registered(stack, mints) == 0

    started = time.monotonic()
    successor = stack.start_listener()
    wait_for(lambda: "listener lock taken" in successor.tail(200), 30, "the successor's lock")
    took_lock_in = time.monotonic() - started
    wait_for(lambda: registered(stack, mints) == len(mints), 60, "every migration registered")

    assert took_lock_in < LOCK_TTL_SECONDS + 5, took_lock_in
    # A batch leaves the inbox once it is stored and its first refreshes are queued, a moment
    # after its tokens are visible.
    wait_for(lambda: redis.llen(MIGRATIONS_KEY) == 0, 10, "the inbox emptied")
    assert stack.postgres.value("SELECT count(*) FROM tokens_token") == len(mints)
    successor.stop()


@SLOW
def test_a_burst_of_20k_migrations_in_4_seconds_is_all_registered(
    stack: Stack, feed: BurstFeed
) -> None:
    listener = stack.start_listener()
    listening(stack, feed)
    sent = migrations(20_000, offset=100_000)
    mints = [mint for mint, _ in sent]

    sending = feed.burst(sent, seconds=4)
    started = time.monotonic()
    wait_for(lambda: registered(stack, mints) == len(mints), 300, "every migration registered")
    drained = time.monotonic() - started + sending

    print(
        f"20,000 migrations (and 80,000 launches) sent in {sending:.1f} s, all registered "
        f"{drained:.1f} s after the first"
    )
    state = stack.listener_state()
    assert (state["connected"], state["reconnects"]) == (True, 0), state
    listener.stop()

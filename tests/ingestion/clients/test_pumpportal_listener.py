"""PumpPortalListener against a real websockets server on 127.0.0.1."""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from ingestion.clients.pumpportal import (
    SUBSCRIBE_MIGRATION,
    SUBSCRIBE_NEW_TOKEN,
    ListenerState,
    Migration,
    PumpPortalListener,
)

from .support import EXAMPLE_MINT, make_mint

pytestmark = pytest.mark.timeout(20)

NOW = 1_772_427_561.0
SUBSCRIPTIONS = [SUBSCRIBE_MIGRATION, SUBSCRIBE_NEW_TOKEN]
ACK = json.dumps({"message": "Subscribed to 'migration' events."})
Script = Callable[["Feed", ServerConnection], Awaitable[None]]


def migration_frame(mint: str, signature: str) -> str:
    return json.dumps(
        {"signature": signature, "mint": mint, "txType": "migrate", "pool": "pump-amm"}
    )


def create_frame(mint: str) -> str:
    return json.dumps({"signature": "c" * 88, "mint": mint, "txType": "create", "name": "T"})


class Feed:
    """A local PumpPortal: connection n is served by script n, the last script repeating."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = list(scripts)
        self.received: list[list[Any]] = []
        self.close_codes: list[int | None] = []
        self.stop = asyncio.Event()

    async def handler(self, ws: ServerConnection) -> None:
        index = len(self.received)
        self.received.append([])
        await self.scripts[min(index, len(self.scripts) - 1)](self, ws)

    async def read_subscriptions(self, ws: ServerConnection) -> None:
        for _ in range(2):
            self.received[-1].append(json.loads(await ws.recv()))

    async def hold_open(self, ws: ServerConnection) -> None:
        await ws.wait_closed()
        self.close_codes.append(ws.close_code)


def sends(*frames: str, then_close: bool = False) -> Script:
    async def script(feed: Feed, ws: ServerConnection) -> None:
        await feed.read_subscriptions(ws)
        for frame in frames:
            await ws.send(frame)
        if not then_close:
            await feed.hold_open(ws)

    return script


async def drop_at_once(feed: Feed, ws: ServerConnection) -> None:
    return


async def stop_the_listener(feed: Feed, ws: ServerConnection) -> None:
    feed.stop.set()
    await feed.hold_open(ws)


class Recorder:
    """on_migration that stops the listener after ``stop_after`` migrations."""

    def __init__(self, feed: Feed, stop_after: int, fail_on: str | None = None) -> None:
        self.feed = feed
        self.stop_after = stop_after
        self.fail_on = fail_on
        self.migrations: list[Migration] = []

    async def __call__(self, migration: Migration) -> None:
        if migration.mint == self.fail_on:
            raise RuntimeError("database is down")
        self.migrations.append(migration)
        if len(self.migrations) == self.stop_after:
            self.feed.stop.set()


class FastSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


async def listen(
    feed: Feed,
    on_migration: Callable[[Migration], Awaitable[None]],
    states: list[ListenerState] | None = None,
    **options: Any,
) -> PumpPortalListener:
    options.setdefault("sleep", FastSleep())
    options.setdefault("jitter", lambda: 1.0)
    if states is not None:
        options["on_state"] = states.append
    async with serve(feed.handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        listener = PumpPortalListener(
            f"ws://127.0.0.1:{port}",
            on_migration,
            clock=lambda: NOW,
            **options,
        )
        await asyncio.wait_for(listener.run(feed.stop), timeout=10)
    return listener


def test_it_subscribes_and_hands_over_migrations_only(caplog: pytest.LogCaptureFixture) -> None:
    first, second = EXAMPLE_MINT, make_mint(2)
    feed = Feed(
        sends(
            ACK,
            create_frame(make_mint(9)),
            migration_frame(first, "sig-1"),
            "not json",
            json.dumps({"mint": first, "txType": "buy"}),
            migration_frame(second, "sig-2"),
        )
    )
    recorder = Recorder(feed, stop_after=2)
    states: list[ListenerState] = []

    listener = asyncio.run(listen(feed, recorder, states))

    assert feed.received == [SUBSCRIPTIONS]
    assert recorder.migrations == [
        Migration(signature="sig-1", mint=first, pool="pump-amm", seen_at=NOW),
        Migration(signature="sig-2", mint=second, pool="pump-amm", seen_at=NOW),
    ]
    assert [(s.connected, s.migrations_seen, s.creations_seen, s.garbage_seen) for s in states] == [
        (True, 0, 0, 0),  # connected
        (True, 0, 0, 0),  # ack
        (True, 0, 1, 0),
        (True, 1, 1, 0),
        (True, 1, 1, 1),  # garbage, skipped
        (True, 1, 1, 1),  # a buy, ignored
        (True, 2, 1, 1),
        (False, 2, 1, 1),  # stopped
    ]
    assert listener.state == ListenerState(
        connected=False,
        connected_since=None,
        disconnected_since=NOW,
        last_frame_at=NOW,
        migrations_seen=2,
        creations_seen=1,
        garbage_seen=1,
        reconnects=0,
        last_error=None,
    )
    assert feed.close_codes == [1000]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["pumpportal: skipped a garbage frame: frame is not JSON: 'not json'"]


def test_it_logs_and_counts_the_errors_the_feed_answers_with(
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed = Feed(
        sends(
            json.dumps({"errors": "Invalid API key"}),
            migration_frame(EXAMPLE_MINT, "sig-1"),
        )
    )
    recorder = Recorder(feed, stop_after=1)

    listener = asyncio.run(listen(feed, recorder))

    assert (listener.state.errors_seen, listener.state.garbage_seen) == (1, 0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["pumpportal: the feed answered with an error: Invalid API key"]


def test_it_survives_a_failing_migration_handler(caplog: pytest.LogCaptureFixture) -> None:
    broken, fine = make_mint(1), make_mint(2)
    feed = Feed(sends(migration_frame(broken, "sig-1"), migration_frame(fine, "sig-2")))
    recorder = Recorder(feed, stop_after=1, fail_on=broken)

    listener = asyncio.run(listen(feed, recorder))

    assert recorder.migrations == [Migration("sig-2", fine, "pump-amm", NOW)]
    assert listener.state.migrations_seen == 2
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == [f"pumpportal: on_migration failed for {broken}"]
    assert failures[0].exc_info is not None
    assert str(failures[0].exc_info[1]) == "database is down"


def test_it_survives_a_failing_state_callback(caplog: pytest.LogCaptureFixture) -> None:
    feed = Feed(sends(migration_frame(EXAMPLE_MINT, "sig-1")))
    recorder = Recorder(feed, stop_after=1)

    def broken_state(state: ListenerState) -> None:
        raise ConnectionError("redis is down")

    asyncio.run(listen(feed, recorder, on_state=broken_state))

    assert recorder.migrations == [Migration("sig-1", EXAMPLE_MINT, "pump-amm", NOW)]
    assert {r.getMessage() for r in caplog.records if r.levelno == logging.ERROR} == {
        "pumpportal: on_state callback failed"
    }


def test_it_reconnects_when_the_server_drops_the_connection() -> None:
    first, second = make_mint(1), make_mint(2)
    feed = Feed(
        sends(migration_frame(first, "sig-1"), then_close=True),
        sends(migration_frame(second, "sig-2")),
    )
    recorder = Recorder(feed, stop_after=2)

    listener = asyncio.run(listen(feed, recorder))

    assert feed.received == [SUBSCRIPTIONS, SUBSCRIPTIONS]
    assert [m.mint for m in recorder.migrations] == [first, second]
    assert listener.state.reconnects == 1
    assert listener.state.last_error == (
        "ConnectionClosedOK: received 1000 (OK); then sent 1000 (OK)"
    )


def test_it_reconnects_after_silence() -> None:
    feed = Feed(sends(), sends(migration_frame(EXAMPLE_MINT, "sig-1")))
    recorder = Recorder(feed, stop_after=1)

    started = time.monotonic()
    listener = asyncio.run(listen(feed, recorder, silence_seconds=0.5))
    elapsed = time.monotonic() - started

    assert feed.received == [SUBSCRIPTIONS, SUBSCRIPTIONS]
    assert feed.close_codes[0] == 1000  # the listener hung up, politely
    assert recorder.migrations == [Migration("sig-1", EXAMPLE_MINT, "pump-amm", NOW)]
    assert (listener.state.reconnects, listener.state.last_error) == (1, "no frame for 0.5s")
    assert 0.5 <= elapsed < 3.0


def test_it_backs_off_exponentially_and_resets_after_a_healthy_connection() -> None:
    feed = Feed(
        drop_at_once,
        drop_at_once,
        drop_at_once,
        sends(ACK, then_close=True),  # healthy: a frame, and healthy_after=0
        drop_at_once,
        stop_the_listener,
    )
    sleep = FastSleep()

    listener = asyncio.run(
        listen(
            feed,
            Recorder(feed, stop_after=1),
            sleep=sleep,
            jitter=lambda: 0.5,
            backoff_base=1.0,
            backoff_max=3.0,
            healthy_after=0.0,
        )
    )

    assert sleep.delays == [0.5, 1.0, 1.5, 0.5, 1.0]
    assert listener.state.reconnects == 5


def test_it_does_not_reset_the_backoff_for_a_connection_that_dies_young() -> None:
    feed = Feed(sends(ACK, then_close=True), sends(ACK, then_close=True), stop_the_listener)
    sleep = FastSleep()

    asyncio.run(listen(feed, Recorder(feed, stop_after=1), sleep=sleep, healthy_after=30.0))

    assert sleep.delays == [1.0, 2.0]


async def _wait_until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


def test_it_stops_promptly_while_waiting_for_a_frame() -> None:
    feed = Feed(sends(ACK))

    async def scenario() -> tuple[PumpPortalListener, float]:
        async with serve(feed.handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            listener = PumpPortalListener(f"ws://127.0.0.1:{port}", Recorder(feed, 1))
            task = asyncio.ensure_future(listener.run(feed.stop))
            await _wait_until(lambda: listener.state.last_frame_at is not None)
            started = time.monotonic()
            feed.stop.set()
            await asyncio.wait_for(task, timeout=5)
            return listener, time.monotonic() - started

    listener, elapsed = asyncio.run(scenario())

    assert elapsed < 1.0  # well under the 3 s grace and the 30 s backoff
    assert feed.close_codes == [1000]
    assert (listener.state.connected, listener.state.last_error) == (False, None)


def test_it_stops_promptly_in_the_middle_of_a_backoff(closed_port: int) -> None:
    stop = asyncio.Event()

    async def scenario() -> tuple[PumpPortalListener, float]:
        listener = PumpPortalListener(
            f"ws://127.0.0.1:{closed_port}", Recorder(Feed(), 1), backoff_base=30.0
        )
        task = asyncio.ensure_future(listener.run(stop))
        await _wait_until(lambda: listener.state.last_error is not None)
        await asyncio.sleep(0.05)
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        return listener, time.monotonic() - started

    listener, elapsed = asyncio.run(scenario())

    assert elapsed < 1.0  # well under the 3 s grace and the 30 s backoff
    assert listener.state.connected is False
    assert listener.state.reconnects == 0
    assert listener.state.last_error is not None
    assert listener.state.last_error.startswith("ConnectionRefusedError: ")


def test_it_stops_promptly_in_the_middle_of_a_handshake() -> None:
    async def scenario() -> float:
        accepted = asyncio.Event()

        async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.set()
            await reader.read()  # never answers the HTTP upgrade
            writer.close()

        server = await asyncio.start_server(mute, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        stop = asyncio.Event()
        listener = PumpPortalListener(f"ws://127.0.0.1:{port}", Recorder(Feed(), 1))
        task = asyncio.ensure_future(listener.run(stop))
        await accepted.wait()
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        elapsed = time.monotonic() - started
        server.close()
        await server.wait_closed()
        return elapsed

    assert asyncio.run(scenario()) < 1.0


def test_it_does_not_connect_when_already_stopped() -> None:
    feed = Feed(sends())
    feed.stop.set()
    states: list[ListenerState] = []

    asyncio.run(listen(feed, Recorder(feed, 1), states))

    assert (feed.received, states) == ([], [])


def test_a_frame_nested_5000_deep_costs_nothing_the_session_lives_on() -> None:
    """Once a RecursionError that ended the session and lost the migration behind it."""
    deep = '{"txType": "migrate", "mint": ' + "[" * 5000 + "]" * 5000 + "}"
    feed = Feed(sends(deep, migration_frame(EXAMPLE_MINT, "sig-1")))
    recorder = Recorder(feed, stop_after=1)

    listener = asyncio.run(listen(feed, recorder))

    assert recorder.migrations == [Migration("sig-1", EXAMPLE_MINT, "pump-amm", NOW)]
    assert (listener.state.garbage_seen, listener.state.reconnects) == (1, 0)

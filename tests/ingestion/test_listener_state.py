"""The listener's Redis state: an atomic lock, and a state published off the event loop."""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from django.test import override_settings

from ingestion.clients.pumpportal import ListenerState
from ingestion.management.commands.listen_pumpfun import StatePublisher
from ingestion.services.listener import LISTENER_LOCK_KEY, ListenerLock, listener_state
from moon.lib.redis import redis_client


def test_a_lock_that_expired_and_was_taken_is_neither_renewed_nor_released() -> None:
    first = ListenerLock("first", ttl_seconds=30)
    second = ListenerLock("second", ttl_seconds=30)
    assert first.acquire()
    redis_client().delete(LISTENER_LOCK_KEY)  # first's lock ran out while it was paused
    assert second.acquire()

    renewed, released = first.renew(), first.release()

    assert (renewed, released) == (False, False)
    assert redis_client().get(LISTENER_LOCK_KEY) == b"second"


def test_the_holder_renews_and_releases_its_own_lock() -> None:
    lock = ListenerLock("owner", ttl_seconds=15)
    assert lock.acquire()
    assert not ListenerLock("other", ttl_seconds=15).acquire()
    redis_client().expire(LISTENER_LOCK_KEY, 2)

    assert lock.renew()
    assert redis_client().ttl(LISTENER_LOCK_KEY) == 15
    assert lock.release()
    assert redis_client().get(LISTENER_LOCK_KEY) is None


def test_a_free_lock_is_taken_back_on_renewal() -> None:
    lock = ListenerLock("owner", ttl_seconds=15)

    assert lock.renew()
    assert redis_client().get(LISTENER_LOCK_KEY) == b"owner"


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a Redis hung in a stall."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_frames_never_wait_on_a_stalled_redis(silent_redis: str) -> None:
    async def scenario() -> float:
        publisher = StatePublisher(interval=0.05)
        stop = asyncio.Event()
        runner = asyncio.create_task(publisher.run(stop))
        worst, last = 0.0, time.monotonic()
        for seen in range(100):  # a frame every 5 ms, each a new state
            publisher.update(ListenerState(connected=True, migrations_seen=seen))
            await asyncio.sleep(0.005)
            now = time.monotonic()
            worst, last = max(worst, now - last), now
        stop.set()
        await runner
        return worst

    with override_settings(REDIS_URL=silent_redis):
        worst_gap = asyncio.run(scenario())

    # Each write to the silent Redis takes its 1 s timeout, in a thread; the loop goes on.
    assert worst_gap < 0.5


def test_the_publisher_writes_the_latest_state_once(redis_client: redis.Redis) -> None:
    async def scenario() -> None:
        publisher = StatePublisher(interval=10)
        publisher.update(ListenerState(migrations_seen=1))
        publisher.update(ListenerState(migrations_seen=2))
        await publisher.flush()

    asyncio.run(scenario())

    state = listener_state()
    assert state is not None
    assert state["migrations_seen"] == 2

"""The listener as a real process against a real WebSocket server, PostgreSQL and Redis."""

import ast
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from websockets.asyncio.server import ServerConnection

from ingestion.services.listener import LISTENER_LOCK_KEY, listener_state
from tests.factories import fake_address
from tests.wsfeed import ThreadedFeed
from tokens.models import Token

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

MINT_A, MINT_B = fake_address(1, "pump"), fake_address(2, "pump")
FRAMES = [
    {"message": "Subscribed to 'migration' events."},
    {"signature": "5" * 88, "mint": fake_address(3, "pump"), "txType": "create", "name": "x"},
    "this is not json",
    {"signature": "sigA1", "mint": MINT_A, "txType": "migrate", "pool": "pump-amm"},
    {"signature": "sigA1", "mint": MINT_A, "txType": "migrate", "pool": "pump-amm"},
    {"signature": "sigA2", "mint": MINT_A, "txType": "migrate", "pool": "pump-amm"},
    {"signature": "sigBad", "mint": "not-a-mint", "txType": "migrate", "pool": "pump-amm"},
    {"signature": "sigB", "mint": MINT_B, "txType": "migrate", "pool": "raydium"},
]


class FeedServer(ThreadedFeed):
    """A PumpPortal-like socket: after the subscriptions it sends FRAMES, then stays open."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[str] = []

    async def handle(self, ws: ServerConnection) -> None:
        self.received.append(str(await ws.recv()))
        self.received.append(str(await ws.recv()))
        for frame in FRAMES:
            await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
        await ws.wait_closed()


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_listener(feed: "FeedServer | Any", silence_seconds: float = 300) -> subprocess.Popen[str]:
    """`manage.py listen_pumpfun` against `feed` (ours, or a sandbox market's ws_url)."""
    url = getattr(feed, "ws_url", None) or feed.url
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
    command = ["listen_pumpfun", "--url", url, "--silence-seconds", str(silence_seconds)]
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)
    return process.returncode, output


def queued_tasks(redis_client) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(task name, args) of the messages waiting in Celery's default queue."""
    messages = [json.loads(raw) for raw in redis_client.lrange("celery", 0, -1)]
    return sorted((m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages)


def test_it_turns_migrations_into_monitoring_tokens_once_each(
    feed: FeedServer, redis_client
) -> None:
    listener = start_listener(feed)
    try:
        wait_for(lambda: Token.objects.count() == 2)
        wait_for(lambda: (listener_state() or {}).get("migrations_seen") == 4)
    finally:
        code, output = stop(listener)

    tokens = list(
        Token.objects.order_by("mint_address").values_list(
            "mint_address", "status", "migration_signature"
        )
    )
    assert tokens == sorted([(MINT_A, "monitoring", "sigA1"), (MINT_B, "monitoring", "sigB")])
    assert feed.received == ['{"method": "subscribeMigration"}', '{"method": "subscribeNewToken"}']
    state = listener_state()
    assert state is not None
    assert (state["creations_seen"], state["garbage_seen"], state["connected"]) == (1, 2, False)
    assert code == 0, output
    # Each new token gets its first DexScreener look at once, not at the next cold cycle: those
    # stored in one batch share one refresh.
    ids = sorted(Token.objects.values_list("pk", flat=True))
    queued = queued_tasks(redis_client)
    refreshes = [args for name, args in queued if name == "scoring.refresh_batch"]
    assert sorted(pk for args in refreshes for pk in ast.literal_eval(args)[0]) == ids
    # and, on connecting, a look at the chain for what migrated while it was not listening
    assert [name for name, _args in queued if name != "scoring.refresh_batch"] == [
        "ingestion.reconcile_migrations"
    ]


def test_a_second_listener_waits_for_the_lock_and_takes_over(
    feed: FeedServer, redis_client
) -> None:
    first = start_listener(feed)
    wait_for(lambda: feed.connections == 1)
    second = start_listener(feed)
    try:
        time.sleep(2)
        assert feed.connections == 1  # the second one is waiting, not connecting

        code, _ = stop(first)
        wait_for(lambda: feed.connections == 2)
    finally:
        stop(second)

    assert code == 0
    assert redis_client.get(LISTENER_LOCK_KEY) is None  # released on a clean stop

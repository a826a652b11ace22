"""DexScreenerClient over real sockets, against a local server answering DexScreener's shapes."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from ingestion.clients.dexscreener import BatchResult, DexScreenerClient, FetchError
from ingestion.clients.ratelimit import LocalTokenBucket

from .support import EXAMPLE_MINT, FakeClock, make_mint, make_pair

pytestmark = pytest.mark.timeout(20)


@dataclass
class Canned:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeDexScreener:
    """What the server knows; ``canned`` answers go out first, one per request."""

    pairs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    left_out_of_batches: set[str] = field(default_factory=set)
    canned: list[Canned] = field(default_factory=list)
    delay: float = 0.0
    paths: list[str] = field(default_factory=list)

    def answer(self, path: str) -> Canned:
        self.paths.append(path)
        if self.canned:
            return self.canned.pop(0)
        if path.startswith("/tokens/v1/solana/"):
            asked = path.removeprefix("/tokens/v1/solana/").split(",")
            found = [
                p for m in asked if m not in self.left_out_of_batches for p in self.pairs.get(m, [])
            ]
            return Canned(200, json.dumps(found).encode())
        if path.startswith("/token-pairs/v1/solana/"):
            mint = path.removeprefix("/token-pairs/v1/solana/")
            return Canned(200, json.dumps(self.pairs.get(mint, [])).encode())
        return Canned(404, b'{"error":"not found"}')


@pytest.fixture
def dex() -> Iterator[tuple[FakeDexScreener, str]]:
    state = FakeDexScreener()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            canned = state.answer(self.path)
            time.sleep(state.delay)
            self.send_response(canned.status)
            headers = {"Content-Type": "application/json", **canned.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            self.wfile.write(canned.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _client(base_url: str, clock: FakeClock, **options: Any) -> DexScreenerClient:
    options.setdefault("limiter", LocalTokenBucket(300, clock=clock, sleep=clock.sleep))
    return DexScreenerClient(base_url, sleep=clock.sleep, jitter=lambda: 1.0, **options)


def test_it_fetches_real_shapes_in_batches_and_asks_left_out_mints_alone(
    dex: tuple[FakeDexScreener, str], clock: FakeClock
) -> None:
    state, url = dex
    mints = [EXAMPLE_MINT] + [make_mint(i) for i in range(31)]
    state.pairs = {m: [make_pair(m), make_pair(m, dexId="raydium")] for m in mints[:31]}
    state.left_out_of_batches = {mints[5]}

    with _client(url, clock) as client:
        result = client.fetch_pairs(mints)

    assert state.paths == [
        f"/tokens/v1/solana/{','.join(mints[:30])}",
        f"/tokens/v1/solana/{','.join(mints[30:])}",
        f"/token-pairs/v1/solana/{mints[5]}",
        f"/token-pairs/v1/solana/{mints[31]}",
    ]
    assert result == BatchResult(
        pairs={**state.pairs, mints[31]: []}, errors={}, requests=4, dropped=0
    )
    assert result.pairs[EXAMPLE_MINT][0]["liquidity"] == {
        "usd": 36295.05,
        "base": 89147018,
        "quote": 217.6554,
    }


def test_it_retries_a_503_from_the_server(
    dex: tuple[FakeDexScreener, str], clock: FakeClock
) -> None:
    state, url = dex
    mint = make_mint(1)
    state.pairs = {mint: [make_pair(mint)]}
    state.canned = [Canned(503, b"<html>upstream overloaded</html>", {"Content-Type": "text/html"})]

    with _client(url, clock) as client:
        result = client.fetch_pairs([mint])

    assert result == BatchResult(pairs={mint: [make_pair(mint)]}, errors={}, requests=2)
    assert clock.sleeps == [0.5]


def test_it_waits_out_a_429_with_a_non_json_body(
    dex: tuple[FakeDexScreener, str], clock: FakeClock
) -> None:
    state, url = dex
    mint = make_mint(1)
    state.pairs = {mint: [make_pair(mint)]}
    state.canned = [
        Canned(429, b"error code: 1015", {"Content-Type": "text/plain", "Retry-After": "3"})
    ]

    with _client(url, clock) as client:
        result = client.fetch_pairs([mint])

    assert result.pairs == {mint: [make_pair(mint)]}
    assert clock.sleeps == [3.0]
    assert result.requests == 2


def test_it_calls_a_truncated_body_malformed(
    dex: tuple[FakeDexScreener, str], clock: FakeClock
) -> None:
    state, url = dex
    mint = make_mint(1)
    state.canned = [Canned(200, json.dumps([make_pair(mint)]).encode()[:-40])]

    with _client(url, clock) as client:
        result = client.fetch_pairs([mint])

    assert result.pairs == {}
    assert result.errors[mint].kind == "malformed"
    assert result.requests == 1


def test_it_gives_up_on_a_server_slower_than_the_read_timeout(
    dex: tuple[FakeDexScreener, str], clock: FakeClock
) -> None:
    state, url = dex
    state.delay = 0.5
    mint = make_mint(1)
    http = httpx.Client(trust_env=False)

    with _client(url, clock, http=http, timeout=httpx.Timeout(0.1), max_retries=1) as client:
        result = client.fetch_pairs([mint])
    http.close()

    assert result == BatchResult(
        pairs={}, errors={mint: FetchError("transport", "ReadTimeout: timed out")}, requests=2
    )


def test_it_reports_a_refused_connection_as_transport(closed_port: int, clock: FakeClock) -> None:
    mint = make_mint(1)

    with _client(f"http://127.0.0.1:{closed_port}", clock, max_retries=2) as client:
        result = client.fetch_pairs([mint])

    assert result.requests == 3
    assert result.errors[mint].kind == "transport"
    assert result.errors[mint].message.startswith("ConnectError: ")
    assert clock.sleeps == [0.5, 1.0]

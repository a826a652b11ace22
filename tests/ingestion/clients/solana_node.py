"""A loopback Solana JSON-RPC node for the client tests, answering in the real captured shapes.

Run as ``python -m tests.ingestion.clients.solana_node '<json>'`` it is instead a second moon
process: it builds a client on a Redis-shared budget, makes the calls it is told to and prints
what became of each, so a test can watch two processes draw from one budget.
"""

import copy
import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from solders.pubkey import Pubkey
from solders.signature import Signature

from ingestion.clients.ratelimit import RedisTokenBucket
from ingestion.clients.solana_rpc import SolanaRpcClient, SolanaRpcError

CAPTURES = Path("/work/shared/research/captures")
BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"


def capture(name: str) -> dict[str, Any]:
    """The whole capture file ``solana-rpc-<name>.json``: source, params, response."""
    return json.loads((CAPTURES / f"solana-rpc-{name}.json").read_text(encoding="utf-8"))


def captured_response(name: str) -> dict[str, Any]:
    return copy.deepcopy(capture(name)["response"])


def make_address(seed: object) -> str:
    return str(Pubkey(hashlib.sha256(f"address-{seed}".encode()).digest()))


def make_signature(seed: object) -> str:
    return str(Signature(hashlib.sha512(f"signature-{seed}".encode()).digest()))


@dataclass
class Canned:
    """One scripted answer. ``payload`` is a JSON-RPC envelope whose id becomes the request's;
    ``raw`` goes out byte for byte. ``drip`` sends the body in 16-byte pieces that far apart,
    without a Content-Length, as does ``declare_length=False``."""

    status: int = 200
    payload: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float | None = None
    declare_length: bool = True

    def body(self, request_id: Any) -> bytes:
        if self.raw is not None:
            return self.raw
        payload = copy.deepcopy(self.payload)
        if isinstance(payload, dict):
            payload["id"] = request_id
        return json.dumps(payload).encode()


@dataclass
class FakeSolanaNode:
    """What the node knows: ``canned`` answers go out first, one per request; then each method's
    function of the params gives the ``result``; any other method is -32601."""

    canned: list[Canned] = field(default_factory=list)
    results: dict[str, Callable[[list[Any]], Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: dict[str, Any]) -> Canned:
        with self.lock:
            self.requests.append(request)
            if self.canned:
                return self.canned.pop(0)
        method = request.get("method")
        respond = self.results.get(str(method))
        if respond is None:
            error = {"code": -32601, "message": "Method not found"}
            return Canned(payload={"jsonrpc": "2.0", "error": error})
        return Canned(payload={"jsonrpc": "2.0", "result": respond(request.get("params", []))})

    @property
    def methods(self) -> list[str]:
        return [request["method"] for request in self.requests]

    @property
    def params(self) -> list[Any]:
        return [request.get("params") for request in self.requests]


@contextmanager
def serve(node: FakeSolanaNode) -> Iterator[str]:
    """The node on a free loopback port, for as long as the block runs; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = json.loads(self.rfile.read(length))
            canned = node.answer(request)
            time.sleep(canned.delay)
            body = canned.body(request.get("id"))
            self.send_response(canned.status)
            for name, value in {"Content-Type": "application/json", **canned.headers}.items():
                self.send_header(name, value)
            if canned.declare_length and canned.drip is None:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if canned.drip is None:
                self.wfile.write(body)
                return
            for start in range(0, len(body), 16):
                self.wfile.write(body[start : start + 16])
                self.wfile.flush()
                time.sleep(canned.drip)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def signature_page(entries: list[dict[str, Any]], params: list[Any]) -> list[dict[str, Any]]:
    """getSignaturesForAddress over ``entries`` (newest first) as Agave pages it: ``before`` and
    ``until`` both excluded, an unknown ``before`` gives nothing, an unknown ``until`` is
    ignored."""
    config = params[1] if len(params) > 1 else {}
    names = [entry["signature"] for entry in entries]
    start, stop = 0, len(entries)
    if "before" in config:
        if config["before"] not in names:
            return []
        start = names.index(config["before"]) + 1
    if config.get("until") in names:
        stop = names.index(config["until"])
    return entries[start:stop][: config.get("limit", 1000)]


def _run_worker(config: dict[str, Any]) -> list[list[Any]]:
    shared = redis.Redis.from_url(config["redis_url"])
    limiters = {
        method: RedisTokenBucket(
            shared, f"{config['prefix']}:{method}", config["rpm"], burst=config["burst"]
        )
        for method in ("getSlot", "getTokenSupply")
    }
    calls: dict[str, Callable[[SolanaRpcClient], Any]] = {
        "getSlot": lambda client: client.get_slot(),
        "getTokenSupply": lambda client: client.get_token_supply(BONK),
    }
    time.sleep(max(0.0, config["start_at"] - time.time()))
    outcomes: list[list[Any]] = []
    with SolanaRpcClient(
        config["url"], limiter_for=limiters, acquire_timeout=config["acquire_timeout"]
    ) as client:
        for method, count in config["calls"]:
            for _ in range(count):
                try:
                    calls[method](client)
                except SolanaRpcError as exc:
                    outcomes.append([method, exc.kind, exc.attempts, exc.status])
                else:
                    outcomes.append([method, "ok", 1, 200])
    return outcomes


if __name__ == "__main__":
    print(json.dumps(_run_worker(json.loads(sys.argv[1]))))

"""Push: alert latency from a refresh's commit to the webhook, and 1,000 open event streams.

    APP_ENV=test scripts/with-services .venv/bin/python -m scripts.bench.push [--clients 1000]

Alerts: a `pusher` process (as the Procfile runs it) and a loopback webhook; this process
scores never-scored tokens in batches of 20, twice a second, as a refresh does, and one rule
(`score_at_least` 0: every token's first score) fires for each. Latency is from the instant the
batch committed (the event's `at`) to the webhook receiving the alert.

Streams: the web process (scripts/web, 2 uvicorn workers) with `--clients` connections open on
/api/stream/ from one asyncio client; this process tells events at a steady rate and every
client times each event from its `at` to its arrival. Figures: the p50/p99 lag, whether every
client got every event, and the web processes' memory idle and with the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):
    sys.path[0] = str(ROOT)

from scripts.bench.figures import Figure, print_table, write_json  # noqa: E402
from scripts.bench.pipeline import free_port, wait_until  # noqa: E402
from scripts.bench.processes import celery, peak_rss_mb, running  # noqa: E402
from scripts.bench.setup import django_ready  # noqa: E402

RESULTS = ROOT / "var" / "bench" / "push.json"
SECTION = "push"
ALERT_TARGET = 2.0
LAG_TARGET = 0.5
BATCH = 20
AT = re.compile(rb'"at":([0-9.]+)')


# --- Alerts ------------------------------------------------------------------------------------
class Receiver:
    """A loopback webhook noting when each alert arrived, against its event's `at`."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.latencies.append(arrived - body["event"]["at"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


def alerts(tokens: int) -> list[Figure]:
    from moon.push.models import AlertDelivery, AlertRule
    from scoring.models import TokenScore
    from scoring.services.refresh import tokens_score
    from tests.factories import fake_address
    from tests.pairs import pair
    from tokens.models import Pool, Token

    for model in (AlertDelivery, AlertRule, TokenScore, Pool, Token):
        model.objects.all().delete()
    receiver = Receiver()
    AlertRule.objects.create(
        name="bench", event="score_at_least", threshold=0, channel="webhook", url=receiver.url
    )
    rows = Token.objects.bulk_create(
        Token(mint_address=fake_address(60_000_000 + n), status=Token.Status.ACTIVE)
        for n in range(tokens)
    )
    pairs = {
        t.mint_address: [pair(t.mint_address, fake_address(70_000_000 + i))]
        for i, t in enumerate(rows)
    }
    pusher = celery(
        "worker", "-Q", "push", "--pool", "threads", "--concurrency", "4", "--loglevel",
        "WARNING", "--without-gossip", "--without-mingle", "--hostname", "bench-push@%h",
    )  # fmt: skip
    with running("pusher", *pusher):
        from moon.celery import app as celery_app

        wait_until(lambda: bool(celery_app.control.ping(timeout=0.5)), timeout=60)
        load = os.getloadavg()[0]
        for start in range(0, tokens, BATCH):
            batch = rows[start : start + BATCH]
            tokens_score(token_ids=[t.pk for t in batch], pairs=pairs, errors={})
            time.sleep(0.5)
        wait_until(lambda: len(receiver.latencies) >= tokens, timeout=120, step=0.1)
    receiver.server.shutdown()
    latencies = sorted(receiver.latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    median, ok = statistics.median(latencies), p95 < ALERT_TARGET
    return [
        Figure(SECTION, "load average before the alerts", load, "load"),
        Figure(SECTION, f"alert, commit to webhook, median ({tokens} alerts)", median, "s"),
        Figure(SECTION, "alert, commit to webhook, p95", p95, "s", f"< {ALERT_TARGET:g} s", ok),
    ]


# --- Streams -----------------------------------------------------------------------------------
async def _client(
    port: int,
    lags: list[float],
    counts: list[int],
    ready: asyncio.Event,
    index: int,
    opened: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /api/stream/?kinds=score HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Accept: text/event-stream\r\n\r\n"
    )
    await writer.drain()
    buffer = b""
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            now = time.time()
            buffer += chunk
            if b": moon events" in buffer and not opened[index]:
                opened[index] = 1
                if sum(opened) == len(opened):
                    ready.set()
            *frames, buffer = buffer.split(b"\n\n")
            for frame in frames:
                found = AT.search(frame)
                if found:
                    lags.append(now - float(found.group(1)))
                    counts[index] += 1
    except (asyncio.CancelledError, ConnectionError):
        pass
    finally:
        writer.close()


async def _streams(
    port: int, clients: int, events: int, rate: float
) -> tuple[list[float], list[int]]:
    from moon.lib.events import Event, publish

    lags: list[float] = []
    counts = [0] * clients
    opened = [0] * clients
    ready = asyncio.Event()
    tasks = []
    for index in range(clients):
        tasks.append(asyncio.create_task(_client(port, lags, counts, ready, index, opened)))
        if index % 50 == 49:
            await asyncio.sleep(0.05)  # a connection storm is not what is measured
    await asyncio.wait_for(ready.wait(), timeout=120)
    for n in range(events):
        await asyncio.to_thread(publish, [Event("score", "BenchStream", {"n": n})])
        await asyncio.sleep(1 / rate)
    deadline = time.monotonic() + 30
    while min(counts) < events and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return lags, counts


def streams(clients: int, events: int, rate: float) -> list[Figure]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * clients)), hard))
    port = free_port()
    env = {
        "PORT": str(port),
        "WEB_WORKERS": "2",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    with running("web", str(ROOT / "scripts" / "web"), env=env) as web:
        wait_until(lambda: _answers(port), timeout=60)
        idle = peak_rss_mb(web.pid)
        load = os.getloadavg()[0]
        lags, counts = asyncio.run(_streams(port, clients, events, rate))
        loaded = peak_rss_mb(web.pid)
    lags.sort()
    p99 = lags[int(0.99 * (len(lags) - 1))]
    complete = sum(count >= events for count in counts)
    median, full = statistics.median(lags), complete == clients
    return [
        Figure(SECTION, "load average before the streams", load, "load"),
        Figure(SECTION, f"stream lag, median ({clients} clients, {rate:g} events/s)", median, "s"),
        Figure(SECTION, "stream lag, p99", p99, "s", f"< {LAG_TARGET:g} s", p99 < LAG_TARGET),
        Figure(SECTION, "clients that got every event", complete, "clients", f"= {clients}", full),
        Figure(SECTION, "web memory idle (2 workers, peak RSS)", idle, "MiB"),
        Figure(SECTION, f"web memory with {clients} streams (peak RSS)", loaded, "MiB"),
    ]


def _answers(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/tokens/?limit=1", timeout=2).is_success
    except httpx.HTTPError:
        return False


def run(
    *, clients: int = 1000, tokens: int = 200, events: int = 100, rate: float = 10
) -> list[Figure]:
    return alerts(tokens) + streams(clients, events, rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=200)
    args = parser.parse_args()
    django_ready()
    figures = run(clients=args.clients, tokens=args.tokens)
    print_table(figures)
    write_json(figures, RESULTS)


if __name__ == "__main__":
    main()

"""Capacity under DexScreener's budget, pipeline throughput with 2 workers, ingestion speed,
and peak memory, all against the sandbox market on PostgreSQL and Redis.

    APP_ENV=test scripts/with-services .venv/bin/python -m scripts.bench.pipeline
"""

import argparse
import math
import socket
import statistics
import time
from collections.abc import Callable

import httpx

from scripts.bench.figures import Figure, print_table
from scripts.bench.processes import celery, manage, peak_rss_mb, running
from scripts.bench.setup import django_ready

RPM = 300
HOT_SECONDS, COLD_SECONDS = 30, 120


def capacity(tokens: int) -> list[Figure]:
    """Requests one refresh cycle of `tokens` costs, and what that buys at 300 requests/min."""
    from ingestion.clients.dexscreener import DexScreenerClient
    from ingestion.clients.ratelimit import LocalTokenBucket
    from ingestion.sandbox import SandboxConfig, running_sandbox

    config = SandboxConfig(port=0, speed=0, tokens=tokens, migrations_per_hour=0)
    with running_sandbox(config) as market:
        mints = [token["mint"] for token in market.tokens(limit=tokens)]
        client = DexScreenerClient(market.http_url, limiter=LocalTokenBucket(10**6))
        market.reset_stats()
        result = client.fetch_pairs(mints)
        served = market.stats()["requests"]["total"]
    expected = math.ceil(tokens / 30)
    per_minute = RPM * tokens / served  # token refreshes the budget pays for each minute
    return [
        Figure(
            "capacity",
            f"requests per cycle, N={tokens:,}",
            served,
            "requests",
            f"= {expected}",
            served == expected and not result.errors,
        ),
        Figure(
            "capacity",
            f"token refreshes/min at {RPM} rpm, N={tokens:,}",
            per_minute,
            "tokens/min",
            "ceiling 9,000",  # reached when N is a multiple of 30
        ),
        Figure(
            "capacity",
            f"hot tokens kept fresh every {HOT_SECONDS}s",
            per_minute * HOT_SECONDS / 60,
            "tokens",
        ),
        Figure(
            "capacity",
            f"cold tokens kept fresh every {COLD_SECONDS}s",
            per_minute * COLD_SECONDS / 60,
            "tokens",
        ),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.1) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("benchmark condition not met in time")
        time.sleep(step)
    return time.perf_counter() - started


def pipeline(tokens: int, migrations: int) -> list[Figure]:
    """Fetch+score+store throughput with a 2-process worker, then listener ingestion."""
    from moon.celery import app as celery_app
    from scoring.models import TokenScore
    from scoring.tasks import refresh_batch
    from tokens.models import Pool, Token

    for model in (TokenScore, Pool, Token):
        model.objects.all().delete()
    port = free_port()
    market_url = f"http://127.0.0.1:{port}"
    env = {
        "DEXSCREENER_URL": market_url,
        "PUMPPORTAL_WS_URL": f"ws://127.0.0.1:{port}/api/data",
        "SOLANA_RPC_URL": f"{market_url}/solana",
        "DEXSCREENER_RPM": "1000000",  # measure the pipeline, not DexScreener's budget
    }
    market_cmd = manage(
        "sandbox_market",
        "--port",
        str(port),
        "--tokens",
        str(tokens),
        "--speed",
        "0",
        "--migrations-per-hour",
        "0",
    )
    with running("market", *market_cmd, env=env) as market:
        wait_until(lambda: _up(market_url), timeout=60)
        listed = httpx.get(f"{market_url}/_sandbox/tokens", params={"limit": tokens}, timeout=60)
        mints = [token["mint"] for token in listed.json()["tokens"]]
        Token.objects.bulk_create(
            [Token(mint_address=mint, migration_signature=f"bench-{mint}") for mint in mints]
        )
        ids = list(Token.objects.order_by("pk").values_list("pk", flat=True))
        worker_cmd = celery("worker", "--concurrency", "2", "--loglevel", "WARNING")
        with running("worker", *worker_cmd, env=env) as worker:
            wait_until(lambda: bool(celery_app.control.ping(timeout=0.5)), timeout=60)
            for start in range(0, len(ids), 30):
                refresh_batch.delay(ids[start : start + 30], group="bench")
            seconds = wait_until(
                lambda: TokenScore.objects.count() >= tokens, timeout=600, step=0.2
            )
            rows = TokenScore.objects.count() + Pool.objects.count() + tokens
            ingestion = _ingestion(market_url, migrations, env)
            memory = [
                Figure("memory", "worker (2 processes), peak RSS", peak_rss_mb(worker.pid), "MiB"),
                Figure("memory", "sandbox market, peak RSS", peak_rss_mb(market.pid), "MiB"),
                *ingestion.pop("memory"),
            ]
    return [
        Figure(
            "pipeline",
            f"tokens fetched+scored+stored per s ({tokens:,}, 2 workers)",
            tokens / seconds,
            "tokens/s",
        ),
        Figure("pipeline", "database rows written per s", rows / seconds, "rows/s"),
        *ingestion["figures"],
        *memory,
    ]


def _ingestion(market_url: str, migrations: int, env: dict[str, str]) -> dict[str, list[Figure]]:
    from tokens.models import Token

    before = Token.objects.count()
    with running("listener", *manage("listen_pumpfun"), env=env) as listener:
        wait_until(lambda: _ws_open(market_url), timeout=30)
        started = time.perf_counter()
        with httpx.Client(base_url=market_url, timeout=10) as http:
            for _ in range(migrations):
                http.post("/_sandbox/migrate", json={})
        wait_until(lambda: Token.objects.count() >= before + migrations, timeout=120)
        total = time.perf_counter() - started
        fresh = Token.objects.filter(migration_signature__isnull=False).exclude(
            migration_signature__startswith="bench-"
        )
        wait_until(lambda: not fresh.filter(scored_at__isnull=True).exists(), timeout=300)
        delays = [
            (scored - created).total_seconds()
            for created, scored in fresh.values_list("created_at", "scored_at")
            if scored is not None
        ]
        listener_rss = peak_rss_mb(listener.pid)
    return {
        "figures": [
            Figure(
                "ingestion",
                f"migration frames turned into tokens per s ({migrations})",
                migrations / total,
                "frames/s",
            ),
            Figure("ingestion", "frame to first score, median", statistics.median(delays), "s"),
            Figure(
                "ingestion",
                "frame to first score, p95",
                statistics.quantiles(delays, n=20)[-1],
                "s",
            ),
        ],
        "memory": [Figure("memory", "listener, peak RSS", listener_rss, "MiB")],
    }


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_sandbox/stats", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _ws_open(url: str) -> bool:
    return int(httpx.get(f"{url}/_sandbox/stats", timeout=5).json()["ws"]["open"]) >= 1


def run(quick: bool = False) -> list[Figure]:
    figures = [*capacity(1_000), *capacity(10_000)] if not quick else capacity(300)
    figures += pipeline(tokens=300 if quick else 3_000, migrations=50 if quick else 300)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    django_ready()
    print_table(run(args.quick))


if __name__ == "__main__":
    main()

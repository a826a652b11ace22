"""A burst of migrations to complete risk panels, with moon's real processes and the default
RPC budget.

    APP_ENV=test scripts/with-services .venv/bin/python -m scripts.bench.risk [--burst 50]

The sandbox market runs in real time; the listener, a 2-process worker and beat run as in
production (beat sends the risk check every 5 s), against SOLANA_RPC_RPS as configured (8 by
default, shared through Redis). `--burst` tokens graduate at once. Figures: the delay from the
listener registering a token to its complete risk panel (median, p95, the share within 30 s),
the RPC calls a token cost, and the machine's load before the burst.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):
    sys.path[0] = str(ROOT)

from scripts.bench.figures import Figure, print_table, write_json  # noqa: E402
from scripts.bench.pipeline import _up, _ws_open, free_port, wait_until  # noqa: E402
from scripts.bench.processes import celery, manage, running  # noqa: E402
from scripts.bench.setup import django_ready  # noqa: E402

RESULTS = ROOT / "var" / "bench" / "risk.json"
SECTION = "risk"
TARGET_SECONDS = 30.0


def run(burst: int = 50) -> list[Figure]:
    from django.conf import settings
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from ingestion.models import Creation, RiskCheck
    from moon.celery import app as celery_app
    from scoring.models import TokenScore
    from tokens.models import Pool, Token

    for model in (TokenScore, Pool, RiskCheck, Token, Creation):
        model.objects.all().delete()
    PeriodicTask.objects.all().delete()
    call_command("setup_periodic_tasks", verbosity=0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DEXSCREENER_URL": url,
        "PUMPPORTAL_WS_URL": f"ws://127.0.0.1:{port}/api/data",
        "SOLANA_RPC_URL": f"{url}/solana",
    }
    market_cmd = manage(
        "sandbox_market", "--port", str(port), "--speed", "1", "--migrations-per-hour", "0",
        "--creates-per-minute", "12", "--seed", "17",
    )  # fmt: skip
    beat_cmd = celery(
        "beat", "--loglevel", "WARNING",
        "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
    )  # fmt: skip
    worker_cmd = celery("worker", "--concurrency", "2", "--loglevel", "WARNING")
    with (
        running("market", *market_cmd, env=env),
        running("worker", *worker_cmd, env=env),
        running("beat", *beat_cmd, env=env),
    ):
        wait_until(lambda: _up(url), timeout=60)
        wait_until(lambda: bool(celery_app.control.ping(timeout=0.5)), timeout=60)
        with running("listener", *manage("listen_pumpfun"), env=env):
            wait_until(lambda: _ws_open(url), timeout=30)
            time.sleep(10)  # the listener's first reconciliation, beat's first ticks
            load = os.getloadavg()[0]
            before = httpx.get(f"{url}/_sandbox/stats", timeout=10).json()["rpc"]["requests"]
            with httpx.Client(base_url=url, timeout=10) as http:
                mints = [
                    http.post("/_sandbox/migrate", json={}).json()["mint"] for _ in range(burst)
                ]
            fresh = Token.objects.filter(mint_address__in=mints)
            wait_until(lambda: fresh.count() == burst, timeout=60)
            wait_until(
                lambda: fresh.filter(risk_checked_at__isnull=False).count() == burst,
                timeout=300,
                step=0.2,
            )
            used = httpx.get(f"{url}/_sandbox/stats", timeout=10).json()["rpc"]["requests"]
    rows = [
        ((checked - created).total_seconds(), done)
        for created, checked, done in fresh.values_list(
            "created_at", "risk_checked_at", "risk_complete"
        )
        if checked is not None
    ]
    delays = sorted(delay for delay, _ in rows)
    share = sum(done and delay <= TARGET_SECONDS for delay, done in rows) / burst
    p95 = statistics.quantiles(delays, n=20)[-1]
    calls = (used - before) / burst
    rps = settings.SOLANA_RPC_RPS
    median = statistics.median(delays)
    limit = f"< {TARGET_SECONDS:g} s"
    return [
        Figure(SECTION, "load average before the burst", load, "load"),
        Figure(SECTION, f"migration to risk panel, median ({burst} at once)", median, "s"),
        Figure(SECTION, f"migration to risk panel, p95 (RPS {rps:g})", p95, "s", limit, p95 < 30),
        Figure(SECTION, "complete within 30 s", 100 * share, "%", ">= 95 %", share >= 0.95),
        Figure(SECTION, "RPC calls per token", calls, "calls", "<= 6", calls <= 6),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    django_ready()
    figures = run(args.burst)
    print_table(figures)
    write_json(figures, RESULTS)


if __name__ == "__main__":
    main()

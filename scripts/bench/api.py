"""GET /api/tokens/?limit=50&sort=-score under load: p50, p99 and requests/s against gunicorn.

    APP_ENV=test scripts/with-services .venv/bin/python scripts/bench/api.py \
        [--tokens 100000 --snapshots 5000000 --duration 30 --connections 2 --workers 4]

Seeds PostgreSQL with INSERT ... SELECT generate_series (snapshot indexes dropped during the
load and rebuilt after), starts gunicorn (DEBUG off) on a free loopback port: with uvicorn
workers on moon.asgi as the Procfile's web runs it (`asgi`), and with sync workers on
moon.wsgi (`wsgi`, for comparison; `--servers` picks). Loads each with wrk (`apt-get install
wrk`), or with a threaded httpx client when wrk is absent. Throttling stays on, with a rate
the load cannot reach. Figures go to var/bench/api.json. Target: p99 < 50 ms at 100,000
tokens and 5,000,000 snapshots.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from statistics import quantiles
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a file: the repository, not scripts/bench, comes first
    sys.path[0] = str(ROOT)

from scripts.bench import pages  # noqa: E402
from scripts.bench.figures import Figure, print_table, write_json  # noqa: E402
from scripts.bench.setup import django_ready, drop_indexes  # noqa: E402

RESULTS = ROOT / "var" / "bench" / "api.json"
PATH = "/api/tokens/?limit=50&sort=-score"
CPUS = os.cpu_count() or 2
P99_LIMIT_MS = 50.0

# --- Seeding -----------------------------------------------------------------------------------
# Literal % is doubled: the statements take psycopg parameters.
# Deterministic per row (n), realistic in size: the JSON columns hold what a refresh writes.
TOKENS_SQL = """
INSERT INTO tokens_token (
    mint_address, name, symbol, image_url, status, migration_signature, migrated_at,
    created_at, last_updated_at, activated_at, archived_at, activation_misses,
    refresh_lease_until, score, smoothed_score, scored_at, scoring_model, raw_components,
    smoothed_components, metrics, liquidity_usd, tx_5m, volume_5m, pool_count, ewma_state,
    recent_good_scores, flags, peak_liquidity_usd, source, risk_flags, risk_complete,
    risk_checked_at
)
SELECT
    left(translate(md5(n::text) || md5('m' || n), '0', 'z'), 44),
    'Bench token ' || n, 'B' || n, '',
    CASE WHEN n %% 10 = 0 THEN 'archived' WHEN n %% 10 < 3 THEN 'monitoring' ELSE 'active' END,
    'bench-' || n,
    now() - (n %% 4320) * interval '10 seconds',
    now() - (n %% 4320) * interval '10 seconds',
    CASE WHEN scored THEN now() END,
    NULL, NULL, 0, NULL,
    CASE WHEN scored THEN score END,
    CASE WHEN scored THEN smoothed END,
    CASE WHEN scored THEN now() END,
    'hybrid_momentum',
    CASE WHEN scored THEN jsonb_build_object(
        'tx_accel', tx_accel, 'vol_momentum', vol_momentum, 'token_freshness', freshness,
        'orderflow_imbalance', imbalance, 'final_score', score) ELSE '{}' END,
    CASE WHEN scored THEN jsonb_build_object(
        'tx_accel', tx_accel * 0.9, 'vol_momentum', vol_momentum * 0.9,
        'token_freshness', freshness, 'orderflow_imbalance', imbalance * 0.9,
        'final_score', smoothed) ELSE '{}' END,
    CASE WHEN scored THEN jsonb_build_object(
        'L_tot', liquidity, 'tx_5m', tx_5m, 'tx_1h', tx_5m * 9, 'vol_5m', vol_5m,
        'vol_1h', vol_5m * 10, 'buys_5m', tx_5m / 2 + 1, 'sells_5m', tx_5m / 2,
        'pool_count', 2, 'primary_pair_address', left(md5('p' || n), 44),
        'primary_dex_id', 'pumpswap', 'price_usd', 0.0001 * r, 'dp5', 0.02 * r,
        'dp15', 0.01 * r, 'hours_since_migration', (n %% 4320) / 360.0,
        'data_quality_ok', true,
        'data_quality_issues', '[]'::jsonb, 'fallback', NULL) ELSE '{}' END,
    CASE WHEN scored THEN liquidity END,
    CASE WHEN scored THEN tx_5m END,
    CASE WHEN scored THEN vol_5m END,
    CASE WHEN scored THEN 2 ELSE 0 END,
    CASE WHEN scored THEN jsonb_build_object(
        'components', jsonb_build_object('tx_accel', tx_accel, 'vol_momentum', vol_momentum,
            'token_freshness', freshness, 'orderflow_imbalance', imbalance),
        'score', smoothed, 'scoring_model', 'hybrid_momentum') END,
    CASE WHEN scored THEN jsonb_build_array(smoothed, smoothed * 0.95, smoothed * 0.9)
         ELSE '[]' END,
    CASE WHEN n %% 7 = 0 THEN '["thin"]'::jsonb ELSE '[]'::jsonb END,
    CASE WHEN scored THEN liquidity END,
    'feed',
    CASE WHEN n %% 11 = 0 THEN '["mint_authority"]'::jsonb ELSE '[]'::jsonb END,
    n %% 5 <> 0,
    CASE WHEN n %% 5 <> 0 THEN now() END
FROM (
    SELECT n, n %% 50 <> 0 AS scored, r,
        r * 12 AS tx_accel, r * 10 AS vol_momentum, 1 - (n %% 4320) / 4320.0 AS freshness,
        2 * r - 1 AS imbalance, r * 3 AS score, r * 2.7 AS smoothed,
        500 + r * 100000 AS liquidity, (r * 900)::int AS tx_5m, r * 50000 AS vol_5m
    FROM (SELECT n, random() AS r FROM generate_series(1, %(tokens)s) AS n) AS draws
) AS rows
"""

SNAPSHOTS_SQL = """
INSERT INTO token_scores (
    token_id, score, smoothed_score, raw_components, smoothed_components, scoring_model,
    metrics, settings_version, flags, created_at
)
SELECT
    t.id, t.score, t.smoothed_score, t.raw_components, t.smoothed_components,
    'hybrid_momentum', t.metrics, 1, '[]'::jsonb,
    now() - (s / %(scored)s) * interval '30 seconds'
FROM generate_series(0, %(snapshots)s - 1) AS s
JOIN (
    SELECT id, score, smoothed_score, raw_components, smoothed_components, metrics,
        row_number() OVER (ORDER BY id) - 1 AS k
    FROM tokens_token WHERE score IS NOT NULL
) AS t ON t.k = s %% %(scored)s
"""


def seed(tokens: int, snapshots: int) -> dict[str, float]:
    """Fill tokens_token and token_scores; returns the seconds each step took."""
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("the API benchmark needs PostgreSQL: run it under scripts/with-services")
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("TRUNCATE token_scores, tokens_pool, tokens_token RESTART IDENTITY CASCADE")
        started = time.perf_counter()
        cursor.execute(TOKENS_SQL, {"tokens": tokens})
        timings["tokens"] = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM tokens_token WHERE score IS NOT NULL")
        (scored,) = cursor.fetchone()
        started = time.perf_counter()
        indexes = drop_indexes(cursor, "token_scores")
        cursor.execute(SNAPSHOTS_SQL, {"scored": scored, "snapshots": snapshots})
        timings["snapshots"] = time.perf_counter() - started
        started = time.perf_counter()
        for definition in indexes:
            cursor.execute(definition)
        timings["snapshot indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE tokens_token")
        cursor.execute("VACUUM ANALYZE token_scores")
        # Write the load's dirty pages out now, not during the measurement.
        cursor.execute("CHECKPOINT")
        timings["vacuum analyze, checkpoint"] = time.perf_counter() - started
    return timings


def query_plan() -> tuple[float, str]:
    """Execution time (ms) of the list's query as PostgreSQL plans it, and the plan."""
    from moon.web.api.serializers import TOKEN_COLUMNS
    from scoring.selectors import TokenFilters, token_list

    queryset = token_list(TokenFilters(sort="-score")).only(*TOKEN_COLUMNS)[:51]
    plan = queryset.explain(analyze=True)
    match = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return (float(match.group(1)) if match else float("nan")), plan


# --- gunicorn ----------------------------------------------------------------------------------
def free_port(start: int = 18000) -> int:
    """The first free loopback port from `start` on, below the ephemeral range (32768)."""
    for port in range(start, 32768):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port below 32768")


SERVERS = {
    # The web process as the Procfile runs it (scripts/web), its database connections pooled.
    "asgi": ["moon.asgi:application", "--worker-class=uvicorn_worker.UvicornWorker"],
    "wsgi": ["moon.wsgi:application", "--worker-class=sync"],
}


def start_gunicorn(
    port: int, workers: int, log: Path, server: str = "asgi"
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MOON_PROCESS": "web",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTPS": "false",
        "LOG_LEVEL": "WARNING",
        # Throttling stays in the path, at a rate one load generator cannot reach.
        "API_THROTTLE_ANON": "1000000/s",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        *SERVERS[server],
        f"--workers={workers}",
        f"--bind=127.0.0.1:{port}",
        f"--error-logfile={log}",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    _wait_until_up(f"http://127.0.0.1:{port}{PATH}", process)
    return process


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            response = httpx.get(url, timeout=5)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if response.status_code != 200 or len(response.json()["results"]) != 50:
            raise RuntimeError(f"unexpected answer {response.status_code}: {response.text[:300]}")
        return
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn we started (its master; it stops its workers)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Load --------------------------------------------------------------------------------------
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load_wrk(url: str, duration: int, connections: int, threads: int) -> dict[str, float]:
    wrk = shutil.which("wrk")
    assert wrk is not None
    output = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout=10s",
            "--latency",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(output)
    percentiles = {
        int(p): float(value) * UNITS[unit]
        for p, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    total = re.search(r"(\d+) requests in", output)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rps is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return {
        "p50": percentiles[50],
        "p90": percentiles[90],
        "p99": percentiles[99],
        "rps": float(rps.group(1)),
        "requests": float(total.group(1)),
        "errors": float(failed.group(1) if failed else 0)
        + (sum(float(n) for n in errors.groups()) if errors else 0),
    }


def load_httpx(url: str, duration: int, connections: int) -> dict[str, float]:
    """A closed-loop load generator: `connections` threads, one keep-alive client each."""
    import httpx

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker() -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    ok = client.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                mine.append((time.perf_counter() - started) * 1000)
                failed += not ok
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = quantiles(latencies, n=100, method="inclusive")
    return {
        "p50": cuts[49],
        "p90": cuts[89],
        "p99": cuts[98],
        "rps": len(latencies) / elapsed,
        "requests": float(len(latencies)),
        "errors": float(errors),
    }


CONNECTIONS = (1, 4, 16)
P50_ALONE_LIMIT_MS = 3.0


def run(
    tokens: int = 100_000,
    snapshots: int = 5_000_000,
    *,
    duration: int = 30,
    connections: tuple[int, ...] = CONNECTIONS,
    workers: int = 2 * CPUS,
    tool: str = "auto",
    servers: tuple[str, ...] = tuple(SERVERS),
) -> list[Figure]:
    print(f"seeding {tokens:,} tokens and {snapshots:,} snapshots ...", flush=True)
    timings = seed(tokens, snapshots)
    for step, seconds in timings.items():
        print(f"  {step}: {seconds:.1f} s", flush=True)
    db_ms, plan = query_plan()
    print(f"list query plan:\n{plan}\n", flush=True)
    dashboard = pages.run(tokens)
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    log = ROOT / "var" / "bench" / "api-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    use_wrk = tool == "wrk" or (tool == "auto" and shutil.which("wrk") is not None)
    tool_name = "wrk" if use_wrk else "httpx"

    def load(seconds: int, clients: int) -> dict[str, float]:
        if use_wrk:
            return load_wrk(url, seconds, clients, min(2, clients))
        return load_httpx(url, seconds, clients)

    figures: list[Figure] = []
    for server in servers:
        figures += _load_server(
            server, port, workers, log, load, duration, connections, tokens, snapshots, tool_name
        )
    section = f"api ({tokens:,} tokens, {snapshots:,} snapshots)"
    return [
        *figures,
        *dashboard,
        Figure(section, "list query in PostgreSQL (EXPLAIN ANALYZE)", db_ms, "ms"),
        Figure(section, "seed: tokens", timings["tokens"], "s"),
        Figure(section, "seed: snapshots", timings["snapshots"], "s"),
    ]


def _load_server(
    server: str,
    port: int,
    workers: int,
    log: Path,
    load: Any,
    duration: int,
    connections: tuple[int, ...],
    tokens: int,
    snapshots: int,
    tool_name: str,
) -> list[Figure]:
    section = (
        f"api {server} ({tokens:,} tokens, {snapshots:,} snapshots, {tool_name}, {workers} workers)"
    )
    figures: list[Figure] = []
    process = start_gunicorn(port, workers, log, server)
    try:
        load(min(5, duration), max(connections))  # warm every worker
        for clients in connections:
            # The machine's other work competes for the same CPUs: read each figure with it.
            before = os.getloadavg()[0]
            result = load(duration, clients)
            p50, p99 = result["p50"], result["p99"]
            at = f"{clients} connection{'s' if clients > 1 else ''}"
            figures += [
                Figure(
                    section,
                    f"{at}: GET /api/tokens/?limit=50&sort=-score p50",
                    p50,
                    "ms",
                    f"< {P50_ALONE_LIMIT_MS:g} ms" if clients == 1 else "",
                    p50 < P50_ALONE_LIMIT_MS if clients == 1 else None,
                ),
                Figure(
                    section,
                    f"{at}: p99",
                    p99,
                    "ms",
                    f"< {P99_LIMIT_MS:g} ms" if clients == 4 else "",
                    p99 < P99_LIMIT_MS if clients == 4 else None,
                ),
                Figure(section, f"{at}: requests per second", result["rps"], "req/s"),
                Figure(
                    section,
                    f"{at}: failed requests",
                    result["errors"],
                    "requests",
                    "0",
                    result["errors"] == 0,
                ),
                Figure(section, f"{at}: load average (1 min) before, {CPUS} CPUs", before, ""),
            ]
    finally:
        stop(process)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--snapshots", type=int, default=5_000_000)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument(
        "--connections",
        type=int,
        nargs="+",
        default=list(CONNECTIONS),
        help="concurrent clients, one run each (default: 1 4 16)",
    )
    parser.add_argument(
        "--workers", type=int, default=2 * CPUS, help="gunicorn sync workers (default: 2 per CPU)"
    )
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument(
        "--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS), help="default: both"
    )
    parser.add_argument("--json", type=Path, default=RESULTS, help="where figures go")
    args = parser.parse_args()
    django_ready()
    figures = run(
        args.tokens,
        args.snapshots,
        duration=args.duration,
        connections=tuple(args.connections),
        workers=args.workers,
        tool=args.tool,
        servers=tuple(args.servers),
    )
    print_table(figures)
    write_json(figures, args.json)
    print(f"\nfigures written to {args.json}")
    failed = [figure for figure in figures if figure.ok is False]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""The backtest over N stored snapshots: seconds, snapshots/s and peak RSS, streamed.

    APP_ENV=test scripts/with-services .venv/bin/python -m scripts.bench.backtest \
        [--snapshots 1000000] [--per-token 400]

Seeds PostgreSQL with INSERT ... SELECT generate_series (snapshot indexes dropped during the
load and rebuilt after): tokens of `--per-token` snapshots 30 s apart, metrics JSON in the
shape a refresh writes, 1% fallback rows. Then replays them all through the active settings,
and again as a two-variant comparison. Target: 1,000,000 snapshots in under a minute, in
memory that does not grow with the history (the figures report peak RSS).
"""

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a file: the repository, not scripts/bench, comes first
    sys.path[0] = str(ROOT)

from scripts.bench.figures import Figure, print_table, write_json  # noqa: E402
from scripts.bench.setup import django_ready, drop_indexes  # noqa: E402

RESULTS = ROOT / "var" / "bench" / "backtest.json"
LIMIT_SECONDS = 60.0

# Literal % is doubled: the statements take psycopg parameters.
TOKENS_SQL = """
INSERT INTO tokens_token (
    mint_address, name, symbol, image_url, status, migration_signature, migrated_at,
    created_at, activation_misses, scoring_model, raw_components, smoothed_components, metrics,
    pool_count, recent_good_scores
)
SELECT left(translate(md5(n::text) || md5('m' || n), '0', 'z'), 44), 'Bench token ' || n,
    'B' || n, '', 'active', 'bench-' || n,
    %(start)s::timestamptz + (n %% 600) * interval '1 minute', now(), 0, 'hybrid_momentum',
    '{}', '{}', '{}', 0, '[]'
FROM generate_series(1, %(tokens)s) AS n
"""

# Row s is snapshot i of token k; prices walk in waves, trades follow them; 1% failed fetches.
SNAPSHOTS_SQL = """
INSERT INTO token_scores (
    token_id, score, smoothed_score, raw_components, smoothed_components, scoring_model,
    metrics, settings_version, created_at
)
SELECT t.id, r * 3, r * 2.7, '{}', '{}', 'hybrid_momentum',
    CASE WHEN r < 0.01 THEN jsonb_build_object(
        'data_quality_ok', false, 'fallback', 'fallback',
        'data_quality_issues', jsonb_build_array(jsonb_build_object(
            'code', 'fetch_failed', 'message', 'timeout', 'severity', 'critical')))
    ELSE jsonb_build_object(
        'L_tot', 500 + r * 100000, 'tx_5m', tx_5m, 'tx_1h', tx_5m * 9 + 3,
        'vol_5m', tx_5m * 55.5, 'vol_1h', tx_5m * 520.25 + 10,
        'buys_5m', buys_5m, 'sells_5m', tx_5m - buys_5m,
        'pool_count', 1 + (r * 3)::int, 'primary_pair_address', md5('p' || t.id),
        'primary_dex_id', 'pumpswap',
        'price_usd', 0.0001 * exp(0.4 * sin(i / 25.0 + t.id) + 0.05 * r),
        'dp5', 0.02 * (r - 0.5), 'dp15', 0.01 * (r - 0.5), 'hours_since_migration', i / 120.0,
        'data_quality_ok', true,
        'data_quality_issues', '[]'::jsonb, 'fallback', NULL)
    END,
    1, %(start)s::timestamptz + (t.id %% 600) * interval '1 minute' + i * interval '30 seconds'
FROM (
    SELECT k, i, r, tx_5m, (tx_5m * (0.3 + 0.4 * r))::int AS buys_5m
    FROM (
        SELECT s / %(per_token)s AS k, s %% %(per_token)s AS i, random() AS r,
            (20 + 60 * (1 + sin(s / 40.0)) * random())::int AS tx_5m
        FROM generate_series(0, %(snapshots)s - 1) AS s
    ) AS series
) AS draws
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM tokens_token) AS t USING (k)
"""
START = "2026-03-01T00:00:00Z"


def seed(snapshots: int, per_token: int) -> dict[str, float]:
    """Empty the tables, then fill tokens_token and token_scores; seconds per step."""
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("the backtest benchmark needs PostgreSQL: run it under scripts/with-services")
    tokens = max(1, -(-snapshots // per_token))
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("TRUNCATE token_scores, tokens_pool, tokens_token RESTART IDENTITY CASCADE")
        cursor.execute(TOKENS_SQL, {"tokens": tokens, "start": START})
        indexes = drop_indexes(cursor, "token_scores")
        started = time.perf_counter()
        params: dict[str, int | str] = {
            "snapshots": snapshots,
            "per_token": per_token,
            "start": START,
        }
        cursor.execute(SNAPSHOTS_SQL, params)
        timings["snapshots"] = time.perf_counter() - started
        started = time.perf_counter()
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE token_scores")
        timings["indexes and analyze"] = time.perf_counter() - started
    return timings


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_run(variants: list[Any]) -> tuple[float, Any]:
    from scoring.backtest.history import Window
    from scoring.backtest.services import backtest_run
    from scoring.backtest.text import progress_bar

    def progress(done: int, total: int) -> None:
        sys.stderr.write("\r" + progress_bar(done, total))
        sys.stderr.flush()

    started = time.perf_counter()
    run = backtest_run(variants=variants, window=Window(), progress=progress)
    seconds = time.perf_counter() - started
    sys.stderr.write("\n")
    return seconds, run


def run(snapshots: int = 1_000_000, per_token: int = 400) -> list[Figure]:
    from scoring.backtest.replay import Variant
    from scoring.backtest.services import current_variant
    from scoring.engine import ScoringParams

    print(f"seeding {snapshots:,} snapshots ({per_token} per token) ...", flush=True)
    for step, seconds in seed(snapshots, per_token).items():
        print(f"  {step}: {seconds:.1f} s", flush=True)
    section = f"backtest ({snapshots:,} snapshots)"
    before = peak_rss_mb()
    seconds, single = timed_run([current_variant()])
    single_peak = peak_rss_mb()
    print(f"one variant: {seconds:.1f} s, peak RSS {single_peak:.0f} MB (before: {before:.0f} MB)")
    b = Variant("B", ScoringParams(w_tx=0.4, w_vol=0.2, w_fresh=0.1, w_oi=0.3))
    compare_seconds, _ = timed_run([current_variant("A"), b])
    compare_peak = peak_rss_mb()
    print(f"two variants: {compare_seconds:.1f} s, peak RSS {compare_peak:.0f} MB")
    samples = single.results[0].horizon(single.options.horizons[0]).samples
    return [
        Figure(
            section,
            "replay + measure, one variant",
            seconds,
            "s",
            f"< {LIMIT_SECONDS:g} s",
            seconds < LIMIT_SECONDS,
        ),
        Figure(section, "snapshots per second", single.snapshots / seconds, "rows/s"),
        Figure(section, "peak RSS, one variant", single_peak, "MB"),
        Figure(section, "RSS before the run", before, "MB"),
        Figure(section, "replay + measure, A/B comparison", compare_seconds, "s"),
        Figure(section, "peak RSS, A/B comparison", compare_peak, "MB"),
        Figure(section, "samples at the first horizon", samples, "samples"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--snapshots", type=int, default=1_000_000)
    parser.add_argument("--per-token", type=int, default=400, help="snapshots per token")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where figures go")
    args = parser.parse_args()
    django_ready()
    figures = run(args.snapshots, args.per_token)
    print_table(figures)
    write_json(figures, args.json)
    print(f"\nfigures written to {args.json}")
    sys.exit(1 if any(figure.ok is False for figure in figures) else 0)


if __name__ == "__main__":
    main()

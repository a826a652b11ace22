"""Reconciling a day of migrations from an empty start, inside the default RPC budget.

    APP_ENV=test scripts/with-services .venv/bin/python -m scripts.bench.reconcile [--hours 24]

The sandbox market graduates `--rate` tokens an hour for `--hours` hours before now; moon's
database knows none of them (the feed heard nothing). One reconciliation pages the simulated
chain's migration account back over those hours with the default budget (SOLANA_RPC_RPS,
shared through Redis), registers every graduation, and the first refresh of each is run in
process. Figures: the RPC calls used, the seconds taken, and the delay from a migration the
feed missed to its token's first score once a run starts.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):
    sys.path[0] = str(ROOT)

from scripts.bench.figures import Figure, print_table, write_json  # noqa: E402
from scripts.bench.setup import django_ready  # noqa: E402

RESULTS = ROOT / "var" / "bench" / "reconcile.json"
SECTION = "reconcile"


def run(hours: float = 24.0, rate: float = 12.5) -> list[Figure]:
    from django.conf import settings

    from ingestion.clients.solana_rpc import SolanaRpcClient, build_rpc_budget
    from ingestion.models import ChainMigration, ReconcileMark
    from ingestion.sandbox import SandboxConfig, running_sandbox
    from ingestion.services.reconcile import migrations_reconcile
    from scoring.services.dexscreener import dexscreener_client
    from scoring.services.refresh import tokens_refresh
    from tokens.models import Token

    # An empty start: no token, no migration seen on chain, no reconciliation mark.
    for model in (Token, ChainMigration, ReconcileMark):
        model.objects.all().delete()
    config = SandboxConfig(
        port=0,
        seed=5,
        speed=1,
        tokens=int(hours * rate),
        preseed_hours=hours,
        migrations_per_hour=0,
        creates_per_minute=0,
    )
    with running_sandbox(config) as market:
        budget = build_rpc_budget(
            settings.REDIS_URL, settings.SOLANA_RPC_RPS, key_prefix="moon:bench-reconcile"
        )
        client = SolanaRpcClient(
            market.rpc_url, limiter=budget.overall, limiter_for=budget.per_method
        )
        graduations = len(market.tokens())
        before = market.stats()["rpc"]["requests"]
        started = time.monotonic()
        report = migrations_reconcile(client=client, hours=hours)
        reconciled = time.monotonic() - started
        calls = market.stats()["rpc"]["requests"] - before
        settings.DEXSCREENER_URL = market.http_url
        dexscreener_client.cache_clear()
        ids = list(Token.objects.order_by("pk").values_list("pk", flat=True))
        scored_started = time.monotonic()
        for start in range(0, len(ids), 30):
            tokens_refresh(token_ids=ids[start : start + 30], fetcher=dexscreener_client())
        first_scores = time.monotonic() - scored_started
        dexscreener_client.cache_clear()
    scored = Token.objects.filter(scored_at__isnull=False, source="chain").count()
    print(f"reconcile: {report.summary()}")
    return [
        Figure(SECTION, "graduations on chain", graduations, "tokens"),
        Figure(
            SECTION,
            "registered from the chain",
            report.registered,
            "tokens",
            f"= {graduations}",
            report.registered == graduations,
        ),
        Figure(SECTION, f"RPC calls for {hours:g} h from an empty start", calls, "calls"),
        Figure(SECTION, f"seconds at SOLANA_RPC_RPS={settings.SOLANA_RPC_RPS:g}", reconciled, "s"),
        Figure(SECTION, "tokens scored after their first refresh", scored, "tokens"),
        Figure(SECTION, "run start to the last first score", reconciled + first_scores, "s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--rate", type=float, default=12.5, help="graduations an hour")
    args = parser.parse_args()
    django_ready()
    figures = run(args.hours, args.rate)
    print_table(figures)
    write_json(figures, RESULTS)


if __name__ == "__main__":
    main()

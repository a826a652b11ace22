"""`make bench`: every benchmark against its limit, as a table and as JSON.

APP_ENV=test scripts/with-services .venv/bin/python -m scripts.bench [--quick]
"""

import argparse
from pathlib import Path

from scripts.bench import api, backtest, models, pipeline, push, reconcile, risk, scoring
from scripts.bench.figures import Figure, print_table, write_json
from scripts.bench.setup import django_ready

RESULTS = Path("var/bench/results.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    django_ready()
    figures: list[Figure] = []
    figures += scoring.run(1_000 if args.quick else 10_000)
    figures += pipeline.run(quick=args.quick)
    figures += backtest.run(snapshots=50_000 if args.quick else 1_000_000)
    figures += models.run(models.Day(hours=3 if args.quick else 24))
    figures += reconcile.run(hours=2 if args.quick else 24)
    figures += risk.run(burst=20 if args.quick else 50)
    figures += push.run(clients=200, tokens=40) if args.quick else push.run()
    if args.quick:
        figures += api.run(tokens=2_000, snapshots=50_000, duration=5)
    else:
        figures += api.run()
    print_table(figures)
    write_json(figures, RESULTS)
    print(f"\nfigures written to {RESULTS}")


if __name__ == "__main__":
    main()

"""Scoring and persisting N tokens on PostgreSQL: seconds, rows/s, queries per batch.

APP_ENV=test scripts/with-services .venv/bin/python -m scripts.bench.scoring --tokens 10000
"""

import argparse
import time

from scripts.bench.figures import Figure, print_table
from scripts.bench.setup import django_ready


def run(tokens: int = 10_000) -> list[Figure]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scoring.models import TokenScore
    from scoring.services.refresh import tokens_score
    from tests.factories import fake_address
    from tests.pairs import pair
    from tokens.models import Pool, Token

    TokenScore.objects.all().delete()
    Pool.objects.all().delete()
    Token.objects.all().delete()
    Token.objects.bulk_create(
        [
            Token(mint_address=fake_address(n), migration_signature=f"bench{n}")
            for n in range(tokens)
        ],
        batch_size=5000,
    )
    rows = list(Token.objects.order_by("pk"))
    pairs = {
        t.mint_address: [pair(t.mint_address, fake_address(10**7 + i))] for i, t in enumerate(rows)
    }

    def timed(batch: list[Token]) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            tokens_score(token_ids=[t.pk for t in batch], pairs=pairs, errors={})
            return time.perf_counter() - started, len(queries.captured_queries)

    _, queries_30 = timed(rows[:30])
    _, queries_1000 = timed(rows[:1000])
    seconds, _ = timed(rows)
    return [
        Figure("scoring", f"score+store {tokens:,} tokens", seconds, "s", "< 5 s", seconds < 5),
        Figure("scoring", "tokens per second", tokens / seconds, "tokens/s"),
        Figure("scoring", "queries for a batch of 30", queries_30, "queries"),
        Figure(
            "scoring",
            "queries for a batch of 1,000",
            queries_1000,
            "queries",
            "constant",
            queries_1000 <= queries_30 + 2,  # only bulk-write chunking may add a statement
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=10_000)
    args = parser.parse_args()
    django_ready()
    print_table(run(args.tokens))


if __name__ == "__main__":
    main()

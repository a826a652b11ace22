"""A sandbox history in the database, built without real time: the simulated market asked
for every token's pairs once a simulated minute, each answer scored by the refresh path with
`now` = that minute, so TokenScore rows carry simulated created_at values."""

from datetime import UTC, datetime
from functools import cache
from typing import Any

from ingestion.sandbox import Market
from scoring.services.refresh import tokens_score
from tokens.models import Token

START_MS = 1_772_427_561_000  # 2026-03-02 04:59:21 UTC
MINUTE_MS = 60_000
SEED = 11
TOKENS = 60
MINUTES = 120
FAIL_EVERY = 7  # one token's fetch fails every 7th minute: the history holds fallback rows


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@cache
def simulated_pairs() -> tuple[tuple[dict[str, Any], ...], list[dict[str, list[dict[str, Any]]]]]:
    """(token identities, per minute: mint -> pairs), simulated once per test process."""
    market = Market(
        seed=SEED,
        start_ms=START_MS,
        preseed_tokens=TOKENS,
        preseed_hours=3,
        migrations_per_hour=0,
        creates_per_minute=0,
    )
    specs = market.tokens(START_MS)
    identities = tuple(
        {
            "mint_address": spec.mint,
            "name": spec.name,
            "symbol": spec.symbol,
            "migration_signature": spec.migration_signature,
            "migrated_at": at(spec.migrated_ms),
        }
        for spec in specs
    )
    minutes = [
        {spec.mint: market.token_pairs(spec.mint, START_MS + k * MINUTE_MS) for spec in specs}
        for k in range(MINUTES + 1)
    ]
    return identities, minutes


def build_history() -> list[Token]:
    """60 tokens scored every simulated minute for 2 hours (121 refreshes, 7,260 snapshots)."""
    identities, minutes = simulated_pairs()
    tokens = Token.objects.bulk_create([Token(**identity) for identity in identities])
    tokens = list(Token.objects.order_by("pk"))
    for k, pairs in enumerate(minutes):
        errors = {}
        if k % FAIL_EVERY == FAIL_EVERY - 1:
            failing = tokens[k % len(tokens)].mint_address
            errors[failing] = "timeout: the simulated fetch timed out"
        tokens_score(
            token_ids=[t.pk for t in tokens],
            pairs=pairs,
            errors=errors,
            now=at(START_MS + k * MINUTE_MS),
        )
    return tokens

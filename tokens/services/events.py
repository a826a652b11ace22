"""The events of tokens (moon.lib.events): a token's changes between two states of its row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moon.lib.events import Event
from tokens.models import Token, token_is_hot

SCORE_STEP = 0.01  # a score change smaller than this (the pages' precision) is not an event


@dataclass(frozen=True)
class TokenState:
    """What a token's events compare: its scores and flags before a writer changed them."""

    score: float | None
    smoothed_score: float | None
    flags: tuple[str, ...]

    @classmethod
    def of(cls, token: Token) -> TokenState:
        return cls(token.score, token.smoothed_score, tuple(token.all_flags))


def token_summary(token: Token, *, min_score: float) -> dict[str, Any]:
    """The token as an event carries it: what an alert's filters and a row's update need."""
    return {
        "symbol": token.symbol,
        "name": token.name,
        "status": token.status,
        "score": token.score,
        "smoothed_score": token.smoothed_score,
        "hot": token_is_hot(token.smoothed_score, min_score),
        "liquidity_usd": token.liquidity_usd,
        "price_usd": token.price_usd,
        "market_cap_usd": token.market_cap_usd,
        "price_change_5m": token.price_change_5m,
        "flags": token.all_flags,
        "migrated_at": token.migrated_at,
        "scored_at": token.scored_at,
    }


def migration_event(token: Token) -> Event:
    return Event(
        "migration",
        token.mint_address,
        {
            "signature": token.migration_signature,
            "source": token.source,
            "migrated_at": token.migrated_at,
            "token": token_summary(token, min_score=float("inf")),
        },
    )


def token_changes(before: TokenState, token: Token, *, min_score: float) -> list[Event]:
    """The events of `token`'s change from `before` to what its row now holds."""
    after = TokenState.of(token)
    if after == before:
        return []
    summary = token_summary(token, min_score=min_score)
    events = []
    if _moved(before.score, after.score) or _moved(before.smoothed_score, after.smoothed_score):
        events.append(
            Event(
                "score",
                token.mint_address,
                {"token": summary, "previous_smoothed": before.smoothed_score},
            )
        )
    was_hot = token_is_hot(before.smoothed_score, min_score)
    if summary["hot"] != was_hot:
        events.append(
            Event("hot" if summary["hot"] else "cold", token.mint_address, {"token": summary})
        )
    added = [flag for flag in after.flags if flag not in before.flags]
    removed = [flag for flag in before.flags if flag not in after.flags]
    if added or removed:
        events.append(
            Event(
                "flags",
                token.mint_address,
                {"token": summary, "added": added, "removed": removed},
            )
        )
    return events


def _moved(before: float | None, after: float | None) -> bool:
    if before is None or after is None:
        return before is not after
    return abs(after - before) >= SCORE_STEP

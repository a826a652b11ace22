"""Reads of tokens, shared by the pages and the API: one filter and sort vocabulary."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, OrderBy, Prefetch, Q
from django.utils import timezone

from scoring.models import TokenScore
from tokens.models import Pool, Token, TokenQuerySet

COMPONENTS = (
    "tx_accel",
    "vol_momentum",
    "token_freshness",
    "orderflow_imbalance",
    "s",
    "l",
    "m",
    "t",
)
# sort key -> expression; "-key" sorts descending. Components sort on their smoothed value.
SORTS: dict[str, F] = {
    "score": F("score"),
    "smoothed_score": F("smoothed_score"),
    "liquidity": F("liquidity_usd"),
    "tx_5m": F("tx_5m"),
    "volume_5m": F("volume_5m"),
    "tx_1h": F("metrics__tx_1h"),
    "volume_1h": F("metrics__vol_1h"),
    "age": F("migrated_at"),  # ascending age = newest migration first, handled below
    "symbol": F("symbol"),
    "status": F("status"),
    "pools": F("pool_count"),
    **{name: F(f"smoothed_components__{name}") for name in COMPONENTS},
}
DEFAULT_SORT = "-smoothed_score"


@dataclass(frozen=True)
class TokenFilters:
    statuses: Sequence[str] = field(default_factory=tuple)  # empty: every status but archived
    min_score: float | None = None  # on the smoothed score
    search: str = ""  # mint, symbol or name
    fresh_hours: float | None = None  # migrated within this many hours
    hot_only: bool = False  # smoothed score >= the settings' min_score
    hot_threshold: float = 0.3
    sort: str = DEFAULT_SORT


def sort_is_valid(sort: str) -> bool:
    return sort.removeprefix("-") in SORTS


def token_list(
    filters: TokenFilters | None = None, *, now: datetime | None = None
) -> TokenQuerySet:
    """Tokens matching `filters`, sorted, NULLs last, with a stable tie-break on id."""
    filters = filters or TokenFilters()
    tokens: TokenQuerySet = Token.objects.all()
    if filters.statuses:
        tokens = tokens.filter(status__in=filters.statuses)
    else:
        tokens = tokens.refreshable()
    if filters.min_score is not None:
        tokens = tokens.filter(smoothed_score__gte=filters.min_score)
    if filters.hot_only:
        tokens = tokens.filter(smoothed_score__gte=filters.hot_threshold)
    if filters.search:
        term = filters.search.strip()
        tokens = tokens.filter(
            Q(mint_address__startswith=term) | Q(symbol__icontains=term) | Q(name__icontains=term)
        )
    if filters.fresh_hours is not None:
        since = (now or timezone.now()) - timedelta(hours=filters.fresh_hours)
        tokens = tokens.filter(migrated_at__gte=since)
    return tokens.order_by(*ordering(filters.sort))


def ordering(sort: str) -> list[OrderBy]:
    key = sort.removeprefix("-")
    if key not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(sorted(SORTS))}")
    descending = sort.startswith("-")
    if key == "age":  # youngest first when ascending age
        descending = not descending
    expression = SORTS[key]
    primary = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    tie = F("id").desc() if descending else F("id").asc()
    return [primary, tie]


def status_counts() -> dict[str, int]:
    """How many tokens each status tab holds."""
    counts = dict.fromkeys(Token.Status.values, 0)
    for row in Token.objects.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def pools_by_liquidity() -> Prefetch[str]:
    """Prefetch of a token's pools, most liquid first (one query for a whole page of tokens)."""
    return Prefetch(
        "pools", queryset=Pool.objects.order_by(F("liquidity_usd").desc(nulls_last=True), "id")
    )


def token_score_history(*, token: Token, limit: int) -> list[dict[str, Any]]:
    """The token's latest `limit` snapshots, oldest first, without their bulky JSON.

    Each: id, created_at, score, smoothed_score, scoring_model, settings_version,
    fallback (metrics["fallback"]) and quality_ok (metrics["data_quality_ok"]).
    """
    latest = (
        TokenScore.objects.filter(token=token)
        .order_by("-created_at", "-id")
        .values(
            "id",
            "created_at",
            "score",
            "smoothed_score",
            "scoring_model",
            "settings_version",
            fallback=F("metrics__fallback"),
            quality_ok=F("metrics__data_quality_ok"),
        )[:limit]
    )
    rows: list[dict[str, Any]] = [dict(row) for row in latest]
    rows.reverse()
    return rows


def token_by_mint(mint: str) -> Token | None:
    """The token of `mint`, whatever its status (archived tokens keep their page)."""
    return Token.objects.filter(mint_address=mint).first()


def token_snapshots(*, token: Token, limit: int) -> list[TokenScore]:
    """The newest `limit` snapshots of `token`, newest first (the (token, -created_at) index)."""
    return list(TokenScore.objects.filter(token=token).order_by("-created_at", "-id")[:limit])


def token_pools(*, token: Token) -> list[Pool]:
    """Every pool of `token`, the most liquid first, kept or not."""
    return list(token.pools.order_by(F("liquidity_usd").desc(nulls_last=True), "id"))

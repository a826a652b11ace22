"""Reads of scored tokens: the ranking the pages and the API share (one filter and sort
vocabulary), a token's snapshot history, and the refresh scheduler's groups."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, OrderBy, Q, TextField
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast
from django.db.models.lookups import Contains
from django.utils import timezone

from scoring.engine import component_keys
from scoring.engine.risk import RISK_FLAGS
from scoring.models import ScoringSettings, TokenScore
from tokens.models import Token, TokenQuerySet

GROUPS = ("hot", "cold")


def tokens_in_group(group: str, *, settings: ScoringSettings | None = None) -> TokenQuerySet:
    """hot: smoothed score >= min_score; cold: every other refreshable token; all: both."""
    settings = settings or ScoringSettings.objects.active()
    if group == "hot":
        return Token.objects.hot(settings.min_score)
    if group == "cold":
        return Token.objects.cold(settings.min_score)
    if group == "all":
        return Token.objects.refreshable()
    raise ValueError(f"unknown group {group!r}: use hot, cold or all")


def group_interval(group: str, settings: ScoringSettings) -> int:
    return settings.hot_interval_sec if group == "hot" else settings.cold_interval_sec


def token_ids_for_group(group: str) -> list[int]:
    return list(tokens_in_group(group).order_by("pk").values_list("pk", flat=True))


def due_before(group: str, settings: ScoringSettings, now: datetime | None = None) -> datetime:
    """Tokens last refreshed before this are due. A little slack keeps a beat that fires a
    moment early from skipping a whole interval."""
    now = now or timezone.now()
    interval = group_interval(group, settings)
    return now - timedelta(seconds=interval - min(5.0, interval * 0.2))


# --- The ranking ------------------------------------------------------------------------------
# sort key -> expression; "-key" sorts descending. Components sort on their smoothed value.
SORTS: dict[str, F] = {
    "score": F("score"),
    "smoothed_score": F("smoothed_score"),
    "liquidity": F("liquidity_usd"),
    "tx_5m": F("tx_5m"),
    "volume_5m": F("volume_5m"),
    "price": F("price_usd"),
    "market_cap": F("market_cap_usd"),
    "change_5m": F("price_change_5m"),
    "change_1h": F("price_change_1h"),
    "tx_1h": F("metrics__tx_1h"),
    "volume_1h": F("metrics__vol_1h"),
    "age": F("migrated_at"),  # ascending age = newest migration first, handled below
    "symbol": F("symbol"),
    "status": F("status"),
    "pools": F("pool_count"),
    **{name: F(f"smoothed_components__{name}") for name in component_keys()},
}
DEFAULT_SORT = "-smoothed_score"

# The dashboard's lanes: what a trader looks at in turn. "" is every live token.
LANES = {
    "": "All",
    "new": "New",  # migrated within the freshness threshold
    "hot": "Hot",  # smoothed score at or above the hot line
    "fading": "Fading",  # near or above the hot line, its latest raw score below its EWMA
    "rugged": "Rugged",  # its latest snapshot says rugged
}
# A fading token's smoothed score is at least this share of the hot line.
FADING_FLOOR = 0.5


@dataclass(frozen=True)
class TokenFilters:
    statuses: Sequence[str] = field(default_factory=tuple)  # empty: every status but archived
    min_score: float | None = None  # on the smoothed score
    search: str = ""  # mint, symbol or name
    fresh_hours: float | None = None  # migrated within this many hours
    hot_only: bool = False  # smoothed score >= hot_threshold
    # None: the active settings' min_score, read by the query itself
    hot_threshold: float | None = None
    sort: str = DEFAULT_SORT
    flags: Sequence[str] = field(default_factory=tuple)  # carrying every one of these
    exclude_flags: Sequence[str] = field(default_factory=tuple)  # carrying none of these
    hide_risky: bool = False  # no risk flag, and a complete risk check
    lane: str = ""  # a key of LANES ("new" is fresh_hours, set by who parses the lane)
    exclude_mints: Sequence[str] = field(default_factory=tuple)  # shown elsewhere (pinned)


def _carrying(flag: str) -> Contains:
    """Tokens whose flags (the snapshot's, or the risk check's) include ``flag``: a match on
    the list's JSON text, which every database can cast (SQLite has no JSON containment)."""
    column = "risk_flags" if flag in RISK_FLAGS else "flags"
    return Contains(Cast(column, TextField()), json.dumps(flag))


def lane_condition(lane: str, *, hot_line: float | Combinable, since: datetime | None = None) -> Q:
    """Which tokens a lane holds (LANES). The new lane is a migration after `since`; without
    it, that condition is left to the filters' fresh_hours."""
    if lane == "new":
        return Q(migrated_at__gte=since) if since is not None else Q()
    if lane == "hot":
        return Q(smoothed_score__gte=hot_line)
    if lane == "fading":
        near = Q(smoothed_score__gte=FADING_FLOOR * hot_line, score__lt=F("smoothed_score"))
        return near & ~Q(_carrying("rugged"))
    if lane == "rugged":
        return Q(_carrying("rugged"))
    raise ValueError(f"unknown lane {lane!r}; use one of {', '.join(k for k in LANES if k)}")


@dataclass(frozen=True)
class TabCounts:
    lanes: dict[str, int]  # live tokens per lane ("" : every live token)
    statuses: dict[str, int]  # tokens per status, archived included


def tab_counts(*, hot_line: float, fresh_hours: float, now: datetime | None = None) -> TabCounts:
    """What the dashboard's lane and status tabs count, in one pass over the tokens."""
    since = (now or timezone.now()) - timedelta(hours=fresh_hours)
    live = ~Q(status=Token.Status.ARCHIVED)
    lanes = {
        lane: live & lane_condition(lane, hot_line=hot_line, since=since) for lane in LANES if lane
    }
    aggregates = {
        "lane_all": Count("id", filter=live),
        **{f"lane_{lane}": Count("id", filter=q) for lane, q in lanes.items()},
        **{f"status_{s}": Count("id", filter=Q(status=s)) for s in Token.Status.values},
    }
    counts: dict[str, int] = Token.objects.order_by().aggregate(**aggregates)
    return TabCounts(
        lanes={"": counts["lane_all"], **{lane: counts[f"lane_{lane}"] for lane in lanes}},
        statuses={s: counts[f"status_{s}"] for s in Token.Status.values},
    )


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
    if filters.hot_only or filters.lane:
        threshold = filters.hot_threshold
        line = ScoringSettings.objects.active_min_score() if threshold is None else threshold
        if filters.hot_only:
            tokens = tokens.filter(smoothed_score__gte=line)
        if filters.lane:
            tokens = tokens.filter(lane_condition(filters.lane, hot_line=line))
    if filters.exclude_mints:
        tokens = tokens.exclude(mint_address__in=filters.exclude_mints)
    if filters.search:
        term = filters.search.strip()
        tokens = tokens.filter(
            Q(mint_address__startswith=term) | Q(symbol__icontains=term) | Q(name__icontains=term)
        )
    if filters.fresh_hours is not None:
        since = (now or timezone.now()) - timedelta(hours=filters.fresh_hours)
        tokens = tokens.filter(migrated_at__gte=since)
    for flag in filters.flags:
        tokens = tokens.filter(_carrying(flag))
    for flag in filters.exclude_flags:
        tokens = tokens.exclude(_carrying(flag))
    if filters.hide_risky:
        tokens = tokens.filter(risk_complete=True, risk_flags=[]).exclude(_carrying("rugged"))
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


# --- A token's snapshots -------------------------------------------------------------------------
def token_score_history(*, token: Token, limit: int) -> list[dict[str, Any]]:
    """The token's latest `limit` snapshots, oldest first, without their bulky JSON.

    Each: id, created_at, score, smoothed_score, scoring_model, settings_version,
    fallback (metrics["fallback"]), quality_ok (metrics["data_quality_ok"]) and price_usd
    (metrics["price_usd"]).
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
            price_usd=F("metrics__price_usd"),
        )[:limit]
    )
    rows: list[dict[str, Any]] = [dict(row) for row in latest]
    rows.reverse()
    return rows


def token_snapshots(*, token: Token, limit: int) -> list[TokenScore]:
    """The newest `limit` snapshots of `token`, newest first (the (token, -created_at) index)."""
    return list(TokenScore.objects.filter(token=token).order_by("-created_at", "-id")[:limit])

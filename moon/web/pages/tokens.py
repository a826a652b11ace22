"""Token pages: the dashboard `/` and the detail `/tokens/<mint>/` (each also an htmx partial)."""

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from ingestion.selectors import token_origin
from moon.lib.htmx import render_page
from moon.lib.queue import QueueUnavailable
from moon.lib.templatetags.moon_format import count, num, price, signed_pct, usd
from moon.operations.health import dependencies_in_trouble
from moon.web.charts import Snapshot, price_chart, score_chart
from moon.web.pages.risk import risk_rows, top_holders
from moon.web.pages.token_forms import LANE_SORTS, TokenFilterForm
from moon.web.pages.watchlist import watched_mints
from scoring.engine import MODELS, Component, ScoringModel, get_model, metrics_from_json
from scoring.models import DEFAULTS, ScoringSettings
from scoring.selectors import (
    DEFAULT_SORT,
    LANES,
    TokenFilters,
    tab_counts,
    token_list,
    token_score_history,
)
from scoring.services.enqueue import token_refresh_enqueue
from tokens.models import Token, token_is_hot
from tokens.selectors import pools_by_liquidity

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
DASHBOARD_POLL_SECONDS = 5  # while the event stream is down
DASHBOARD_LIVE_POLL_SECONDS = 30  # while it is up: rows change by themselves, this re-ranks
DETAIL_POLL_SECONDS = 15
CHART_SNAPSHOTS = 500  # the chart's span: 500 snapshots are ~4h of a hot token
RECENT_SNAPSHOTS = 20


def scoring_model(name: str) -> ScoringModel:
    """The declared model called `name`, or the default model if it is unknown."""
    return MODELS.get(name) or get_model(DEFAULTS.scoring_model_active)


def model_components(name: str) -> tuple[Component, ...]:
    return scoring_model(name).components


# --- Dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    sort: str | None  # a key of tokens.selectors.SORTS
    css: str
    rem: float  # its width: fixed, so a refresh never shifts the layout
    ascending_first: bool = False  # the first click sorts ascending (names, youngest first)
    title: str = ""


@dataclass(frozen=True)
class Header:
    column: Column
    direction: str  # "asc", "desc" or "" when the table is not sorted by this column
    next_sort: str  # the sort a click asks for


@dataclass(frozen=True)
class Tab:
    label: str
    value: str | None  # the query parameter's value; None: the parameter left out
    count: int
    current: bool


@dataclass(frozen=True)
class TokenRow:
    token: Token
    hot: bool
    components: list[tuple[float | None, float | None]]  # (smoothed, raw) per column
    stale: bool = False  # its latest snapshot is older than twice its refresh interval
    fallback: str | None = None  # the latest snapshot is a fallback or an emergency
    pinned: bool = False  # on the viewer's watchlist
    risky: bool = False  # rugged, or a risk flag raised: marked at the row's edge
    urls: Mapping[str, str] = field(default_factory=dict)  # detail, row, watch


# A page reverses each of a row's URLs once, then fills in each mint (a `{% url %}` per cell
# of 50 rows was a third of the table's render).
ROW_URLS = ("detail", "row", "watch")
MINT_MARK = "MINT"


def row_urls(mint: str, patterns: Mapping[str, str] | None = None) -> dict[str, str]:
    patterns = patterns or row_url_patterns()
    return {name: pattern.replace(MINT_MARK, mint) for name, pattern in patterns.items()}


def row_url_patterns() -> dict[str, str]:
    return {name: reverse(f"tokens:{name}", args=[MINT_MARK]) for name in ROW_URLS}


# Data older than this many refresh intervals is stale: a refresh was missed, then another.
STALE_INTERVALS = 2


def dashboard_columns(components: Sequence[Component]) -> list[Column]:
    """The table's columns, those that matter first: at narrow widths the token (kept in view)
    and its score show, the rest scroll."""
    return [
        Column("Token", "symbol", "c-token", 18, ascending_first=True),
        Column("Score", "smoothed_score", "c-num", 4.6, title="Smoothed score (EWMA)"),
        Column("Flags", None, "c-flags", 11, title="Snapshot and risk flags"),
        Column("Price", "price", "c-price", 6.4, title="Primary pool's price"),
        Column("MCap", "market_cap", "c-money", 5, title="Market cap"),
        Column("5m", "change_5m", "c-pct", 4.8, title="Price change over 5 minutes"),
        Column("1h", "change_1h", "c-pct", 4.8, title="Price change over the hour"),
        Column("Liquidity", "liquidity", "c-money", 5.8, title="Liquidity of the kept pools"),
        Column("Tx 5m", "tx_5m", "c-int", 4.4, title="Transactions over 5 minutes"),
        Column("Vol 5m", "volume_5m", "c-money", 5, title="Volume over 5 minutes"),
        Column("Age", "age", "c-age", 4.8, ascending_first=True, title="Since migration"),
        Column("Data", None, "c-data", 7.4, title="Age of the latest snapshot"),
        Column("Status", "status", "c-status", 6.4, ascending_first=True),
        Column("Raw", "score", "c-num", 4.2, title="Raw score of the latest snapshot"),
        *(
            Column(c.label, c.key, "c-comp", 6, title=f"smoothed {c.key}: {c.formula}")
            for c in components
        ),
        Column("Pools", "pools", "c-pools", 15, title="Pools per DEX (kept pools solid)"),
        Column("", None, "c-links", 3.6),
    ]


def sort_headers(columns: Sequence[Column], current: str) -> list[Header]:
    """Each column's state under the `current` sort and the sort a click on it asks for."""
    headers = []
    for column in columns:
        key = column.sort
        if key is None:
            headers.append(Header(column, "", ""))
        elif current == key:
            headers.append(Header(column, "asc", f"-{key}"))
        elif current == f"-{key}":
            headers.append(Header(column, "desc", key))
        else:
            headers.append(Header(column, "", key if column.ascending_first else f"-{key}"))
    return headers


def status_tabs(counts: Mapping[str, int], statuses: Sequence[str]) -> list[Tab]:
    """'Live' (monitoring and active: what the dashboard shows by default), then each status."""
    live = counts.get(Token.Status.MONITORING, 0) + counts.get(Token.Status.ACTIVE, 0)
    tabs = [Tab("Live", None, live, not statuses)]
    for status in Token.Status.values:
        tabs.append(
            Tab(status.title(), status, counts.get(status, 0), tuple(statuses) == (status,))
        )
    return tabs


def lane_tabs(counts: Mapping[str, int], lane: str) -> list[Tab]:
    return [
        Tab(label, key or None, counts.get(key, 0), key == lane) for key, label in LANES.items()
    ]


def token_row(
    token: Token,
    components: Sequence[Component],
    settings: ScoringSettings,
    now: datetime,
    pinned: bool = False,
    urls: Mapping[str, str] | None = None,
) -> TokenRow:
    smoothed, raw = token.smoothed_components or {}, token.raw_components or {}
    hot = token_is_hot(token.smoothed_score, settings.min_score)
    interval = settings.hot_interval_sec if hot else settings.cold_interval_sec
    refreshed = token.scored_at is not None and token.status != Token.Status.ARCHIVED
    fallback = (token.metrics or {}).get("fallback")
    return TokenRow(
        token=token,
        hot=hot,
        components=[(smoothed.get(c.key), raw.get(c.key)) for c in components],
        stale=refreshed
        and token.scored_at is not None
        and (now - token.scored_at).total_seconds() > STALE_INTERVALS * interval,
        fallback=fallback if fallback in ("fallback", "emergency") else None,
        pinned=pinned,
        risky=bool(token.risk_flags) or "rugged" in (token.flags or []),
        urls=row_urls(token.mint_address, urls),
    )


def newest_snapshot() -> datetime | None:
    """When the newest snapshot of any live token was written (None: none scored yet)."""
    newest: datetime | None = Token.objects.refreshable().aggregate(newest=Max("scored_at"))[
        "newest"
    ]
    return newest


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    settings = ScoringSettings.objects.active()
    watched = watched_mints(request)
    form = TokenFilterForm(request.GET)
    filters = form.token_filters(
        hot_threshold=settings.min_score,
        fresh_hours=settings.freshness_threshold_hours,
        pinned=watched,
    )
    tokens = token_list(filters).prefetch_related(pools_by_liquidity())
    page = Paginator(tokens, PAGE_SIZE).get_page(request.GET.get("page"))
    pinned = (
        list(
            token_list(TokenFilters(statuses=Token.Status.values, sort=filters.sort))
            .filter(mint_address__in=watched)
            .prefetch_related(pools_by_liquidity())
        )
        if watched
        else []
    )
    components = model_components(settings.scoring_model_active)
    columns = dashboard_columns(components)
    urls = row_url_patterns()
    now = timezone.now()
    newest = newest_snapshot()
    limit = STALE_INTERVALS * settings.cold_interval_sec
    stale = newest is not None and (now - newest).total_seconds() > limit
    counts = tab_counts(
        hot_line=settings.min_score, fresh_hours=settings.freshness_threshold_hours, now=now
    )
    context = {
        "form": form,
        "filters": filters,
        "scoring": settings,
        "page": page,
        "rows": [
            *(token_row(token, components, settings, now, True, urls) for token in pinned),
            *(token_row(token, components, settings, now, False, urls) for token in page),
        ],
        "headers": sort_headers(columns, filters.sort),
        "table_rem": sum(column.rem for column in columns),
        "tabs": status_tabs(counts.statuses, filters.statuses),
        "lanes": lane_tabs(counts.lanes, filters.lane),
        "state": _hidden_state(filters),
        # An empty or stale dashboard says why, when something moon depends on is not ok.
        "troubles": dependencies_in_trouble() if stale or not page.object_list else [],
        "newest": newest,
        "stale": stale,
        "now": now,
        "poll_seconds": DASHBOARD_POLL_SECONDS,
        "poll_live_seconds": DASHBOARD_LIVE_POLL_SECONDS,
    }
    return render_page(request, "tokens/dashboard.html", "token-table", context)


@require_safe
def dashboard_row(request: HttpRequest, mint: str) -> HttpResponse:
    """One dashboard row, as the table renders it: what a row fetches when the event stream
    tells of a change of its token."""
    token = get_object_or_404(
        Token.objects.prefetch_related(pools_by_liquidity()), mint_address=mint
    )
    settings = ScoringSettings.objects.active()
    components = model_components(settings.scoring_model_active)
    now = timezone.now()
    pinned = mint in watched_mints(request)
    context = {"row": token_row(token, components, settings, now, pinned), "now": now}
    return render(request, "tokens/dashboard.html#token-row", context)


def _hidden_state(filters: TokenFilters) -> dict[str, str]:
    """What the table's tabs and headers decide, carried into the filter form's submissions."""
    state = {"status": filters.statuses[0] if filters.statuses else "", "lane": filters.lane}
    state["sort"] = (
        filters.sort if filters.sort != LANE_SORTS.get(filters.lane, DEFAULT_SORT) else ""
    )
    return {name: value for name, value in state.items() if value}


# --- Token detail -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentRow:
    component: Component
    raw: float | None
    smoothed: float | None
    weight: float | None
    contribution: float | None  # weight x smoothed (over the weights' sum for a normalized model)
    bar_percent: float  # |contribution| against the largest one, for the bar
    evidence: Mapping[str, float | None]  # what the value rests on: ratio, confidence, windows


@dataclass(frozen=True)
class MetricRow:
    label: str
    key: str
    text: str
    issues: list[dict[str, str]]  # the quality issues that concern this metric


# key, label, formatter
METRICS = (
    ("L_tot", "Liquidity (kept pools)", usd),
    ("tx_5m", "Transactions 5m", count),
    ("tx_1h", "Transactions 1h", count),
    ("vol_5m", "Volume 5m", usd),
    ("vol_1h", "Volume 1h", usd),
    ("buys_5m", "Buys 5m", count),
    ("sells_5m", "Sells 5m", count),
    ("pool_count", "Kept pools", count),
    ("primary_dex_id", "Primary DEX", lambda value: value or "—"),
    ("price_usd", "Price", price),
    ("dp5", "Price change 5m (dp5)", lambda value: fraction_pct(value)),
    ("dp15", "Price change 15m est. (dp15)", lambda value: fraction_pct(value)),
    ("hours_since_migration", "Hours since migration", lambda value: num(value, 2)),
)
# Which metrics each data-quality issue code is about (codes: scoring/engine/issues.py).
ISSUE_METRICS = {
    "negative_liquidity": ("L_tot",),
    "negative_tx_count": ("tx_5m", "tx_1h", "buys_5m", "sells_5m"),
    "negative_volume": ("vol_5m", "vol_1h"),
    "negative_price": ("price_usd",),
    "no_kept_pools": ("pool_count",),
    "liquidity_without_trades": ("L_tot", "tx_5m"),
    "trades_without_price_move": ("tx_5m", "dp5"),
    "extreme_price_change": ("dp5",),
    "tx_5m_exceeds_1h": ("tx_5m", "tx_1h"),
    "volume_5m_exceeds_1h": ("vol_5m", "vol_1h"),
    "pool_count_jump": ("pool_count",),
}
FALLBACK_NOTES = {
    "fallback": "DexScreener gave no usable answer: score = 0.7 x mean of the last 10 good "
    "smoothed scores; the EWMA state was kept.",
    "emergency": "Critical data issues blocked the update: score = 0.5 x median of the last "
    "10 good smoothed scores; the EWMA state was kept.",
    "degraded": "Scored normally from data with warnings.",
}


def fraction_pct(value: float | None) -> str:
    """A stored fraction (dp5 = 0.035) as the percent the pools table shows ("+3.50%")."""
    return signed_pct(None if value is None else 100 * float(value), 2)


def component_rows(token: Token, weights: ScoringSettings) -> list[ComponentRow]:
    """Raw and smoothed value, weight and contribution of each component, with the evidence
    (pace ratio, activity confidence, window coverage) a model declares behind it."""
    model = scoring_model(token.scoring_model or weights.scoring_model_active)
    params = weights.to_params()
    raw, smoothed = token.raw_components or {}, token.smoothed_components or {}
    stored = metrics_from_json(token.metrics or {})
    evidence = model.explain(stored, params) if stored is not None else {}
    scale = sum(getattr(weights, c.weight) for c in model.components) if model.normalized else 1.0
    values = []
    for component in model.components:
        weight = getattr(weights, component.weight, None)
        value = smoothed.get(component.key)
        contribution = (
            weight * value / scale if weight is not None and value is not None and scale else None
        )
        values.append((component, raw.get(component.key), value, weight, contribution))
    largest = max((abs(v[4]) for v in values if v[4] is not None), default=0.0)
    return [
        ComponentRow(
            *v,
            bar_percent=100 * abs(v[4]) / largest if v[4] and largest else 0.0,
            evidence=evidence.get(v[0].key, {}),
        )
        for v in values
    ]


def metric_rows(metrics: Mapping[str, Any]) -> list[MetricRow]:
    issues = metrics.get("data_quality_issues") or []
    return [
        MetricRow(
            label=label,
            key=key,
            text=formatter(metrics.get(key)),
            issues=[i for i in issues if key in ISSUE_METRICS.get(i.get("code", ""), ())],
        )
        for key, label, formatter in METRICS
    ]


def lifecycle(token: Token) -> list[tuple[str, Any]]:
    return [
        ("Created", token.created_at),
        ("Migrated", token.migrated_at),
        ("Activated", token.activated_at),
        ("Archived", token.archived_at),
        ("Last refreshed", token.last_updated_at),
    ]


@require_safe
def token_detail(request: HttpRequest, mint: str) -> HttpResponse:
    token = get_object_or_404(
        Token.objects.select_related("risk_check").prefetch_related(pools_by_liquidity()),
        mint_address=mint,
    )
    history = token_score_history(token=token, limit=CHART_SNAPSHOTS)
    active = ScoringSettings.objects.active()
    weights = _settings_of(history[-1]["settings_version"] if history else None, active)
    snapshots = [
        Snapshot(
            row["created_at"],
            row["score"],
            row["smoothed_score"],
            row["fallback"],
            _number(row["price_usd"]),
        )
        for row in history
    ]
    # Two snapshots further apart than a stale row's age: refreshes stopped in between.
    gap = STALE_INTERVALS * active.cold_interval_sec
    metrics = token.metrics or {}
    check = getattr(token, "risk_check", None)  # None before the first risk check
    context = {
        "token": token,
        "risk": check,
        "risk_rows": risk_rows(check, active),
        "top_holders": top_holders(check),
        "risk_penalty": metrics.get("risk_penalty") or {},
        "chart": score_chart(snapshots, threshold=active.min_score, gap_seconds=gap),
        "price_chart": price_chart(snapshots, label=price, gap_seconds=gap),
        "snapshot_count": len(snapshots),
        "chart_limit": CHART_SNAPSHOTS,
        "recent": list(reversed(history[-RECENT_SNAPSHOTS:])),
        "components": component_rows(token, weights),
        "weights": weights,
        "normalized": scoring_model(token.scoring_model or weights.scoring_model_active).normalized,
        "scoring": active,
        "metrics": metric_rows(metrics),
        "issues": metrics.get("data_quality_issues") or [],
        "fallback": metrics.get("fallback"),
        "fallback_note": FALLBACK_NOTES.get(metrics.get("fallback") or "", ""),
        "quality_ok": metrics.get("data_quality_ok"),
        "pools": list(token.pools.all()),
        "lifecycle": lifecycle(token),
        "origin": token_origin(token),
        "hot": token_is_hot(token.smoothed_score, active.min_score),
        "now": timezone.now(),
        "poll_seconds": DETAIL_POLL_SECONDS,
    }
    return render_page(request, "tokens/detail.html", "token-live", context)


def _number(value: Any) -> float | None:
    """A stored metric as a float, None when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _settings_of(version: int | None, active: ScoringSettings) -> ScoringSettings:
    """The settings version that scored the latest snapshot (its weights explain the score)."""
    if version is None or version == active.version:
        return active
    return ScoringSettings.objects.filter(version=version).first() or active


@staff_member_required
@require_POST
def token_refresh(request: HttpRequest, mint: str) -> HttpResponse:
    """Queue a refresh of one token (staff); the detail page shows the new score when it lands."""
    token = get_object_or_404(Token, mint_address=mint)
    if token.status == Token.Status.ARCHIVED:
        messages.warning(request, "Archived tokens are not refreshed.")
        return redirect("tokens:detail", mint=mint)
    try:
        token_refresh_enqueue(token=token)
    except QueueUnavailable as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Refresh of {token.symbol or mint} queued: the new score shows up shortly."
        )
    return redirect("tokens:detail", mint=mint)

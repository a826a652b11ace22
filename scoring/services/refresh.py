"""The refresh path: fetch a batch of tokens' pairs, score each, persist everything in bulk.

One TokenScore per token per refresh, never skipped: a failed fetch or bad data still writes a
fallback snapshot. Queries per batch are constant: settings, tokens, then one transaction of
bulk writes.
"""

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db import models, transaction
from django.utils import timezone

from moon.lib.bulk import bulk_insert, bulk_update, bulk_upsert
from moon.lib.events import Event, publish
from scoring.engine import (
    Aggregation,
    Evaluation,
    EwmaState,
    ScoringParams,
    activation_passes,
    aggregate,
    evaluate,
)
from scoring.models import ScoringSettings, TokenScore
from tokens.models import POOL_DATA_FIELDS, Pool, Token
from tokens.services.events import TokenState, token_changes
from tokens.services.lifecycle import token_apply_activation

HISTORY = 10
PAIR_ADDRESS_LENGTH = Pool._meta.get_field("pair_address").max_length or 0
PAIR_URL_LENGTH = Pool._meta.get_field("url").max_length or 0  # a cut URL would lead astray


def fit(model: type[models.Model], name: str, value: str) -> str:
    """`value` cut to the length of its column (outside text is already cleaned in the engine)."""
    limit = model._meta.get_field(name).max_length  # type: ignore[union-attr]
    return value[:limit] if limit else value


TOKEN_FIELDS = [
    "name",
    "symbol",
    "image_url",
    "status",
    "activated_at",
    "activation_misses",
    "last_updated_at",
    "refresh_lease_until",
    "score",
    "smoothed_score",
    "scored_at",
    "scoring_model",
    "raw_components",
    "smoothed_components",
    "metrics",
    "liquidity_usd",
    "tx_5m",
    "volume_5m",
    "pool_count",
    "flags",
    "peak_liquidity_usd",
    "price_usd",
    "market_cap_usd",
    "price_change_5m",
    "price_change_1h",
    "ewma_state",
    "recent_good_scores",
]


class PairFetcher(Protocol):
    def fetch_pairs(self, mints: Sequence[str]) -> Any: ...


@dataclass
class RefreshReport:
    tokens: int = 0
    requests: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    activated: int = 0
    seconds: float = 0.0

    def merge(self, other: "RefreshReport") -> None:
        self.tokens += other.tokens
        self.requests += other.requests
        self.outcomes.update(other.outcomes)
        self.activated += other.activated
        self.seconds += other.seconds


def tokens_refresh(*, token_ids: Sequence[int], fetcher: PairFetcher) -> RefreshReport:
    """Fetch, score and store the refreshable tokens among `token_ids`."""
    started = time.monotonic()
    mints = list(
        Token.objects.refreshable()
        .filter(pk__in=token_ids)
        .order_by("pk")
        .values_list("mint_address", flat=True)
    )
    if not mints:
        return RefreshReport()
    result = fetcher.fetch_pairs(mints)
    errors = {mint: f"{error.kind}: {error.message}" for mint, error in result.errors.items()}
    report = tokens_score(token_ids=token_ids, pairs=result.pairs, errors=errors)
    report.requests = result.requests
    report.seconds = time.monotonic() - started
    return report


def tokens_score(
    *,
    token_ids: Sequence[int],
    pairs: Mapping[str, Sequence[Mapping[str, Any]]],
    errors: Mapping[str, str],
    now: datetime | None = None,
) -> RefreshReport:
    """Score the tokens from their `pairs` (or fetch `errors`); persist in one transaction.

    The rows are read again, locked, inside that transaction: whatever changed them while
    the pairs were being fetched (an archival, a recalculation, another refresh) is what this
    refresh builds on, never what it overwrites. A token archived meanwhile is left alone.
    Its tokens' changes are told (moon.lib.events) once it commits.
    """
    now = now or timezone.now()
    settings = ScoringSettings.objects.active()
    params = settings.to_params()
    with transaction.atomic():
        # Locked in id order, the order every other writer of tokens takes them: no deadlock.
        tokens = list(
            Token.objects.refreshable().filter(pk__in=token_ids).order_by("pk").select_for_update()
        )
        report = RefreshReport(tokens=len(tokens))
        snapshots: list[TokenScore] = []
        pools: dict[str, Pool] = {}
        events: list[Event] = []
        for token in tokens:
            before = TokenState.of(token)
            snapshot, rows = _score_one(token, pairs, errors, params, report, now)
            snapshots.append(_snapshot(token, snapshot, settings.version, now))
            pools.update((row.pair_address, row) for row in rows)
            events += token_changes(before, token, min_score=settings.min_score)
        bulk_insert(TokenScore, snapshots)
        bulk_upsert(
            Pool, _own_pools(pools), unique_fields=["pair_address"], update_fields=POOL_UPDATES
        )
        bulk_update(Token, tokens, TOKEN_FIELDS)
        publish(events)
    return report


def _score_one(
    token: Token,
    pairs: Mapping[str, Sequence[Mapping[str, Any]]],
    errors: Mapping[str, str],
    params: ScoringParams,
    report: RefreshReport,
    now: datetime,
) -> tuple[Evaluation, list[Pool]]:
    """Evaluate one token, move it through activation, and say which pool rows to write."""
    error = errors.get(token.mint_address)
    aggregation = None
    if error is None:
        aggregation = aggregate(
            token.mint_address,
            pairs.get(token.mint_address, []),
            params,
            migrated_at=token.migrated_at,
            now=now,
            previous_pool_count=token.pool_count if token.scored_at else None,
            previous_peak_usd=token.peak_liquidity_usd,
        )
    evaluation = evaluate(
        aggregation,
        params,
        previous=_ewma_state(token),
        recent_good_smoothed=token.recent_good_scores,
        fetch_error=error,
        risk_flags=token.risk_flags,
    )
    was_active = token.status == Token.Status.ACTIVE
    _apply(token, evaluation, aggregation, now)
    rows: list[Pool] = []
    if aggregation is not None and not aggregation.critical:
        token_apply_activation(
            token=token, passes=activation_passes(aggregation.pools, params), now=now
        )
        rows = _pool_rows(token, aggregation, now)
    report.activated += int(not was_active and token.status == Token.Status.ACTIVE)
    report.outcomes[evaluation.fallback or "ok"] += 1
    return evaluation, rows


# A pool belongs to the token it was first seen with: an answer naming another token's pair
# address never moves the pool (token is not among the fields an upsert updates).
POOL_UPDATES = [name for name in POOL_DATA_FIELDS if name != "token"]


def _own_pools(pools: Mapping[str, Pool]) -> list[Pool]:
    """The rows whose pair address is new or already belongs to the same token."""
    owners = dict(
        Pool.objects.filter(pair_address__in=list(pools)).values_list("pair_address", "token_id")
    )
    return [
        row for address, row in pools.items() if owners.get(address, row.token_id) == row.token_id
    ]


def _ewma_state(token: Token) -> EwmaState | None:
    state = token.ewma_state
    if not state:
        return None
    return EwmaState(state["components"], state["score"], state.get("scoring_model"))


def _apply(
    token: Token, evaluation: Evaluation, aggregation: Aggregation | None, now: datetime
) -> None:
    """Copy the snapshot onto the token row, which lists read without a join."""
    token.score = evaluation.score
    token.smoothed_score = evaluation.smoothed_score
    token.scored_at = token.last_updated_at = now
    token.refresh_lease_until = None
    token.scoring_model = evaluation.scoring_model
    token.raw_components = evaluation.raw_components
    token.smoothed_components = evaluation.smoothed_components
    token.metrics = evaluation.metrics
    token.flags = list(evaluation.flags)
    if evaluation.advances_ewma:
        state = evaluation.ewma_state()
        assert state is not None
        token.ewma_state = {
            "components": dict(state.components),
            "score": state.score,
            "scoring_model": state.scoring_model,
        }
        token.recent_good_scores = [evaluation.smoothed_score, *token.recent_good_scores][:HISTORY]
    if aggregation is None or aggregation.metrics is None:
        return
    metrics = aggregation.metrics
    token.liquidity_usd = metrics.L_tot
    token.tx_5m = metrics.tx_5m
    token.volume_5m = metrics.vol_5m
    token.pool_count = metrics.pool_count
    token.peak_liquidity_usd = metrics.peak_liquidity_usd
    if aggregation.pools:  # a recalculation re-reads metrics, not pools: the market stays
        primary = next(
            (p for p in aggregation.pools if p.pair_address == metrics.primary_pair_address), None
        )
        token.price_usd = primary.price_usd if primary else None
        token.market_cap_usd = primary.market_cap_usd if primary else None
        token.price_change_5m = primary.price_change_5m if primary else None
        token.price_change_1h = primary.price_change_1h if primary else None
    token.name = fit(Token, "name", aggregation.name or token.name)
    token.symbol = fit(Token, "symbol", aggregation.symbol or token.symbol)
    token.image_url = fit(Token, "image_url", aggregation.image_url or token.image_url)


def _snapshot(
    token: Token, evaluation: Evaluation, version: int | None, now: datetime
) -> TokenScore:
    return TokenScore(
        token=token,
        score=evaluation.score,
        smoothed_score=evaluation.smoothed_score,
        raw_components=evaluation.raw_components,
        smoothed_components=evaluation.smoothed_components,
        scoring_model=evaluation.scoring_model,
        metrics=evaluation.metrics,
        settings_version=version,
        flags=list(evaluation.flags),
        created_at=now,
    )


def _pool_rows(token: Token, aggregation: Aggregation, now: datetime) -> list[Pool]:
    return [
        Pool(
            token=token,
            pair_address=pool.pair_address,
            dex_id=fit(Pool, "dex_id", pool.dex_id),
            labels=list(pool.labels),
            quote_symbol=fit(Pool, "quote_symbol", pool.quote_symbol),
            url=pool.url if len(pool.url) <= PAIR_URL_LENGTH else "",
            kept=pool.kept,
            liquidity_usd=pool.liquidity_usd,
            buys_5m=pool.buys_5m,
            sells_5m=pool.sells_5m,
            buys_1h=pool.buys_1h,
            sells_1h=pool.sells_1h,
            volume_5m=pool.volume_5m,
            volume_1h=pool.volume_1h,
            volume_24h=pool.volume_24h,
            price_usd=pool.price_usd,
            price_change_5m=pool.price_change_5m,
            price_change_1h=pool.price_change_1h,
            market_cap_usd=pool.market_cap_usd,
            pair_created_at=pool.pair_created_at,
            updated_at=now,
        )
        for pool in aggregation.pools
        if len(pool.pair_address)
        <= PAIR_ADDRESS_LENGTH  # a key is never cut: such a pair is skipped
    ]

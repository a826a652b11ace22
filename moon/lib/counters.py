"""Counters in Redis, shared by every process: writers add to them, /metrics exposes them.

A process-local prometheus-client counter would show each scrape one worker's share, so the
source of truth is one Redis hash (HINCRBY is atomic). Best effort: a Redis outage loses an
increment, never the caller's work.
"""

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis

from moon.lib.redis import redis_client

logger = logging.getLogger(__name__)

COUNTERS_KEY = "moon:metrics:counters"
TRAFFIC_KEY = "moon:{source}:traffic:{minute}"  # source: dexscreener | solana_rpc
TRAFFIC_TTL_SECONDS = 3600

# name (exposed with a _total suffix) -> (help, label names)
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "moon_refreshes": (
        "Token refreshes, by group and outcome (ok, degraded, emergency, fallback).",
        ("group", "outcome"),
    ),
    "moon_refresh_batches": (
        "Refresh batches finished, by group and result (success, failure).",
        ("group", "result"),
    ),
    "moon_scores_written": ("TokenScore snapshots written, by group.", ("group",)),
    "moon_dexscreener_requests": ("DexScreener HTTP requests sent, by endpoint.", ("endpoint",)),
    "moon_dexscreener_responses_429": ("DexScreener answers with HTTP 429.", ()),
    "moon_dexscreener_errors": (
        "DexScreener requests that failed: transport error or HTTP status >= 400.",
        (),
    ),
    "moon_alerts": ("Alerts raised, by kind.", ("kind",)),
    "moon_solana_rpc_requests": ("Solana JSON-RPC requests sent, by method.", ("method",)),
    "moon_solana_rpc_errors": (
        "Solana JSON-RPC requests that failed: transport error or HTTP status >= 400.",
        ("method",),
    ),
    "moon_solana_rpc_responses_429": ("Solana JSON-RPC answers with HTTP 429.", ()),
    "moon_creations_stored": ("Token creations from the feed stored.", ()),
    "moon_reconcile_runs": (
        "Reconciliations of the migrations on chain, by result (ok, partial, failed, busy).",
        ("result",),
    ),
    "moon_chain_migrations": (
        "Migrations the reconciler found on chain, by who had it first (feed, chain).",
        ("heard_by",),
    ),
}


def _field(name: str, labels: dict[str, str]) -> str:
    expected = COUNTERS[name][1]
    if set(labels) != set(expected):
        raise ValueError(f"{name} takes labels {expected}, got {tuple(labels)}")
    return json.dumps([name, {key: str(labels[key]) for key in expected}])


def counter_incr(pipe: Any, name: str, amount: int = 1, **labels: str) -> None:
    """Queue an increment of counter `name` on a Redis pipeline (or run it on a client)."""
    pipe.hincrby(COUNTERS_KEY, _field(name, labels), amount)


def counter_add(name: str, amount: int = 1, **labels: str) -> None:
    """Increment counter `name` now. Best effort: a Redis outage loses the increment, never
    the caller's work."""
    field = _field(name, labels)
    try:
        redis_client().hincrby(COUNTERS_KEY, field, amount)
    except redis.RedisError:
        logger.debug("metrics: counter %s lost, redis unavailable", name)


def counters_read() -> dict[tuple[str, tuple[str, ...]], int]:
    """Every stored counter: (name, label values in declared order) -> value."""
    values: dict[tuple[str, tuple[str, ...]], int] = {}
    for raw_field, raw_value in redis_client().hgetall(COUNTERS_KEY).items():
        name, labels = json.loads(raw_field)
        if name in COUNTERS:
            key = (name, tuple(labels.get(label, "") for label in COUNTERS[name][1]))
            values[key] = int(raw_value)
    return values


def solana_rpc_request_observe(method: str, status: int | None, elapsed: float) -> None:
    """SolanaRpcClient's `on_request` hook: every request, its HTTP-level failure, its 429,
    into the Prometheus counters and the per-minute traffic /health reads.

    JSON-RPC error objects arrive with HTTP 200 and are the caller's to count."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        counter_incr(pipe, "moon_solana_rpc_requests", method=method)
        if status is None or status >= 400:
            counter_incr(pipe, "moon_solana_rpc_errors", method=method)
        if status == 429:
            counter_incr(pipe, "moon_solana_rpc_responses_429")
        _traffic_incr(pipe, "solana_rpc", status)
        pipe.execute()
    except redis.RedisError:
        logger.debug("metrics: solana rpc request not counted, redis unavailable")


# --- Per-minute traffic of each outside source: the window /health and the alerts read -------


@dataclass(frozen=True)
class Traffic:
    requests: int
    errors: int
    responses_429: int

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


def _traffic_incr(pipe: Any, source: str, status: int | None) -> None:
    minute_key = TRAFFIC_KEY.format(source=source, minute=int(time.time() // 60))
    pipe.hincrby(minute_key, "requests", 1)
    if status is None or status >= 400:
        pipe.hincrby(minute_key, "errors", 1)
    if status == 429:
        pipe.hincrby(minute_key, "responses_429", 1)
    pipe.expire(minute_key, TRAFFIC_TTL_SECONDS)


def dexscreener_request_observe(endpoint: str, status: int | None, elapsed: float) -> None:
    """DexScreenerClient's `on_request` hook: count the request, its error or 429, into the
    Prometheus counters and into the per-minute traffic."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        counter_incr(pipe, "moon_dexscreener_requests", endpoint=endpoint)
        if status is None or status >= 400:
            counter_incr(pipe, "moon_dexscreener_errors")
        if status == 429:
            counter_incr(pipe, "moon_dexscreener_responses_429")
        _traffic_incr(pipe, "dexscreener", status)
        pipe.execute()
    except redis.RedisError:
        logger.debug("metrics: dexscreener request not counted, redis unavailable")


def source_traffic(source: str, *, minutes: int = 5, now: float | None = None) -> Traffic:
    """`source`'s requests, errors and 429s of the last `minutes` minutes (the current one
    included); raises redis.RedisError when Redis is down."""
    current = int((now if now is not None else time.time()) // 60)
    pipe = redis_client().pipeline(transaction=False)
    for minute in range(current - minutes + 1, current + 1):
        key = TRAFFIC_KEY.format(source=source, minute=minute)
        pipe.hmget(key, ["requests", "errors", "responses_429"])
    totals = [0, 0, 0]
    for row in pipe.execute():
        for index, value in enumerate(row):
            totals[index] += int(value or 0)
    return Traffic(requests=totals[0], errors=totals[1], responses_429=totals[2])

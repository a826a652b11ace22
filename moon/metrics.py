"""Prometheus metrics at /metrics, correct across every process.

moon runs as several processes (gunicorn workers, Celery workers, beat, the listener), so a
process-local prometheus-client counter would show each scrape one worker's share. The source of
truth is Redis instead: writers add to counters there (HINCRBY, atomic, one hash), and the web
process turns them into metric families at scrape time with a custom collector, next to gauges
read live (listener state, scheduler lag, the DexScreener budget).
"""

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from moon.store import redis_store

logger = logging.getLogger(__name__)

COUNTERS_KEY = "moon:metrics:counters"
TRAFFIC_KEY = "moon:dexscreener:traffic:{minute}"
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
        redis_store().hincrby(COUNTERS_KEY, field, amount)
    except redis.RedisError:
        logger.debug("metrics: counter %s lost, redis unavailable", name)


def counters_read() -> dict[tuple[str, tuple[str, ...]], int]:
    """Every stored counter: (name, label values in declared order) -> value."""
    values: dict[tuple[str, tuple[str, ...]], int] = {}
    for raw_field, raw_value in redis_store().hgetall(COUNTERS_KEY).items():
        name, labels = json.loads(raw_field)
        if name in COUNTERS:
            key = (name, tuple(labels.get(label, "") for label in COUNTERS[name][1]))
            values[key] = int(raw_value)
    return values


# --- DexScreener traffic: the observer of the shared client, and the window alerts read ------


@dataclass(frozen=True)
class Traffic:
    requests: int
    errors: int
    responses_429: int

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


def dexscreener_request_observe(endpoint: str, status: int | None, elapsed: float) -> None:
    """DexScreenerClient's `on_request` hook: count the request, its error or 429, into the
    Prometheus counters and into a per-minute bucket the error-rate alert reads."""
    failed = status is None or status >= 400
    minute_key = TRAFFIC_KEY.format(minute=int(time.time() // 60))
    try:
        pipe = redis_store().pipeline(transaction=False)
        counter_incr(pipe, "moon_dexscreener_requests", endpoint=endpoint)
        pipe.hincrby(minute_key, "requests", 1)
        if failed:
            counter_incr(pipe, "moon_dexscreener_errors")
            pipe.hincrby(minute_key, "errors", 1)
        if status == 429:
            counter_incr(pipe, "moon_dexscreener_responses_429")
            pipe.hincrby(minute_key, "responses_429", 1)
        pipe.expire(minute_key, TRAFFIC_TTL_SECONDS)
        pipe.execute()
    except redis.RedisError:
        logger.debug("metrics: dexscreener request not counted, redis unavailable")


def dexscreener_traffic(*, minutes: int = 5, now: float | None = None) -> Traffic:
    """Requests, errors and 429s of the last `minutes` minutes (the current one included)."""
    current = int((now if now is not None else time.time()) // 60)
    pipe = redis_store().pipeline(transaction=False)
    for minute in range(current - minutes + 1, current + 1):
        pipe.hmget(TRAFFIC_KEY.format(minute=minute), ["requests", "errors", "responses_429"])
    totals = [0, 0, 0]
    for row in pipe.execute():
        for index, value in enumerate(row):
            totals[index] += int(value or 0)
    return Traffic(requests=totals[0], errors=totals[1], responses_429=totals[2])


# --- Exposition ------------------------------------------------------------------------------


class MoonCollector(Collector):
    """Reads every counter from Redis and the live gauges at scrape time."""

    def collect(self) -> Iterator[Metric]:
        yield from self._counters()
        yield from self._listener()
        yield from self._scheduler()
        yield from self._budget()

    def _counters(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("moon_metrics_store_up", "1 when the Redis metrics store answered.")
        try:
            stored = counters_read()
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, (doc, labels) in COUNTERS.items():
            family = CounterMetricFamily(name, doc, labels=list(labels))
            for (stored_name, values), value in sorted(stored.items()):
                if stored_name == name:
                    family.add_metric(list(values), value)
            if not labels and not family.samples:
                family.add_metric([], 0)  # a counter without labels exists from the start
            yield family

    def _listener(self) -> Iterator[Metric]:
        # Imported here: health and monitoring import this module for its counters.
        from moon.health import listener_status

        status = listener_status()
        connected = GaugeMetricFamily(
            "moon_listener_connected", "1 when the PumpPortal listener holds a live connection."
        )
        connected.add_metric([], 1 if status["connected"] else 0)
        yield connected
        age = status["last_frame_age_seconds"]
        if age is not None:
            yield GaugeMetricFamily(
                "moon_listener_last_frame_age_seconds",
                "Seconds since the listener received any frame.",
                value=age,
            )

    def _scheduler(self) -> Iterator[Metric]:
        from scoring.services.monitoring import scheduler_status

        try:
            groups = scheduler_status()["groups"]
        except Exception:  # a scrape must still show the counters
            logger.warning("metrics: scheduler status unavailable", exc_info=True)
            return
        families = {
            "lag_seconds": GaugeMetricFamily(
                "moon_scheduler_lag_seconds",
                "How far the most overdue token of a group is behind its interval.",
                labels=["group"],
            ),
            "stale_tokens": GaugeMetricFamily(
                "moon_scheduler_stale_tokens",
                "Tokens of a group not refreshed within 3x its interval.",
                labels=["group"],
            ),
            "tokens": GaugeMetricFamily(
                "moon_scheduler_tokens", "Refreshable tokens in a group.", labels=["group"]
            ),
        }
        for group, stats in groups.items():
            for key, family in families.items():
                family.add_metric([group], stats[key])
        yield from families.values()

    def _budget(self) -> Iterator[Metric]:
        from ingestion.services import dexscreener_budget_usage

        try:
            usage = dexscreener_budget_usage()
        except Exception:
            logger.warning("metrics: dexscreener budget unavailable", exc_info=True)
            return
        yield GaugeMetricFamily(
            "moon_dexscreener_budget_used",
            "DexScreener requests granted during the last minute, all processes together.",
            value=usage.used_last_minute,
        )
        yield GaugeMetricFamily(
            "moon_dexscreener_budget_limit", "DexScreener requests allowed per minute.", usage.limit
        )
        blocked = usage.blocked_until is not None and usage.blocked_until > time.time()
        yield GaugeMetricFamily(
            "moon_dexscreener_blocked", "1 while a 429 holds every process back.", int(blocked)
        )


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(MoonCollector())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

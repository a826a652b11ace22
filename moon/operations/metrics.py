"""Prometheus metrics at /metrics, correct across every process.

moon runs as several processes (gunicorn workers, Celery workers, beat, the listener), so a
process-local prometheus-client counter would show each scrape one worker's share. The source of
truth is Redis instead: writers add to counters there (HINCRBY, atomic, one hash), and the web
process turns them into metric families at scrape time with a custom collector, next to gauges
read live (listener state, scheduler lag, the DexScreener budget, the intake's coverage).
"""

import logging
import time
from collections.abc import Iterator

import redis
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ingestion.services.coverage import intake_status
from ingestion.services.listener import listener_status
from moon.lib.counters import COUNTERS, counters_read
from moon.operations.health import check_workers
from moon.operations.models import SEVERITY, Dependency, Status
from scoring.services.dexscreener import dexscreener_budget_usage
from scoring.services.monitoring import STALE_FACTOR, scheduler_status

logger = logging.getLogger(__name__)

# --- Exposition ------------------------------------------------------------------------------


class MoonCollector(Collector):
    """Reads every counter from Redis and the live gauges at scrape time."""

    def collect(self) -> Iterator[Metric]:
        yield from self._counters()
        yield from self._listener()
        yield from self._scheduler()
        yield from self._budget()
        yield from self._workers()
        yield from self._dependencies()
        yield from self._intake()

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
        status = listener_status()
        connected = GaugeMetricFamily(
            "moon_listener_connected", "1 when the PumpPortal listener holds a live connection."
        )
        connected.add_metric([], 1 if status.connected else 0)
        yield connected
        age = status.last_frame_age_seconds
        if age is not None:
            yield GaugeMetricFamily(
                "moon_listener_last_frame_age_seconds",
                "Seconds since the listener received any frame.",
                value=age,
            )

    def _scheduler(self) -> Iterator[Metric]:
        try:
            groups = scheduler_status().groups
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
                f"Tokens of a group not refreshed within {STALE_FACTOR}x its interval.",
                labels=["group"],
            ),
            "tokens": GaugeMetricFamily(
                "moon_scheduler_tokens", "Refreshable tokens in a group.", labels=["group"]
            ),
        }
        for group, report in groups.items():
            for key, family in families.items():
                family.add_metric([group], getattr(report.tokens, key))
        yield from families.values()

    def _budget(self) -> Iterator[Metric]:
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

    def _workers(self) -> Iterator[Metric]:
        check = check_workers()
        if not check.judged:  # Redis is down: moon_metrics_store_up says so
            return
        yield GaugeMetricFamily(
            "moon_workers_alive",
            "Celery workers that beat within the last 30 s.",
            value=check.details["alive"],
        )
        depth = GaugeMetricFamily(
            "moon_queue_depth", "Tasks waiting in a Celery queue.", labels=["queue"]
        )
        for queue, waiting in check.details.get("queues", {}).items():
            depth.add_metric([queue], waiting)
        yield depth

    def _dependencies(self) -> Iterator[Metric]:
        """Each dependency as last judged by /health or the watchdog: 0 ok, 1 degraded, 2
        failing."""
        try:
            rows = list(Dependency.objects.values_list("name", "status"))
        except DatabaseError:
            return
        family = GaugeMetricFamily(
            "moon_dependency_status",
            "A dependency as last judged: 0 ok, 1 degraded, 2 failing.",
            labels=["dependency"],
        )
        for name, status in rows:
            family.add_metric([name], SEVERITY[Status(status)])
        yield family

    def _intake(self) -> Iterator[Metric]:
        status = intake_status()
        if status.error:  # the database is down: /health says so
            return
        families = {
            "on_chain": GaugeMetricFamily(
                "moon_intake_migrations_on_chain",
                "Migrations the reconciler found on chain in the window.",
                labels=["window"],
            ),
            "heard_by_feed": GaugeMetricFamily(
                "moon_intake_migrations_heard_by_feed",
                "Of those, migrations the feed had delivered first.",
                labels=["window"],
            ),
            "missed": GaugeMetricFamily(
                "moon_intake_migrations_missed",
                "Migrations on chain in the window that the feed missed.",
                labels=["window"],
            ),
            "coverage": GaugeMetricFamily(
                "moon_intake_coverage_ratio",
                "Share of the window's migrations on chain that the feed delivered.",
                labels=["window"],
            ),
        }
        for window in status.windows:
            for key, family in families.items():
                value = getattr(window, key)
                if value is not None:
                    family.add_metric([window.window], value)
        yield from families.values()
        if status.reconciler_lag_seconds is not None:
            yield GaugeMetricFamily(
                "moon_reconciler_lag_seconds",
                "How far behind the chain the reconciler has checked.",
                value=status.reconciler_lag_seconds,
            )


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(MoonCollector())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

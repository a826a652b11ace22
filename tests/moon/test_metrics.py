"""/metrics: counters that every process writes into Redis, gauges read at scrape time."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ingestion.clients.pump_migrations import MIGRATION_ACCOUNT
from ingestion.clients.pumpportal import ListenerState
from ingestion.models import ReconcileMark
from ingestion.services.listener import listener_state_save
from moon.lib.counters import (
    counter_add,
    counters_read,
    dexscreener_request_observe,
    solana_rpc_request_observe,
    source_traffic,
)
from scoring.services import dexscreener as ingestion_services
from scoring.services.monitoring import batch_success_record
from scoring.services.refresh import RefreshReport
from tests.factories import ChainMigrationFactory, TokenFactory, fake_address

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_it_exposes_refresh_and_score_counters(client: Client) -> None:
    report = RefreshReport(tokens=3)
    report.outcomes.update({"ok": 2, "fallback": 1})
    batch_success_record(group="hot", report=report)
    batch_success_record(group="hot", report=report)

    samples = scrape(client)

    assert samples[("moon_refreshes_total", (("group", "hot"), ("outcome", "ok")))] == 4
    assert samples[("moon_refreshes_total", (("group", "hot"), ("outcome", "fallback")))] == 2
    assert samples[("moon_scores_written_total", (("group", "hot"),))] == 6
    assert samples[("moon_refresh_batches_total", (("group", "hot"), ("result", "success")))] == 2
    assert samples[("moon_metrics_store_up", ())] == 1


def test_it_counts_dexscreener_requests_errors_and_429s(client: Client) -> None:
    dexscreener_request_observe("tokens", 200, 0.1)
    dexscreener_request_observe("tokens", 429, 0.1)
    dexscreener_request_observe("token-pairs", 500, 0.1)
    dexscreener_request_observe("token-pairs", None, 3.0)  # transport error

    samples = scrape(client)

    assert samples[("moon_dexscreener_requests_total", (("endpoint", "tokens"),))] == 2
    assert samples[("moon_dexscreener_requests_total", (("endpoint", "token-pairs"),))] == 2
    assert samples[("moon_dexscreener_errors_total", ())] == 3
    assert samples[("moon_dexscreener_responses_429_total", ())] == 1
    assert source_traffic("dexscreener", minutes=5).requests == 4
    traffic = source_traffic("dexscreener", minutes=5)
    assert (traffic.errors, traffic.responses_429) == (3, 1)


def test_the_traffic_window_only_sums_its_minutes() -> None:
    now = time.time()
    dexscreener_request_observe("tokens", 500, 0.1)

    assert source_traffic("dexscreener", minutes=1, now=now).requests == 1
    assert source_traffic("dexscreener", minutes=5, now=now + 4 * 60).requests == 1
    assert source_traffic("dexscreener", minutes=5, now=now + 5 * 60).requests == 0


class _Pairs(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def dexscreener_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pairs)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_shared_client_reports_every_request(client: Client, dexscreener_url: str) -> None:
    ingestion_services.dexscreener_client.cache_clear()
    try:
        with override_settings(DEXSCREENER_URL=dexscreener_url):
            # no pools in the batch answer: the mint is asked again on its own
            ingestion_services.dexscreener_client().fetch_pairs([fake_address(1)])
    finally:
        ingestion_services.dexscreener_client.cache_clear()

    samples = scrape(client)

    assert samples[("moon_dexscreener_requests_total", (("endpoint", "tokens"),))] == 1
    assert samples[("moon_dexscreener_requests_total", (("endpoint", "token-pairs"),))] == 1
    assert samples[("moon_dexscreener_errors_total", ())] == 0
    assert samples[("moon_dexscreener_budget_used", ())] == 2
    assert samples[("moon_dexscreener_budget_limit", ())] == 300
    assert samples[("moon_dexscreener_blocked", ())] == 0


def test_it_serves_what_another_process_counted(client: Client) -> None:
    code = (
        "import django; django.setup(); from moon.lib.counters import counter_add; "
        "counter_add('moon_alerts', 2, kind='listener_silent')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "moon.settings", "REDIS_URL": settings.REDIS_URL}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    counter_add("moon_alerts", kind="listener_silent")

    samples = scrape(client)

    assert samples[("moon_alerts_total", (("kind", "listener_silent"),))] == 3


def test_it_exposes_the_listener_state(client: Client) -> None:
    now = time.time()
    listener_state_save(ListenerState(connected=True, connected_since=now, last_frame_at=now - 7))

    samples = scrape(client)

    assert samples[("moon_listener_connected", ())] == 1
    assert 7 <= samples[("moon_listener_last_frame_age_seconds", ())] < 9


def test_without_a_listener_it_is_disconnected(client: Client) -> None:
    samples = scrape(client)

    assert samples[("moon_listener_connected", ())] == 0
    assert ("moon_listener_last_frame_age_seconds", ()) not in samples


def test_it_exposes_scheduler_lag_and_stale_tokens_per_group(client: Client) -> None:
    now = timezone.now()
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=100))
    TokenFactory(smoothed_score=0.1, last_updated_at=now - timedelta(seconds=60))

    samples = scrape(client)

    assert 70 <= samples[("moon_scheduler_lag_seconds", (("group", "hot"),))] < 75
    assert samples[("moon_scheduler_lag_seconds", (("group", "cold"),))] == 0
    assert samples[("moon_scheduler_stale_tokens", (("group", "hot"),))] == 1
    assert samples[("moon_scheduler_stale_tokens", (("group", "cold"),))] == 0
    assert samples[("moon_scheduler_tokens", (("group", "hot"),))] == 1


def test_it_still_answers_when_redis_is_down(client: Client) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        samples = scrape(client)

    assert samples[("moon_metrics_store_up", ())] == 0
    assert samples[("moon_listener_connected", ())] == 0


def test_counters_are_lost_not_raised_when_redis_is_down() -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        counter_add("moon_alerts", kind="listener_silent")
        dexscreener_request_observe("tokens", 200, 0.1)

    assert counters_read() == {}


def test_a_counter_refuses_labels_it_does_not_declare() -> None:
    with pytest.raises(ValueError, match=r"moon_alerts takes labels \('kind',\), got \('group',\)"):
        counter_add("moon_alerts", group="hot")


def test_counters_are_stored_as_one_hash_field_per_label_set(redis_client: redis.Redis) -> None:
    counter_add("moon_scores_written", 5, group="cold")
    counter_add("moon_scores_written", 2, group="cold")

    assert redis_client.hgetall("moon:metrics:counters") == {
        b'["moon_scores_written", {"group": "cold"}]': b"7"
    }


def test_it_exposes_intake_coverage_per_window_and_the_reconciler_lag(client: Client) -> None:
    now = timezone.now()
    ChainMigrationFactory(block_time=now - timedelta(minutes=5), heard_by="chain")
    for minutes in (10, 20, 30, 90):
        ChainMigrationFactory(block_time=now - timedelta(minutes=minutes))
    ReconcileMark.objects.create(
        account=MIGRATION_ACCOUNT, checked_until=now - timedelta(seconds=120)
    )

    samples = scrape(client)

    intake = {
        (name, labels): value
        for (name, labels), value in samples.items()
        if name.startswith("moon_intake_")
    }
    assert intake == {
        ("moon_intake_migrations_on_chain", (("window", "1h"),)): 4,
        ("moon_intake_migrations_on_chain", (("window", "24h"),)): 5,
        ("moon_intake_migrations_heard_by_feed", (("window", "1h"),)): 3,
        ("moon_intake_migrations_heard_by_feed", (("window", "24h"),)): 4,
        ("moon_intake_migrations_missed", (("window", "1h"),)): 1,
        ("moon_intake_migrations_missed", (("window", "24h"),)): 1,
        ("moon_intake_coverage_ratio", (("window", "1h"),)): 0.75,
        ("moon_intake_coverage_ratio", (("window", "24h"),)): 0.8,
    }
    assert 120 <= samples[("moon_reconciler_lag_seconds", ())] < 125


def test_without_migrations_on_chain_there_is_no_coverage_ratio(client: Client) -> None:
    samples = scrape(client)

    assert samples[("moon_intake_migrations_on_chain", (("window", "1h"),))] == 0
    assert ("moon_intake_coverage_ratio", (("window", "1h"),)) not in samples
    assert ("moon_reconciler_lag_seconds", ()) not in samples


def test_the_process_solana_client_counts_its_requests(client: Client) -> None:
    solana_rpc_request_observe("getTransaction", 200, 0.1)
    solana_rpc_request_observe("getTransaction", 429, 0.1)
    solana_rpc_request_observe("getSignaturesForAddress", None, 3.0)

    samples = scrape(client)

    assert samples[("moon_solana_rpc_requests_total", (("method", "getTransaction"),))] == 2
    assert samples[("moon_solana_rpc_errors_total", (("method", "getTransaction"),))] == 1
    assert samples[("moon_solana_rpc_errors_total", (("method", "getSignaturesForAddress"),))] == 1
    assert samples[("moon_solana_rpc_responses_429_total", ())] == 1


def test_workers_their_queue_and_each_dependency_are_exported(
    client: Client, redis_client: redis.Redis
) -> None:
    from datetime import UTC, datetime

    from moon.lib.heartbeat import heartbeat_write
    from moon.operations.models import Dependency

    heartbeat_write("worker@metrics", pid=1, at=time.time())
    redis_client.rpush("celery", "a", "b")
    redis_client.rpush("push", "an alert")
    since = datetime(2026, 3, 1, tzinfo=UTC)
    Dependency.objects.create(name="beat", status="degraded", since=since)
    Dependency.objects.create(name="redis", status="ok", since=since)

    samples = scrape(client)

    assert samples[("moon_workers_alive", ())] == 1
    assert samples[("moon_queue_depth", (("queue", "celery"),))] == 2
    assert samples[("moon_queue_depth", (("queue", "push"),))] == 1
    assert samples[("moon_dependency_status", (("dependency", "beat"),))] == 1
    assert samples[("moon_dependency_status", (("dependency", "redis"),))] == 0

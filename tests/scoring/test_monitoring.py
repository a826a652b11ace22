"""Scheduler stats: written by the refresh tasks, judged by /health/scheduler."""

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.test import Client, override_settings
from django.utils import timezone

from ingestion.clients.dexscreener import DexScreenerClient
from ingestion.clients.ratelimit import LocalTokenBucket
from moon.lib.counters import counters_read
from scoring import tasks
from scoring.services.monitoring import (
    batch_failure_record,
    batch_success_record,
    group_run_record,
    group_stats,
    scheduler_status,
)
from scoring.services.refresh import RefreshReport
from tests.factories import TokenFactory, fake_address
from tests.pairs import FakeDexScreener, pair
from tokens.models import Token

pytestmark = pytest.mark.django_db

HOT, COLD = 30, 120  # default intervals: stale after 90 s and 360 s


def fake_client(tokens: Sequence[Token]) -> DexScreenerClient:
    fake = FakeDexScreener(
        {t.mint_address: [pair(t.mint_address, fake_address(t.pk + 5000))] for t in tokens}
    )
    return DexScreenerClient(
        "http://dexscreener.test",
        limiter=LocalTokenBucket(6000),
        http=httpx.Client(transport=fake.transport()),
        sleep=lambda _seconds: None,
    )


class BrokenFetcher:
    def fetch_pairs(self, mints: Sequence[str]) -> Any:
        raise RuntimeError("database went away")


def hot_token(*, refreshed_ago: float, now: datetime) -> Token:
    return TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=refreshed_ago))


def cold_token(*, refreshed_ago: float | None, now: datetime, created_ago: float = 0) -> Token:
    return TokenFactory(
        smoothed_score=0.1,
        last_updated_at=None if refreshed_ago is None else now - timedelta(seconds=refreshed_ago),
        created_at=now - timedelta(seconds=created_ago),
    )


def test_it_records_a_successful_batch_and_its_counters(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = TokenFactory.create_batch(2)
    monkeypatch.setattr(tasks, "dexscreener_client", lambda: fake_client(tokens))

    tasks.refresh_batch([t.pk for t in tokens], group="cold")

    stats = group_stats("cold").to_json()
    assert (stats["tokens_refreshed"], stats["batches"], stats["failures"]) == (2, 1, 0)
    assert (stats["last_batch_tokens"], stats["success_rate"], stats["last_batch_failed"]) == (
        2,
        1.0,
        False,
    )
    assert stats["last_success_at"] is not None
    assert stats["last_duration_seconds"] > 0
    assert counters_read() == {
        ("moon_refreshes", ("cold", "ok")): 2,
        ("moon_scores_written", ("cold",)): 2,
        ("moon_refresh_batches", ("cold", "success")): 1,
    }


def test_it_records_a_failed_batch_and_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    token = TokenFactory()
    monkeypatch.setattr(tasks, "dexscreener_client", BrokenFetcher)

    with pytest.raises(RuntimeError, match="database went away"):
        tasks.refresh_batch([token.pk], group="hot")

    stats = group_stats("hot").to_json()
    assert (stats["batches"], stats["failures"], stats["tokens_refreshed"]) == (1, 1, 0)
    assert (stats["success_rate"], stats["last_batch_failed"]) == (0.0, True)
    assert stats["last_error"] == "RuntimeError: database went away"
    assert stats["last_success_at"] is None
    assert counters_read() == {("moon_refresh_batches", ("hot", "failure")): 1}


def test_a_batch_dexscreener_answered_for_none_of_its_tokens_counts_as_failed() -> None:
    report = RefreshReport(tokens=2, outcomes=Counter({"fallback": 2}), seconds=1.5)

    batch_success_record(group="hot", report=report)

    stats = group_stats("hot").to_json()
    assert (stats["batches"], stats["failures"], stats["tokens_refreshed"]) == (1, 1, 0)
    assert (stats["success_rate"], stats["last_batch_failed"]) == (0.0, True)
    assert stats["last_error"] == "DexScreener answered none of the batch's 2 tokens"
    assert stats["last_success_at"] is None
    assert counters_read() == {
        ("moon_refreshes", ("hot", "fallback")): 2,
        ("moon_scores_written", ("hot",)): 2,
        ("moon_refresh_batches", ("hot", "failure")): 1,
    }


def test_the_group_task_records_its_run_and_the_tokens_it_leased() -> None:
    now = timezone.now()
    for _ in range(3):
        cold_token(refreshed_ago=None, now=now)

    leased = tasks.refresh_group("cold")

    stats = group_stats("cold").to_json()
    assert (leased, stats["last_run_leased"]) == (3, 3)
    assert stats["last_run_at"] is not None
    assert stats["batches"] == 0  # the batches run on a worker


def test_manual_and_new_batches_count_in_metrics_but_not_in_the_groups() -> None:
    report = RefreshReport(tokens=1)
    report.outcomes["fallback"] = 1

    batch_success_record(group="new", report=report)

    assert group_stats("cold").to_json()["batches"] == 0
    assert counters_read() == {
        ("moon_refreshes", ("new", "fallback")): 1,
        ("moon_scores_written", ("new",)): 1,
        ("moon_refresh_batches", ("new", "failure")): 1,  # DexScreener answered none
    }


def test_the_success_rate_is_over_the_latest_hundred_batches() -> None:
    ok = RefreshReport(tokens=1)
    for _ in range(3):
        batch_failure_record(group="hot", error=TimeoutError("slow"), seconds=1.0)
    for _ in range(99):
        batch_success_record(group="hot", report=ok)

    stats = group_stats("hot").to_json()

    assert (stats["batches"], stats["failures"], stats["success_rate"]) == (102, 3, 0.99)


def test_stats_are_dropped_not_raised_when_redis_is_down() -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        group_run_record(group="hot", leased=1)
        batch_success_record(group="hot", report=RefreshReport(tokens=1))

    assert group_stats("hot").to_json()["last_run_at"] is None


def test_stale_tokens_are_those_not_refreshed_within_three_intervals() -> None:
    now = timezone.now()
    hot_token(refreshed_ago=89, now=now)
    hot_token(refreshed_ago=91, now=now)
    cold_token(refreshed_ago=359, now=now)
    cold_token(refreshed_ago=None, now=now, created_ago=361)  # never refreshed, old enough
    cold_token(refreshed_ago=None, now=now, created_ago=10)  # just arrived
    TokenFactory(status=Token.Status.ARCHIVED, last_updated_at=now - timedelta(days=1))

    status = scheduler_status(now=now).to_json()

    hot, cold = status["groups"]["hot"], status["groups"]["cold"]
    assert (hot["tokens"], hot["stale_tokens"], hot["lag_seconds"]) == (2, 1, 61.0)
    assert (cold["tokens"], cold["stale_tokens"], cold["lag_seconds"]) == (3, 1, 241.0)


def test_a_group_with_fresh_tokens_and_a_recent_success_is_ok() -> None:
    now = timezone.now()
    hot_token(refreshed_ago=10, now=now)
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=now)

    status = scheduler_status(now=now).to_json()

    assert status["groups"]["hot"]["status"] == "ok"
    assert status["groups"]["hot"]["reason"] == ""
    assert status["groups"]["hot"]["last_success_at"] == datetime.fromtimestamp(
        now.timestamp(), UTC
    )
    assert (status["groups"]["cold"]["status"], status["status"]) == ("ok", "ok")


def test_a_few_stale_tokens_degrade_a_group_that_still_succeeds() -> None:
    now = timezone.now()
    hot_token(refreshed_ago=100, now=now)
    for _ in range(2):
        hot_token(refreshed_ago=10, now=now)
    batch_success_record(group="hot", report=RefreshReport(tokens=2), now=now)

    status = scheduler_status(now=now).to_json()

    assert (status["groups"]["hot"]["status"], status["groups"]["hot"]["reason"]) == (
        "degraded",
        "1 of 3 tokens are stale",
    )
    assert status["status"] == "degraded"


def test_a_failed_latest_batch_degrades_the_group() -> None:
    now = timezone.now()
    hot_token(refreshed_ago=10, now=now)
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=now)
    batch_failure_record(group="hot", error=TimeoutError("slow"), seconds=2.0, now=now)

    group = scheduler_status(now=now).to_json()["groups"]["hot"]

    assert (group["status"], group["reason"]) == ("degraded", "the latest batch failed")


def test_most_tokens_stale_is_failing() -> None:
    now = timezone.now()
    hot_token(refreshed_ago=10, now=now)
    for _ in range(2):
        hot_token(refreshed_ago=100, now=now)
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=now)

    group = scheduler_status(now=now).to_json()["groups"]["hot"]

    assert (group["status"], group["reason"]) == ("failing", "2 of 3 tokens are stale")


def test_stale_tokens_and_no_recent_success_is_failing() -> None:
    now = timezone.now()
    hot_token(refreshed_ago=100, now=now)
    for _ in range(3):
        hot_token(refreshed_ago=10, now=now)
    long_ago = now - timedelta(seconds=91)
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=long_ago)

    group = scheduler_status(now=now).to_json()["groups"]["hot"]

    assert (group["status"], group["reason"]) == (
        "failing",
        "1 stale tokens and no successful batch within 90s",
    )


def test_an_empty_group_is_ok_without_any_run() -> None:
    status = scheduler_status().to_json()

    assert status["status"] == "ok"
    assert status["groups"]["hot"] == {
        "status": "ok",
        "reason": "",
        "interval_seconds": HOT,
        "tokens": 0,
        "stale_tokens": 0,
        "lag_seconds": 0.0,
        "last_run_at": None,
        "last_run_leased": None,
        "last_success_at": None,
        "last_failure_at": None,
        "last_duration_seconds": None,
        "last_batch_tokens": None,
        "last_batch_failed": False,
        "last_error": "",
        "tokens_refreshed": 0,
        "batches": 0,
        "failures": 0,
        "success_rate": None,
    }


def test_it_is_failing_when_redis_does_not_answer() -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        status = scheduler_status().to_json()

    assert status["status"] == "failing"
    assert status["groups"]["cold"]["reason"].startswith("redis unavailable: ")
    assert status["groups"]["cold"]["batches"] is None  # unknown, not zero
    assert set(status["groups"]["cold"]) == set(scheduler_status().to_json()["groups"]["cold"])


def test_the_endpoint_answers_200_when_ok(client: Client) -> None:
    now = timezone.now()
    cold_token(refreshed_ago=30, now=now)

    response = client.get("/health/scheduler")

    body = response.json()
    assert (response.status_code, body["status"]) == (200, "ok")
    assert (body["groups"]["cold"]["tokens"], body["groups"]["cold"]["stale_tokens"]) == (1, 0)


def test_the_endpoint_answers_503_when_failing(client: Client) -> None:
    now = timezone.now()
    cold_token(refreshed_ago=400, now=now)

    response = client.get("/health/scheduler")

    body = response.json()
    assert (response.status_code, body["status"]) == (503, "failing")
    assert body["groups"]["cold"]["reason"] == "1 of 1 tokens are stale"
    assert body["groups"]["hot"]["status"] == "ok"

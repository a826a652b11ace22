"""The whole system as real processes: listener, beat and a worker against the sandbox market,
on PostgreSQL and Redis. Tokens arrive, are scored, hot ones are refreshed on the hot interval
and cold ones on the cold one, archived ones are left alone, and /health/scheduler tells the
truth, including when the worker is gone."""

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from statistics import median

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from ingestion.sandbox import SandboxConfig, running_sandbox
from scoring.models import ScoringSettings, TokenScore
from scoring.services.periodic import periodic_tasks_sync
from scoring.services.settings import scoring_settings_save
from tokens.models import Token

ROOT = Path(__file__).resolve().parents[2]
HOT, COLD = 5, 15
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


@contextmanager
def process(*args: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)


def wait_for(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.25)


def gaps(token: Token, since) -> list[float]:  # type: ignore[no-untyped-def]
    times = list(
        TokenScore.objects.filter(token=token, created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def scheduler(client: Client) -> tuple[int, dict]:
    response = client.get("/health/scheduler")
    return response.status_code, response.json()


def test_the_running_system_refreshes_hot_and_cold_tokens_on_their_intervals() -> None:
    ScoringSettings.objects.get_or_create(version=1)
    # Spec v1's freshness (age alone) decides the score, unsmoothed: new tokens are hot, tokens
    # aged 10 hours are cold from their next refresh on.
    scoring_settings_save(
        changes={
            "scoring_model_active": "hybrid_momentum",
            "hot_interval_sec": HOT,
            "cold_interval_sec": COLD,
            "w_tx": 0,
            "w_vol": 0,
            "w_oi": 0,
            "w_fresh": 1,
            "ewma_alpha": 1,
        }
    )
    periodic_tasks_sync()
    db = connection.settings_dict
    config = SandboxConfig(port=0, seed=11, speed=10, migrations_per_hour=0, creates_per_minute=6)
    with running_sandbox(config) as market:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "DEXSCREENER_URL": market.http_url,
            "PUMPPORTAL_WS_URL": market.ws_url,
            "SOLANA_RPC_URL": market.rpc_url,
        }
        with (
            process("manage.py", "listen_pumpfun", env=env),
            process(
                "-m",
                "celery",
                "-A",
                "moon",
                "beat",
                "--loglevel",
                "WARNING",
                "--scheduler",
                "django_celery_beat.schedulers:DatabaseScheduler",
                env=env,
            ),
            process(
                "-m",
                "celery",
                "-A",
                "moon",
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
                env=env,
            ) as worker,
        ):
            wait_for(lambda: market.stats()["ws"]["open"] == 1)
            # Subscribed, not just connected: a creation frame reaches the listener only then.
            created = market.stats()["frames"]["create"]
            wait_for(lambda: market.stats()["frames"]["create"] > created)
            mints = [market.migrate_now()["mint"] for _ in range(5)]
            wait_for(lambda: Token.objects.filter(scored_at__isnull=False).count() == 5)
            tokens = {t.mint_address: t for t in Token.objects.all()}
            hot = [tokens[m] for m in mints[:2]]
            cold = [tokens[m] for m in mints[2:4]]
            archived = tokens[mints[4]]
            Token.objects.filter(pk__in=[t.pk for t in cold]).update(
                migrated_at=timezone.now() - timedelta(hours=10), smoothed_score=0.0
            )
            Token.objects.filter(pk=archived.pk).update(status=Token.Status.ARCHIVED)
            since = timezone.now() + timedelta(seconds=COLD)  # after the cold ones settled

            time.sleep(COLD + 3 * COLD)
            healthy = scheduler(Client())

            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
            stopped_at = time.monotonic()
            wait_for(lambda: scheduler(Client())[0] == 503, timeout=3 * COLD + 30)
            failing = scheduler(Client())
            seconds_to_failing = time.monotonic() - stopped_at

    hot_gaps = [g for t in hot for g in gaps(t, since)]
    cold_gaps = [g for t in cold for g in gaps(t, since)]
    assert HOT - 1 <= median(hot_gaps) <= HOT + 3, hot_gaps
    assert COLD - 3 <= median(cold_gaps) <= COLD + 5, cold_gaps
    assert TokenScore.objects.filter(token=archived, created_at__gte=since).count() == 0
    assert Token.objects.get(pk=hot[0].pk).status != Token.Status.ARCHIVED

    status, body = healthy
    assert (status, body["status"]) == (200, "ok"), body
    assert body["groups"]["hot"]["tokens"] == 2
    assert body["groups"]["cold"]["tokens"] == 2
    assert body["groups"]["hot"]["stale_tokens"] == 0
    assert body["groups"]["hot"]["success_rate"] == 1.0
    assert body["groups"]["hot"]["tokens_refreshed"] >= len(hot_gaps)

    status, body = failing
    assert (status, body["status"]) == (503, "failing")
    assert body["groups"]["hot"]["stale_tokens"] == 2
    assert seconds_to_failing <= 3 * HOT + 10

"""Two reconcilers at once: one token per mint, one first refresh each, whoever wins."""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import redis
from django.db import connection

from ingestion.clients.pump_migrations import Graduation
from ingestion.models import ChainMigration
from ingestion.services import reconcile as reconcile_module
from ingestion.services.graduations import migration_record
from ingestion.services.reconcile import ReconcileReport, migrations_reconcile
from tests.ingestion.chain import Chain, coin, graduation, make_signature, serving
from tests.queue import queued_tasks
from tokens.models import Token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

NOW = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def missed_chain() -> Chain:
    chain = Chain(read_delay=0.05)
    chain.add(*(graduation(f"gap-{i}", 200 + i, T - 100 + i) for i in range(6)))
    return chain


Run = Callable[[], ReconcileReport]


def in_thread(work: Run) -> ReconcileReport:
    try:
        return work()
    finally:
        connection.close()


def both(first: Run, second: Run) -> list[ReconcileReport]:
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(in_thread, first)
        time.sleep(0.1)  # the first one is reading by now
        later = pool.submit(in_thread, second)
        return [running.result(), later.result()]


def test_a_second_run_while_one_is_going_steps_aside(redis_client: redis.Redis) -> None:
    chain = missed_chain()
    with serving(chain) as (node, client):
        reports = both(
            lambda: migrations_reconcile(client=client, now=NOW),
            lambda: migrations_reconcile(client=client, now=NOW),
        )

    assert [(r.result, r.registered) for r in reports] == [("ok", 6), ("busy", 0)]
    assert node.methods.count("getSignaturesForAddress") == 1
    assert Token.objects.count() == 6
    assert len(queued_tasks(redis_client)) == 6


@contextlib.contextmanager
def without_lock(*args: object) -> Iterator[bool]:
    yield True


def test_two_runs_that_both_go_make_one_token_per_mint(
    monkeypatch: pytest.MonkeyPatch, redis_client: redis.Redis
) -> None:
    """As when Redis cannot hold the lock: the unique constraints alone decide."""
    monkeypatch.setattr(reconcile_module, "run_alone", without_lock)
    chain = missed_chain()
    with serving(chain) as (_, client):
        reports = both(
            lambda: migrations_reconcile(client=client, now=NOW),
            lambda: migrations_reconcile(client=client, now=NOW),
        )

    assert sorted(r.result for r in reports) == ["ok", "ok"]
    assert sum(r.registered for r in reports) == 6
    assert sorted(Token.objects.values_list("mint_address", flat=True)) == sorted(
        coin(f"gap-{i}") for i in range(6)
    )
    assert ChainMigration.objects.count() == 6
    assert set(ChainMigration.objects.values_list("heard_by", flat=True)) == {"chain"}
    tasks = queued_tasks(redis_client)
    assert sorted(args[0][0] for _, args, _ in tasks) == sorted(
        Token.objects.values_list("pk", flat=True)
    )


def test_the_same_graduation_recorded_at_once_by_many_is_one_token() -> None:
    mint = coin("contested")
    found = Graduation(make_signature("contested"), mint, "migrate_v2", None, 300, T)
    barrier = threading.Barrier(4)

    def record() -> bool:
        barrier.wait()
        try:
            return migration_record(graduation=found, block_time=NOW)
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: record(), range(4)))

    assert sorted(outcomes) == [False, False, False, True]
    assert list(Token.objects.values_list("mint_address", "source")) == [(mint, "chain")]
    assert list(ChainMigration.objects.values_list("mint_address", "heard_by")) == [(mint, "chain")]

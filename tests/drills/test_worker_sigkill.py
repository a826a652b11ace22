"""Drill: a worker killed with SIGKILL in the middle of a refresh batch, inside its transaction:
the snapshots are written, the tokens' update waits on a row lock the drill holds.

Nothing of the killed attempt survives (one transaction: PostgreSQL rolls it back), and the batch
runs again, acks_late with reject_on_worker_lost: at once when only the pool process died (the
worker replaces it); a visibility timeout later (CELERY_VISIBILITY_TIMEOUT, lowered here to 10 s)
when the whole worker died, run by the restarted worker or by another one already running.
Either way its tokens get one snapshot each from the rerun, well before their lease (150 s)
would let anything else refresh them. While no worker runs, /health/scheduler reports the stale
tokens."""

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.drills.stack import DRILL, Stack, running_stack, wait_for

pytestmark = [*DRILL, pytest.mark.timeout(240)]
VISIBILITY_TIMEOUT = 10
TOKENS = 5
# A refresh locks its tokens' rows (SELECT ... FOR UPDATE) before it writes anything: blocked
# there, it has written nothing yet. pg_stat_activity cuts long queries short, so the match is
# on the start of that SELECT.
BLOCKED_UPDATE = (
    "SELECT pid FROM pg_stat_activity "
    "WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT \"tokens_token\".%%'"
)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(env={"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}) as stack:
        stack.start_system(concurrency=1)
        mints = stack.migrate(TOKENS)
        wait_for(lambda: stack.scored(mints) == TOKENS, 60, "the tokens scored")
        yield stack


def batch_blocked_mid_transaction(
    stack: Stack,
) -> tuple[psycopg.Connection[Any], list[int], Any, Any]:
    """Lease every token as refresh_group does, lock their rows, queue their batch, and come
    back once it waits on the lock, before it wrote anything. Answers
    the lock's connection, the token ids, and instants before the batch and after its start."""
    ids = sorted(
        row["id"]
        for row in stack.postgres.rows(
            "UPDATE tokens_token SET refresh_lease_until = now() + interval '150 seconds' "
            "RETURNING id"
        )
    )
    queued_at = stack.now()
    locker = psycopg.connect(stack.postgres.url)
    locker.execute("SELECT id FROM tokens_token FOR NO KEY UPDATE").fetchall()
    stack.django(
        f"from scoring.tasks import refresh_batch; refresh_batch.delay({ids}, group='hot')"
    )
    wait_for(lambda: stack.postgres.rows(BLOCKED_UPDATE), 30, "the batch blocked on the lock")
    return locker, ids, queued_at, stack.now()


def gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ")[1].startswith("Z")


def assert_rerun_once(stack: Stack, ids: list[int], queued_at: Any, blocked_at: Any) -> None:
    """The rerun wrote one snapshot per token, all at its own instant; the killed attempt, whose
    instant came before it blocked, none."""
    rerun_at = wait_for(
        lambda: stack.postgres.value(
            "SELECT min(created_at) FROM token_scores WHERE created_at > %s", [blocked_at]
        ),
        VISIBILITY_TIMEOUT + 60,
        "the batch run again",
        explain=lambda: stack.processes["worker"].lines("refresh_batch", "WorkerLost", "exited"),
    )
    rows = stack.postgres.rows(
        "SELECT token_id, created_at FROM token_scores "
        "WHERE created_at >= %s AND created_at <= %s ORDER BY token_id",
        [queued_at, rerun_at],
    )
    assert rows == [{"token_id": pk, "created_at": rerun_at} for pk in ids]
    stack.snapshots_consistent()


def test_a_pool_process_killed_mid_batch_is_replaced_and_its_batch_rerun(stack: Stack) -> None:
    worker = stack.processes["worker"]
    locker, ids, queued_at, blocked_at = batch_blocked_mid_transaction(stack)
    pool = worker.children()

    for pid in pool:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: all(gone(pid) for pid in pool), 10, "the pool process dead")
    locker.close()  # the killed attempt's transaction is rolled back, never committed

    assert_rerun_once(stack, ids, queued_at, blocked_at)
    wait_for(lambda: worker.children() and worker.children() != pool, 30, "a new pool process")
    stack.assert_alive("web", "worker", "beat", "listener")
    wait_for(lambda: stack.scheduler() == (200, "ok"), 60, "/health/scheduler ok")


def test_a_worker_killed_mid_batch_gets_its_batch_back_once_restarted(stack: Stack) -> None:
    locker, ids, queued_at, blocked_at = batch_blocked_mid_transaction(stack)

    stack.processes["worker"].kill()
    locker.close()
    wait_for(lambda: stack.scheduler()[1] != "ok", 60, "/health/scheduler reporting it")
    stack.start_worker(concurrency=1)  # what the process supervisor does

    assert_rerun_once(stack, ids, queued_at, blocked_at)
    wait_for(lambda: stack.scheduler() == (200, "ok"), 60, "/health/scheduler ok again")
    stack.assert_alive("web", "worker", "beat", "listener")


def test_a_worker_killed_mid_batch_leaves_its_batch_to_another_one(stack: Stack) -> None:
    locker, ids, queued_at, blocked_at = batch_blocked_mid_transaction(stack)
    other = stack.start_worker(concurrency=1, name="worker2")
    wait_for(lambda: "worker2@" in other.tail() and " ready." in other.tail(), 60, "worker2 up")

    stack.processes["worker"].kill()
    locker.close()

    # The live worker's periodic sweep finds the abandoned batch once its visibility timeout
    # passes (its sweep at start came too early).
    assert_rerun_once(stack, ids, queued_at, blocked_at)
    stack.start_worker(concurrency=1)
    stack.assert_alive("web", "worker", "worker2", "beat", "listener")
    wait_for(lambda: stack.scheduler() == (200, "ok"), 60, "/health/scheduler ok")
    other.stop()  # one worker again, as the other drills of this module expect

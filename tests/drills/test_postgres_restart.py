"""Drill: PostgreSQL restarted mid-run, while a refresh batch is in flight and migrations keep
coming.

No process exits over it. The listener holds the migrations it hears while the database is down
and stores them, in order, once it is back; the batch that met the outage is retried and
refreshes its tokens then, not when their lease runs out (150 s later). /health and
/health/scheduler answer 503 while the database is down and ok once it is back."""

from collections.abc import Iterator

import pytest

from tests.drills.stack import DRILL, Stack, running_stack, wait_for

pytestmark = [*DRILL, pytest.mark.timeout(300)]
LATENCY_MS = 3000  # each DexScreener answer takes this long: a batch spends it in flight


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        stack.start_system()
        yield stack


def test_everything_recovers_from_a_postgres_restart(stack: Stack) -> None:
    before = stack.migrate(3)
    wait_for(lambda: stack.scored(before) == 3, 60, "the first tokens scored")
    stack.market.set_faults(latency_ms=LATENCY_MS)
    in_flight = wait_for(
        lambda: stack.postgres.rows(
            "SELECT id FROM tokens_token WHERE refresh_lease_until > now() ORDER BY id"
        ),
        30,
        "a batch leased its tokens",
    )

    stack.postgres.stop()
    down, scheduler_down = stack.get("/health"), stack.get("/health/scheduler")
    during = stack.migrate(3)
    wait_for(lambda: stack.listener_state()["migrations_seen"] == 6, 30, "the listener heard them")
    listener, worker = stack.processes["listener"], stack.processes["worker"]
    wait_for(lambda: "held for retry" in listener.tail(), 30, "the listener holding them")
    wait_for(lambda: "OperationalError" in worker.tail(200), 30, "the batch meeting the outage")
    stack.assert_alive("web", "worker", "beat", "listener")
    stack.market.set_faults(latency_ms=0)
    stack.postgres.restart()
    restarted_at = stack.now()

    status, body = down
    assert (status, body["status"], body["database"]["ok"]) == (503, "failing", False)
    assert (scheduler_down[0], scheduler_down[1]["status"]) == (503, "failing")
    wait_for(lambda: set(during) <= stack.token_mints(), 30, "the held migrations stored")
    stored = stack.postgres.rows(
        "SELECT mint_address FROM tokens_token WHERE mint_address = ANY(%s) ORDER BY id",
        [during],
    )
    assert [row["mint_address"] for row in stored] == during  # in the order heard
    ids = [row["id"] for row in in_flight]
    wait_for(
        lambda: (
            stack.postgres.value(
                "SELECT count(*) FROM tokens_token WHERE id = ANY(%s) AND scored_at > %s",
                [ids, restarted_at],
            )
            == len(ids)
        ),
        45,  # far less than the lease: only that batch may refresh them before it runs out
        "the batch that met the outage refreshed its tokens",
    )
    wait_for(lambda: stack.health() == (200, "ok"), 60, "/health ok again")
    wait_for(lambda: stack.scheduler() == (200, "ok"), 60, "/health/scheduler ok again")
    wait_for(lambda: stack.scored(during) == 3, 60, "the tokens heard during the outage scored")
    after = stack.migrate(1)
    wait_for(lambda: stack.scored(after) == 1, 60, "a token heard after the restart scored")
    stack.assert_alive("web", "worker", "beat", "listener")
    assert stack.token_mints() == {*before, *during, *after}
    stack.snapshots_consistent()

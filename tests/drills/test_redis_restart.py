"""Drill: Redis restarted mid-run, while a refresh batch is in flight, and empty, as a Redis
without persistence comes back: the queue, the unacknowledged tasks, the listener's lock and state
and the scheduler stats are gone.

No process exits over it: the worker (holding an unacknowledged task as the broker goes) and beat
reconnect, the listener keeps hearing the feed
(PostgreSQL is up, so migrations are stored) and a listener restarted during the outage waits
for Redis instead of dying. /health answers 503 while Redis is down and ok once it is back, and
every token is refreshed again: the cold group takes the new token whose first refresh could not
be queued, and tokens leased to a batch whose message was lost wait out the lease (150 s)."""

from collections.abc import Iterator

import pytest

from scoring.services.schedule import LEASE_SECONDS
from tests.drills.stack import DRILL, Stack, running_stack, wait_for

pytestmark = [*DRILL, pytest.mark.timeout(LEASE_SECONDS + 240)]
LATENCY_MS = 3000  # each DexScreener answer takes this long: a batch spends it in flight


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        stack.start_system()
        yield stack


def test_everything_recovers_from_a_redis_restart(stack: Stack) -> None:
    before = stack.migrate(3)
    wait_for(lambda: stack.scored(before) == 3, 60, "the first tokens scored")
    stack.market.set_faults(latency_ms=LATENCY_MS)
    wait_for(
        lambda: stack.postgres.value(
            "SELECT count(*) FROM tokens_token WHERE refresh_lease_until > now()"
        ),
        30,
        "a batch leased its tokens",
    )

    stack.redis.stop()
    down = stack.get("/health")
    during = stack.migrate(1)
    wait_for(lambda: set(during) <= stack.token_mints(), 30, "the migration heard stored")
    stack.processes["listener"].stop()
    listener = stack.start_listener()  # as a supervisor would, while Redis is still down
    wait_for(
        lambda: "Redis does not answer" in listener.tail() or not listener.alive(),
        30,
        "the new listener waiting for Redis",
    )
    scheduler_down = stack.get("/health/scheduler")
    stack.assert_alive("web", "worker", "beat", "listener")
    stack.market.set_faults(latency_ms=0)
    stack.redis.restart()
    restarted_at = stack.now()

    status, body = down
    assert (status, body["status"], body["redis"]["ok"], body["broker"]["ok"]) == (
        503,
        "failing",
        False,
        False,
    )
    assert (scheduler_down[0], scheduler_down[1]["status"]) == (503, "failing")
    stack.wait_listening()
    wait_for(lambda: stack.health() == (200, "ok"), 60, "/health ok again")
    after = stack.migrate(2)  # first refreshes queued through the new Redis, run by the worker
    wait_for(lambda: stack.scored(after) == 2, 60, "tokens heard after the restart scored")
    wait_for(lambda: stack.scored(during) == 1, 60, "the token heard during the outage scored")
    # Tokens leased to a batch whose message Redis lost wait for the lease to run out.
    wait_for(
        lambda: (
            stack.postgres.value(
                "SELECT count(*) FROM tokens_token WHERE scored_at IS NULL OR scored_at < %s",
                [restarted_at],
            )
            == 0
        ),
        LEASE_SECONDS + 60,
        "every token refreshed after the restart",
    )
    wait_for(lambda: stack.scheduler() == (200, "ok"), 60, "/health/scheduler ok again")
    stack.assert_alive("web", "worker", "beat", "listener")
    assert stack.token_mints() == {*before, *during, *after}
    stack.snapshots_consistent()

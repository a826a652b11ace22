"""Drill: the PumpPortal socket dropped (and the service refusing new ones for a while), silent,
and dropped again and again while migrations keep coming.

The listener never exits: it reconnects with backoff, and on silence (PUMPPORTAL_SILENCE_SECONDS,
2 s here) drops the socket itself. /health turns degraded with the listener `stale` once no frame
came for twice that, and ok again once frames flow. Every migration becomes a token: those the
listener received from the feed, the ones sent while it was away from the chain (each reconnect
queues a reconciliation)."""

import time
from collections.abc import Iterator

import pytest

from ingestion.sandbox import SandboxConfig
from tests.drills.stack import DRILL, Stack, running_stack, wait_for

pytestmark = [*DRILL, pytest.mark.timeout(240)]
SILENCE_SECONDS = 2
# Token creations keep a healthy socket busy well within the silence limit.
MARKET = SandboxConfig(port=0, seed=9, speed=1, migrations_per_hour=0, creates_per_minute=240)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(MARKET, env={"PUMPPORTAL_SILENCE_SECONDS": str(SILENCE_SECONDS)}) as stack:
        stack.start_system()
        yield stack
        stack.market.set_faults(reset=True)


def listener_health(stack: Stack) -> tuple[int, str, str]:
    status, body = stack.get("/health")
    return status, body["status"], body["listener"]["state"]


def assert_hears_again(stack: Stack) -> None:
    wait_for(lambda: listener_health(stack) == (200, "ok", "connected"), 60, "/health ok")
    stack.wait_listening()
    mints = stack.migrate(2)
    wait_for(lambda: stack.scored(mints) == 2, 60, "new migrations stored and scored")
    stack.assert_alive("web", "worker", "beat", "listener")


def test_every_migration_through_repeated_drops_becomes_a_token(stack: Stack) -> None:
    """Those heard from the feed, and those sent while the socket was down from the chain: each
    reconnect queues a reconciliation."""
    seen_before, tokens_before = stack.listener_state()["migrations_seen"], stack.token_mints()
    dropped = stack.market.stats()["ws"]["dropped"]
    stack.market.set_faults(ws_drop_every_s=2)
    sent: list[str] = []
    deadline = time.monotonic() + 60
    while stack.market.stats()["ws"]["dropped"] - dropped < 3:  # three drops, then quiet
        assert time.monotonic() < deadline, "the sandbox did not drop the listener 3 times"
        sent += stack.migrate(1)  # one every half second: between drops and during them
        time.sleep(0.5)
    stack.market.set_faults(ws_drop_every_s=0)
    stack.wait_listening()

    wait_for(lambda: stack.token_mints() - tokens_before == set(sent), 60, "every migration stored")
    sources = stack.postgres.rows(
        "SELECT source, count(*) AS n FROM tokens_token WHERE mint_address = ANY(%s) "
        "GROUP BY source",
        [sent],
    )
    from_feed = sum(row["n"] for row in sources if row["source"] == "feed")

    def heard() -> int:  # the listener publishes its counters once a second
        return int(stack.listener_state()["migrations_seen"]) - seen_before

    wait_for(lambda: heard() >= from_feed, 10, "the listener's counters published")
    assert from_feed <= heard() <= len(sent), (from_feed, heard(), len(sent))
    assert heard() >= 3, heard()
    assert_hears_again(stack)
    stack.snapshots_consistent()


def test_a_dropped_socket_that_cannot_reconnect_is_reported_then_recovers(stack: Stack) -> None:
    stack.market.set_faults(ws_refuse=True)
    stack.market.drop_ws_now()

    wait_for(
        lambda: listener_health(stack) == (200, "degraded", "stale"),
        30,
        "/health reporting the listener stale",
    )
    # It keeps trying, with backoff (60 s at most between two attempts).
    wait_for(lambda: stack.market.stats()["ws"]["refused"] >= 1, 70, "a refused reconnect")
    stack.assert_alive("listener")
    stack.market.set_faults(ws_refuse=False)

    assert_hears_again(stack)


def test_a_silent_socket_is_dropped_reported_then_recovers(stack: Stack) -> None:
    opened = stack.market.stats()["ws"]["opened"]
    stack.market.set_faults(ws_silent=True)

    wait_for(
        lambda: listener_health(stack) == (200, "degraded", "stale"),
        30,
        "/health reporting the listener stale",
    )
    wait_for(lambda: stack.market.stats()["ws"]["opened"] > opened, 30, "a reconnect on silence")
    stack.assert_alive("listener")
    stack.market.set_faults(ws_silent=False)

    assert_hears_again(stack)

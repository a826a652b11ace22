"""Drills: the watchdog tells what broke. A worker frozen (SIGSTOP, in `make test`) and killed,
beat killed, Redis down, DexScreener answering 503 (degraded or failing, as its last two minutes
hold answers from before): each time /health names the dependency
within 60 s, an alert for it (and only for it) reaches a loopback webhook within 90 s, and once
it is back, a "resolved" follows. The feed unreachable from the start is
tests/drills/test_feed_unreachable.py."""

import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.drills.stack import DRILL, SLOW, Stack, running_stack, wait_for
from tests.webhook import Webhook

pytestmark = [*DRILL, pytest.mark.timeout(420)]
HEALTH_WITHIN = 60
ALERT_WITHIN = 90


@pytest.fixture(scope="module")
def stack(webhook: Webhook) -> Iterator[Stack]:
    with running_stack(env={"ALERT_WEBHOOK_URL": webhook.url}) as stack:
        stack.start_system(concurrency=1)
        mints = stack.migrate(2)
        wait_for(lambda: stack.scored(mints) == 2, 60, "the first tokens scored")
        wait_for(lambda: stack.health() == (200, "ok"), 60, "/health ok")
        yield stack


def status_of(stack: Stack, dependency: str) -> str:
    return str(stack.get("/health")[1][dependency]["status"])


@dataclass(frozen=True)
class Fault:
    dependency: str
    statuses: set[str]  # what /health and the first alert may say
    break_it: Callable[[Stack], object]
    mend_it: Callable[[Stack], object]


def drill(stack: Stack, webhook: Webhook, fault: Fault) -> None:
    """Break something, see /health and the webhook say it (in one of its statuses), mend it,
    see it resolved."""
    dependency, expected = fault.dependency, fault.statuses
    wait_for(lambda: stack.health() == (200, "ok"), 120, "/health ok before the drill")
    first = len(webhook.received)
    broken_at = time.monotonic()
    fault.break_it(stack)
    wait_for(
        lambda: status_of(stack, dependency) in expected,
        HEALTH_WITHIN,
        f"/health: {dependency} {' or '.join(sorted(expected))}",
    )
    told_status = wait_for(
        lambda: next((s for d, s in webhook.said()[first:] if d == dependency), None),
        ALERT_WITHIN - (time.monotonic() - broken_at),
        f"the alert for {dependency}",
    )
    fault.mend_it(stack)
    wait_for(lambda: (dependency, "ok") in webhook.said()[first:], 180, f"{dependency} resolved")
    told = webhook.said()[first:]
    assert told_status in expected
    assert {name for name, _ in told} == {dependency}, told  # nothing else was told
    assert told[0] == (dependency, told_status)
    assert told[-1] == (dependency, "ok")
    assert [status for _, status in told[1:-1]] in ([], ["failing"]), told  # an escalation
    resolved = webhook.received[first + len(told) - 1]
    assert (resolved["resolved"], resolved["previous"]) == (True, told[-2][1])


def _signal(name: str, sig: signal.Signals) -> Callable[[Stack], object]:
    return lambda stack: os.kill(stack.processes[name].pid, sig)


FAULTS = [
    pytest.param(
        Fault(
            "workers",
            {"failing"},
            _signal("worker", signal.SIGSTOP),
            _signal("worker", signal.SIGCONT),
        ),
        id="worker frozen",
    ),
    pytest.param(
        Fault(
            "workers",
            {"failing"},
            lambda stack: stack.processes["worker"].kill(),
            lambda stack: stack.start_worker(concurrency=1),
        ),
        id="worker killed",
        marks=SLOW,
    ),
    pytest.param(
        Fault(
            "beat",
            {"degraded"},
            lambda stack: stack.processes["beat"].kill(),
            lambda stack: stack.start_beat(),
        ),
        id="beat killed",
        marks=SLOW,
    ),
    pytest.param(
        Fault(
            "redis",
            {"failing"},
            lambda stack: stack.redis.stop(),
            lambda stack: stack.redis.restart(),
        ),
        id="redis down",
        marks=SLOW,
    ),
    pytest.param(
        Fault(
            "dexscreener",
            {"degraded", "failing"},  # failing once every request of the last 2 minutes failed
            lambda stack: stack.market.set_faults(error_rate=1.0, error_status=503),
            lambda stack: stack.market.set_faults(error_rate=0.0),
        ),
        id="dexscreener 503",
        marks=SLOW,
    ),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_the_fault_is_told_and_so_is_its_end(stack: Stack, webhook: Webhook, fault: Fault) -> None:
    drill(stack, webhook, fault)
    stack.assert_alive("web", "worker", "beat", "listener", "watchdog")

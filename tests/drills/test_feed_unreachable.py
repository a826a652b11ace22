"""Drill: moon started while the PumpPortal feed refuses every connection (DNS down, a
firewall, PumpPortal itself down). The listener publishes that it is not connected from its
start, with no frame age (it never had a frame); /health's listener turns degraded once a
minute has gone by, an alert reaches a loopback webhook within 90 s, and once the feed answers,
the listener connects and a "resolved" follows. Nothing else is told."""

import time
from collections.abc import Iterator

import pytest

from ingestion.sandbox import FaultSettings, SandboxConfig
from tests.drills.stack import DRILL, SLOW, Stack, running_stack, wait_for
from tests.webhook import Webhook

pytestmark = [*DRILL, SLOW, pytest.mark.timeout(360)]


@pytest.fixture(scope="module")
def stack(webhook: Webhook) -> Iterator[Stack]:
    config = SandboxConfig(
        port=0, seed=7, migrations_per_hour=0, faults=FaultSettings(ws_refuse=True)
    )
    with running_stack(config, env={"ALERT_WEBHOOK_URL": webhook.url}) as stack:
        yield stack


def test_a_feed_unreachable_from_the_start_is_told_and_so_is_its_return(
    stack: Stack, webhook: Webhook
) -> None:
    started = time.monotonic()
    for start in (stack.start_web, stack.start_worker, stack.start_beat, stack.start_listener):
        start()
    stack.start_watchdog()

    def listener() -> dict[str, object]:
        return dict(stack.get("/health")[1]["listener"])

    early = wait_for(
        lambda: (seen := listener())["state"] == "disconnected" and seen,
        30,
        "the listener publishing that it is not connected",
    )

    degraded = wait_for(
        lambda: listener()["status"] == "degraded" and time.monotonic(),
        75,
        "/health: listener degraded",
    )
    wait_for(
        lambda: ("listener", "degraded") in webhook.said(),
        90 - (time.monotonic() - started),
        "the alert",
    )
    told = listener()
    stack.market.set_faults(ws_refuse=False)
    stack.wait_listening(timeout=120)
    wait_for(lambda: ("listener", "ok") in webhook.said(), 90, "the listener resolved")

    assert (early["status"], early["state"], early["last_frame_age_seconds"]) == (
        "ok",  # a connection under a minute late is not a problem yet
        "disconnected",
        None,
    )
    assert degraded - started >= 60
    assert str(told["reason"]).startswith("the PumpPortal feed is unreachable for ")
    assert told["last_frame_age_seconds"] is None
    assert webhook.said() == [("listener", "degraded"), ("listener", "ok")]

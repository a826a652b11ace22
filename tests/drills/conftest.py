"""Fault drills: moon's real processes against a PostgreSQL, Redis and market of their own.

The quick drills run in `make test`; the slow ones only in `make drills` (MOON_DRILLS=all).
"""

from collections.abc import Iterator

import pytest

from tests.drills.stack import Stack
from tests.webhook import Webhook, running_webhook

FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(autouse=True)
def _logs_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """A failed drill prints the tail of every process's log: what each was doing."""
    yield
    if request.node.stash.get(FAILED, False) and "stack" in request.fixturenames:
        stack: Stack = request.getfixturevalue("stack")
        print(stack.logs())


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    """A loopback webhook for a drill module's alerts (ALERT_WEBHOOK_URL=webhook.url)."""
    with running_webhook() as hook:
        yield hook

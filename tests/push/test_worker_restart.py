"""Alerts across a worker's death: a real Celery worker (subprocess) delivers to a loopback
webhook, is killed with SIGKILL mid-way, another worker takes over. Every event reaches the
receiver, signed, under one delivery id; the only repeat possible is the one request in flight
when the worker died (docs/push.md: at least once, deduplicated by X-Moon-Delivery)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from moon.lib.events import Event, publish
from moon.push.channels import signature_valid
from moon.push.models import AlertDelivery, AlertRule
from tests.drills.stack import wait_for
from tests.factories import fake_address
from tests.webhook import running_webhook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
ROOT = Path(__file__).resolve().parents[2]
EVENTS = 8


def worker_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {
        **env,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "PUSH_CLAIM_SECONDS": "3",
        "MOON_PROCESS": "pusher",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def worker(log: Path) -> Iterator[subprocess.Popen[bytes]]:
    argv = [
        sys.executable, "-m", "celery", "-A", "moon", "worker", "-Q", "push",
        "--concurrency", "1", "--without-gossip", "--without-mingle",
        "--hostname", f"push-{time.monotonic_ns()}@%h", "--loglevel", "WARNING",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=worker_env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)  # our own session's group
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def test_every_event_reaches_the_webhook_once_across_a_worker_restart(tmp_path: Path) -> None:
    with running_webhook() as hook:
        hook.delay = 0.4  # slow enough to kill the worker mid-way
        rule = AlertRule.objects.create(
            name="every migration", event="migration", channel="webhook", url=hook.url
        )
        mints = [fake_address(990_000 + n) for n in range(EVENTS)]
        publish(
            [
                Event("migration", mint, {"token": {"symbol": f"T{n}"}})
                for n, mint in enumerate(mints)
            ]
        )
        assert AlertDelivery.objects.count() == EVENTS

        log = tmp_path / "worker.log"
        with worker(log) as first:
            wait_for(lambda: len(hook.raw) >= 3, 60, f"the first deliveries\n{log.read_text()}")
            os.killpg(first.pid, signal.SIGKILL)  # the machine is gone
            first.wait(timeout=10)
        sent_before = AlertDelivery.objects.filter(status="sent").count()
        assert sent_before < EVENTS

        with worker(log):
            wait_for(
                lambda: AlertDelivery.objects.filter(status="sent").count() == EVENTS,
                90,
                f"every delivery sent\n{log.read_text()}",
            )
        received = list(hook.raw)

    by_event: dict[str, set[str]] = defaultdict(set)
    for headers, body in received:
        assert signature_valid(rule.secret, body, headers["x-moon-signature"])
        by_event[json.loads(body)["event"]["mint"]].add(headers["x-moon-delivery"])
    assert set(by_event) == set(mints)  # every event arrived
    assert all(len(ids) == 1 for ids in by_event.values())  # each under one delivery id
    assert len(received) - EVENTS <= 1  # a repeat only for the request cut short by the kill
    assert {d.status for d in AlertDelivery.objects.all()} == {"sent"}

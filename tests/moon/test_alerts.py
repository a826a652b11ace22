"""Alerts: logged at ERROR, POSTed to a real local webhook, one per incident."""

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import timezone

from ingestion.clients.pumpportal import ListenerState
from ingestion.services.listener import listener_state_save
from moon.celery import app as celery_app
from moon.lib.counters import counters_read, dexscreener_request_observe
from moon.operations import alerts
from moon.operations.alerts import alerts_check
from moon.operations.tasks import check_alerts
from scoring.services.monitoring import batch_success_record
from scoring.services.refresh import RefreshReport
from tests.factories import ChainMigrationFactory, TokenFactory, fake_address

pytestmark = pytest.mark.django_db

MISSING_LISTENER = "no PumpPortal listener has published its state"


class Webhook:
    """A real HTTP server on loopback that keeps every POST it receives."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.received.append(json.loads(self.rfile.read(length)))
                hook.content_types.append(self.headers["Content-Type"])
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/moon"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    thread = threading.Thread(target=hook.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    with override_settings(ALERT_WEBHOOK_URL=hook.url):
        yield hook
    hook.server.shutdown()
    hook.server.server_close()


@pytest.fixture
def listener_alive() -> None:
    now = time.time()
    listener_state_save(ListenerState(connected=True, connected_since=now, last_frame_at=now))


def an_instant() -> datetime:
    return timezone.now().replace(microsecond=0)


def test_a_missing_listener_is_logged_and_posted(
    webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    now = an_instant()

    with caplog.at_level(logging.ERROR, logger="moon.operations.alerts"):
        raised = alerts_check(now=now)

    assert [alert.key for alert in raised] == ["listener_silent:listener"]
    assert webhook.received == [
        {
            "source": "moon",
            "app_env": "test",
            "alert": "listener_silent:listener",
            "kind": "listener_silent",
            "subject": "listener",
            "severity": "error",
            "message": MISSING_LISTENER,
            "details": {
                "state": "missing",
                "last_frame_age_seconds": None,
                "stale_after_seconds": 600,
            },
            "raised_at": now.isoformat().replace("+00:00", "Z"),
            "text": f"[moon test] {MISSING_LISTENER}",
        }
    ]
    assert webhook.content_types == ["application/json"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"ALERT listener_silent:listener: {MISSING_LISTENER}")
    ]
    assert counters_read() == {("moon_alerts", ("listener_silent",)): 1}


def test_one_incident_is_one_alert(webhook: Webhook, redis_client: redis.Redis) -> None:
    now = an_instant()
    alerts_check(now=now)
    redis_client.expire("moon:alerts:incident:listener_silent:listener", 5)

    again = alerts_check(now=now + timedelta(minutes=1))

    assert (again, len(webhook.received)) == ([], 1)
    # every detection renews the cooldown: an incident that lasts hours stays one alert
    assert redis_client.ttl("moon:alerts:incident:listener_silent:listener") == 900


def test_a_resolved_incident_alerts_again_once_the_cooldown_ran_out(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts, "COOLDOWN_SECONDS", 1)
    alerts_check()
    now = time.time()
    listener_state_save(ListenerState(connected=True, connected_since=now, last_frame_at=now))
    resolved = alerts_check()
    time.sleep(1.2)
    listener_state_save(ListenerState(connected=False, last_frame_at=time.time() - 601))

    raised = alerts_check()

    assert resolved == []
    assert [alert.key for alert in raised] == ["listener_silent:listener"]
    assert [body["message"] for body in webhook.received] == [
        MISSING_LISTENER,
        "PumpPortal listener silent: no frame for 601s",
    ]


def test_a_flapping_problem_within_the_cooldown_stays_one_incident(webhook: Webhook) -> None:
    alerts_check()
    now = time.time()
    listener_state_save(ListenerState(connected=True, connected_since=now, last_frame_at=now))
    alerts_check()
    listener_state_save(ListenerState(connected=False, last_frame_at=now - 700))

    assert alerts_check() == []
    assert len(webhook.received) == 1


def test_an_undelivered_alert_is_sent_again_on_the_next_check(
    webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.status = 500
    with caplog.at_level(logging.ERROR, logger="moon.operations.alerts"):
        alerts_check()
    webhook.status = 204

    raised = alerts_check()

    assert [alert.key for alert in raised] == ["listener_silent:listener"]
    assert [body["alert"] for body in webhook.received] == ["listener_silent:listener"] * 2
    failure = caplog.records[1].getMessage()
    assert failure.startswith("alert webhook failed, retrying on the next check: Server error '500")
    assert alerts_check() == []


def test_without_a_webhook_an_alert_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="moon.operations.alerts"):
        raised = alerts_check()

    assert [alert.key for alert in raised] == ["listener_silent:listener"]
    assert [r.getMessage() for r in caplog.records] == [
        f"ALERT listener_silent:listener: {MISSING_LISTENER}"
    ]


@pytest.mark.usefixtures("listener_alive")
def test_a_failing_group_alerts(webhook: Webhook) -> None:
    now = an_instant()
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=200))
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=10))
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=10))
    success = now - timedelta(seconds=300)
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=success)

    raised = alerts_check(now=now)

    assert [alert.key for alert in raised] == ["scheduler_stale:hot"]
    assert webhook.received[0]["message"] == (
        "hot refresh group is failing: 1 stale tokens and no successful batch within 90s"
    )
    assert webhook.received[0]["details"] == {
        "tokens": 3,
        "stale_tokens": 1,
        "last_success_at": success.isoformat().replace("+00:00", "Z"),
        "interval_seconds": 30,
    }


@pytest.mark.usefixtures("listener_alive")
def test_a_degraded_group_does_not_alert(webhook: Webhook) -> None:
    now = an_instant()
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=200))
    TokenFactory(smoothed_score=0.9, last_updated_at=now - timedelta(seconds=10))
    batch_success_record(group="hot", report=RefreshReport(tokens=1), now=now)

    assert alerts_check(now=now) == []
    assert webhook.received == []


def requests(total: int, errors: int, *, status: int = 500) -> None:
    for n in range(total):
        dexscreener_request_observe("tokens", status if n < errors else 200, 0.1)


@pytest.mark.usefixtures("listener_alive")
def test_a_dexscreener_error_rate_over_the_threshold_alerts(webhook: Webhook) -> None:
    requests(20, 4)
    requests(0, 0)
    dexscreener_request_observe("tokens", 429, 0.1)
    dexscreener_request_observe("token-pairs", None, 3.0)

    raised = alerts_check()

    assert [alert.key for alert in raised] == ["dexscreener_errors:dexscreener"]
    assert webhook.received[0]["message"] == (
        "DexScreener error rate 27% over the last 5 minutes (6 of 22 requests, 1 HTTP 429)"
    )
    assert webhook.received[0]["details"] == {
        "requests": 22,
        "errors": 6,
        "responses_429": 1,
        "error_rate": 6 / 22,
        "threshold": 0.25,
    }


@pytest.mark.usefixtures("listener_alive")
def test_an_error_rate_at_the_threshold_does_not_alert(webhook: Webhook) -> None:
    requests(20, 5)

    assert alerts_check() == []


@pytest.mark.usefixtures("listener_alive")
def test_too_few_requests_do_not_alert_whatever_their_errors(webhook: Webhook) -> None:
    requests(19, 19)

    assert alerts_check() == []


@pytest.mark.usefixtures("listener_alive")
def test_nothing_to_say_when_all_is_well(webhook: Webhook) -> None:
    now = timezone.now()
    TokenFactory(smoothed_score=0.1, last_updated_at=now)

    assert alerts_check(now=now) == []
    assert webhook.received == []


def test_the_task_is_registered_and_counts_what_it_raised(webhook: Webhook) -> None:
    # A worker finds the task by autodiscovery over the installed apps.
    assert "moon.operations" in django_settings.INSTALLED_APPS
    assert (
        celery_app.tasks["operations.check_alerts"].name
        == check_alerts.name
        == "operations.check_alerts"
    )

    assert check_alerts() == 1
    assert check_alerts() == 0


@pytest.mark.usefixtures("listener_alive")
def test_a_feed_that_missed_migrations_in_the_last_hour_alerts(webhook: Webhook) -> None:
    now = an_instant()
    missed = [fake_address(i, "pump") for i in range(7)]
    for index, mint in enumerate(missed):
        ChainMigrationFactory(
            mint_address=mint, block_time=now - timedelta(minutes=index + 1), heard_by="chain"
        )
    for index in range(93):
        ChainMigrationFactory(block_time=now - timedelta(seconds=30 * index + 15))

    raised = alerts_check(now=now)

    assert [alert.key for alert in raised] == ["intake_coverage:feed"]
    assert webhook.received[0]["message"] == (
        "the feed delivered 93 of 100 migrations seen on chain in the last hour (93.0%, under "
        f"99%); missed: {', '.join(missed[:5])}, ..."
    )
    assert webhook.received[0]["details"] == {
        "window": "1h",
        "on_chain": 100,
        "heard_by_feed": 93,
        "missed": 7,
        "coverage": 0.93,
        "threshold": 0.99,
        "missed_mints": missed,
    }


@pytest.mark.usefixtures("listener_alive")
def test_coverage_at_the_line_does_not_alert(webhook: Webhook) -> None:
    now = an_instant()
    ChainMigrationFactory(block_time=now - timedelta(minutes=30), heard_by="chain")
    for index in range(99):
        ChainMigrationFactory(block_time=now - timedelta(seconds=30 * index + 15))

    assert alerts_check(now=now) == []

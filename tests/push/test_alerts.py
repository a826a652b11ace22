"""Alert rules delivered for real: a signed webhook to a loopback receiver, Apprise's json://
to another, each event once per rule, cooldowns, retries with backoff, a test alert."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.exceptions import ValidationError
from django.utils import timezone

from moon.lib.events import Event, publish
from moon.push.channels import SIGNATURE_HEADER, signature, signature_valid
from moon.push.models import AlertDelivery, AlertRule
from moon.push.services import (
    BACKOFF_SECONDS,
    DELIVER_TASK,
    MAX_ATTEMPTS,
    deliveries_create,
    delivery_send,
    delivery_test,
)
from tests.factories import fake_address
from tests.queue import queued_tasks
from tests.webhook import Webhook, running_webhook

MINT = fake_address(700_001)
OTHER = fake_address(700_002)


@pytest.fixture
def hook() -> Iterator[Webhook]:
    with running_webhook() as receiver:
        yield receiver


def webhook_rule(hook: Webhook, **fields: Any) -> AlertRule:
    return AlertRule.objects.create(
        name=fields.pop("name", "hot tokens"),
        event=fields.pop("event", "hot"),
        channel=AlertRule.Channel.WEBHOOK,
        url=hook.url,
        **fields,
    )


def hot_event(mint: str = MINT, event_id: str = "1700000000000-0", **token: Any) -> Event:
    data = {"token": {"symbol": "MOON", "smoothed_score": 64.2, "score": 70.0, **token}}
    return Event("hot", mint, data, id=event_id, at=time.time())


def send_all() -> list[str]:
    return [delivery_send(pk) for pk in AlertDelivery.objects.values_list("pk", flat=True)]


@pytest.mark.django_db
def test_a_webhook_gets_the_alert_signed_with_the_rules_secret(hook: Webhook) -> None:
    rule = webhook_rule(hook)

    (delivery_id,) = deliveries_create([hot_event()])
    assert delivery_send(delivery_id) == "sent"

    ((headers, body),) = hook.raw
    assert signature_valid(rule.secret, body, headers[SIGNATURE_HEADER.lower()])
    assert not signature_valid("another secret", body, headers[SIGNATURE_HEADER.lower()])
    timestamp = int(headers[SIGNATURE_HEADER.lower()].split(",")[0].removeprefix("t="))
    assert headers[SIGNATURE_HEADER.lower()] == signature(rule.secret, body, timestamp)
    assert headers["x-moon-delivery"] == str(delivery_id)
    assert headers["x-moon-event"] == "hot"
    payload = json.loads(body)
    assert payload["alert"] == "hot"
    assert payload["rule"] == {"id": rule.pk, "name": "hot tokens"}
    assert payload["event"]["mint"] == MINT
    assert payload["title"] == "moon: MOON is hot"
    assert f"/tokens/{MINT}/" in payload["message"]
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 1, "")
    assert delivery.latency_ms is not None
    assert delivery.sent_at is not None


def test_a_signature_is_refused_when_tampered_or_old() -> None:
    body = b'{"alert":"hot"}'
    header = signature("s3cret", body, 1_700_000_000)
    assert not signature_valid("s3cret", body, header)  # made long ago: a replay
    fresh = signature("s3cret", body, int(time.time()))
    assert signature_valid("s3cret", body, fresh)
    assert not signature_valid("s3cret", body + b" ", fresh)
    assert not signature_valid("s3cret", body, "v1=abc")


@pytest.mark.django_db
def test_apprise_delivers_to_a_json_endpoint(hook: Webhook) -> None:
    url = hook.url.replace("http://", "json://")
    AlertRule.objects.create(name="to apprise", event="hot", url=url)

    deliveries_create([hot_event()])
    assert send_all() == ["sent"]

    (body,) = hook.received
    assert body["title"] == "moon: MOON is hot"
    assert body["message"].startswith(f"MOON ({MINT}) is hot. Score 64.2 (raw 70.0).")
    assert body["type"] == "info"


@pytest.mark.django_db
def test_each_event_is_delivered_once_however_often_it_is_told_or_sent(hook: Webhook) -> None:
    webhook_rule(hook)
    events = [hot_event(), hot_event(OTHER, "1700000000000-1")]

    first = deliveries_create(events)
    again = deliveries_create(events)  # a replay: the same ids
    assert len(first) == 2
    assert again == []
    send_all()
    send_all()  # a task run twice (a redelivered message)

    assert sorted(body["event"]["mint"] for body in hook.received) == sorted([MINT, OTHER])
    assert len(hook.raw) == 2


@pytest.mark.django_db
def test_a_rule_in_its_cooldown_tells_the_same_token_once(hook: Webhook) -> None:
    webhook_rule(hook, cooldown_minutes=30)

    assert len(deliveries_create([hot_event(event_id="1-0")])) == 1
    assert deliveries_create([hot_event(event_id="2-0")]) == []  # the same token again
    assert len(deliveries_create([hot_event(OTHER, event_id="3-0")])) == 1
    AlertDelivery.objects.update(created_at="2020-01-01T00:00:00Z")  # the cooldown is over
    assert len(deliveries_create([hot_event(event_id="4-0")])) == 1


@pytest.mark.django_db
def test_filters_and_disabled_rules_hold_alerts_back(hook: Webhook) -> None:
    webhook_rule(hook, min_liquidity_usd=50_000)
    webhook_rule(hook, name="off", enabled=False)

    assert deliveries_create([hot_event(liquidity_usd=10_000)]) == []
    assert len(deliveries_create([hot_event(OTHER, "9-0", liquidity_usd=60_000)])) == 1


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_with_backoff_then_given_up(
    hook: Webhook, redis_client: redis.Redis
) -> None:
    webhook_rule(hook)
    hook.status = 500
    (pk,) = deliveries_create([hot_event()])
    redis_client.delete("push")

    assert delivery_send(pk) == "retrying"
    delivery = AlertDelivery.objects.get()
    assert (delivery.attempts, delivery.error) == (1, "the webhook answered 500")
    (message,) = redis_client.lrange("push", 0, -1)
    assert json.loads(message)["headers"]["eta"] is not None  # queued BACKOFF_SECONDS[0] ahead
    assert queued_tasks(redis_client, "push") == [(DELIVER_TASK, [pk], {})]
    assert BACKOFF_SECONDS[0] == 2

    for _ in range(MAX_ATTEMPTS - 2):
        assert delivery_send(pk) == "retrying"
    assert delivery_send(pk) == "failed"
    assert delivery_send(pk) == "failed"  # given up: not sent again
    assert AlertDelivery.objects.get().attempts == MAX_ATTEMPTS
    assert len(hook.raw) == MAX_ATTEMPTS

    hook.status = 200
    assert AlertDelivery.objects.get().status == "failed"


@pytest.mark.django_db
def test_a_receiver_that_comes_back_gets_the_retry(hook: Webhook) -> None:
    webhook_rule(hook)
    hook.status = 503
    (pk,) = deliveries_create([hot_event()])
    assert delivery_send(pk) == "retrying"
    hook.status = 200

    assert delivery_send(pk) == "sent"
    assert AlertDelivery.objects.get().attempts == 2
    assert len(hook.received) == 1


@pytest.mark.django_db
def test_a_test_alert_goes_out_on_the_rules_channel(hook: Webhook) -> None:
    rule = webhook_rule(hook)
    delivery = delivery_test(rule)

    assert delivery_send(delivery.pk) == "sent"
    (body,) = hook.received
    assert body["alert"] == "test"
    assert body["title"] == "moon: test of hot tokens"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "url", "message"),
    [
        ("apprise", "bogus://nothing", "Apprise cannot use this URL (scheme 'bogus'"),
        ("apprise", "tgram://not-a-bot-token", "Apprise cannot use this URL (scheme 'tgram'"),
        ("apprise", "", "Give the channel's URL."),
        ("webhook", "ftp://example.org/hook", "A webhook URL must be an http:// or https:// URL."),
    ],
)
def test_a_channel_that_cannot_be_told_is_refused_at_save(
    channel: str, url: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        AlertRule.objects.create(name="bad", event="hot", channel=channel, url=url)
    assert message in refused.value.message_dict["url"][0]
    assert not AlertRule.objects.exists()


@pytest.mark.django_db
def test_a_score_rule_needs_its_threshold() -> None:
    with pytest.raises(ValidationError) as refused:
        AlertRule.objects.create(name="s", event="score_at_least", url="json://127.0.0.1/x")
    assert "threshold" in refused.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_a_committed_refresh_tells_the_rules_and_a_rolled_back_one_does_not(
    hook: Webhook, redis_client: redis.Redis
) -> None:
    from django.db import transaction

    webhook_rule(hook, event="migration")

    def rolled_back() -> None:
        with transaction.atomic():
            publish([Event("migration", MINT, {"token": {}})])
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        rolled_back()
    assert not AlertDelivery.objects.exists()

    with transaction.atomic():
        publish([Event("migration", OTHER, {"token": {}})])
        assert not AlertDelivery.objects.exists()  # not before the commit
    (delivery,) = AlertDelivery.objects.all()
    assert delivery.mint == OTHER
    assert queued_tasks(redis_client, "push") == [(DELIVER_TASK, [delivery.pk], {})]


@pytest.mark.django_db(transaction=True)
def test_a_refresh_that_commits_creates_the_alerts_of_its_events(hook: Webhook) -> None:
    """The whole path from a real refresh: its events (datetimes and all) become deliveries."""
    from scoring.services.refresh import tokens_score
    from tests.factories import TokenFactory
    from tests.pairs import pair

    webhook_rule(hook, event="score_at_least", threshold=0, max_age_minutes=600)
    token = TokenFactory(score=None, smoothed_score=None, migrated_at=timezone.now())

    tokens_score(
        token_ids=[token.pk],
        pairs={token.mint_address: [pair(token.mint_address, "PairAlert" + "1" * 35)]},
        errors={},
    )

    (delivery,) = AlertDelivery.objects.all()
    assert delivery.mint == token.mint_address
    assert delivery.payload["event"]["token"]["migrated_at"].endswith("Z")
    assert delivery_send(delivery.pk) == "sent"


@pytest.mark.django_db
def test_a_claimed_delivery_waits_for_its_claim_and_a_stale_claim_is_taken_over(
    hook: Webhook, redis_client: redis.Redis
) -> None:
    from datetime import timedelta

    webhook_rule(hook)
    (pk,) = deliveries_create([hot_event()])
    redis_client.delete("push")
    AlertDelivery.objects.filter(pk=pk).update(
        status="sending", claimed_until=timezone.now() + timedelta(seconds=30)
    )

    assert delivery_send(pk) == "sending"  # another run holds it
    assert hook.raw == []
    assert queued_tasks(redis_client, "push") == [(DELIVER_TASK, [pk], {})]  # looked at again

    AlertDelivery.objects.filter(pk=pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert delivery_send(pk) == "sent"  # its worker died: the claim ran out
    assert len(hook.raw) == 1

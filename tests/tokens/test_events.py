"""The writers tell their changes (moon.lib.events) once they commit: a migration, a refresh's
scores, hot and cold crossings and flags, a risk check's flags."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from moon.lib.events import EVENTS_STREAM, Event, events_published
from scoring.models import ScoringSettings
from scoring.services.refresh import tokens_score
from tests.factories import TokenFactory, fake_address
from tests.pairs import pair
from tokens.models import Token
from tokens.services.events import TokenState, token_changes
from tokens.services.registration import token_register_migration

pytestmark = pytest.mark.django_db


def told(redis_client: redis.Redis) -> list[Event]:
    return [Event.from_entry(i, e) for i, e in redis_client.xrange(EVENTS_STREAM)]


def test_a_migration_is_told_after_its_commit(
    redis_client: redis.Redis, django_capture_on_commit_callbacks: Any
) -> None:
    mint = fake_address(810_001)
    with django_capture_on_commit_callbacks() as callbacks:
        token_register_migration(mint=mint, signature="sig-810001")
        assert told(redis_client) == []  # not before the commit
    for callback in callbacks:
        callback()

    (event,) = told(redis_client)
    assert (event.kind, event.mint, event.data["signature"]) == ("migration", mint, "sig-810001")
    assert event.data["source"] == "feed"
    assert event.at > 0


def test_a_refresh_tells_scores_the_hot_crossing_and_flags(
    redis_client: redis.Redis, django_capture_on_commit_callbacks: Any
) -> None:
    token = TokenFactory(status=Token.Status.ACTIVE, score=None, smoothed_score=None)
    ScoringSettings.objects.active()
    heard: list[Event] = []

    def listen(sender: object, events: list[Event], **kwargs: Any) -> None:
        heard.extend(events)

    events_published.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            tokens_score(
                token_ids=[token.pk],
                pairs={token.mint_address: [pair(token.mint_address, "PairEv1" + "1" * 37)]},
                errors={},
            )
    finally:
        events_published.disconnect(listen)

    token.refresh_from_db()
    events = told(redis_client)
    assert [e.id for e in heard] == [e.id for e in events]  # the signal carries the stream ids
    kinds = [e.kind for e in events]
    assert kinds[0] == "score"
    score = events[0]
    assert score.data["token"]["smoothed_score"] == pytest.approx(token.smoothed_score)
    assert score.data["previous_smoothed"] is None
    min_score = ScoringSettings.objects.active().min_score
    assert ("hot" in kinds) == (token.smoothed_score >= min_score)
    if token.all_flags:
        (flags,) = [e for e in events if e.kind == "flags"]
        assert flags.data["added"] == token.all_flags


def test_token_changes_tell_only_what_changed() -> None:
    token = Token(mint_address=fake_address(810_002), score=40.0, smoothed_score=29.0)
    before = TokenState.of(token)

    token.score, token.smoothed_score = 40.004, 29.004
    assert token_changes(before, token, min_score=30) == []  # under the pages' precision

    token.smoothed_score = 31.0
    token.flags = ["young"]
    kinds = [e.kind for e in token_changes(before, token, min_score=30)]
    assert kinds == ["score", "hot", "flags"]

    cooled = TokenState.of(token)
    token.smoothed_score = 12.0
    token.flags = []
    token.risk_flags = ["rugged"]
    events = token_changes(cooled, token, min_score=30)
    assert [e.kind for e in events] == ["score", "cold", "flags"]
    assert (events[2].data["added"], events[2].data["removed"]) == (["rugged"], ["young"])
    assert events[0].data["previous_smoothed"] == 31.0

"""Activation, demotion and archival move tokens exactly at their thresholds."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from scoring.models import ScoringSettings
from scoring.services.archival import tokens_archive_due
from tests.factories import TokenFactory, TokenScoreFactory
from tokens.models import Token
from tokens.services.lifecycle import token_apply_activation

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def test_a_monitoring_token_that_passes_becomes_active_and_logs_why(caplog) -> None:
    token = TokenFactory.build(status=Token.Status.MONITORING)

    with caplog.at_level(logging.INFO, logger="tokens.services.lifecycle"):
        token_apply_activation(token=token, passes=True, now=NOW)

    assert (token.status, token.activated_at) == (Token.Status.ACTIVE, NOW)
    assert caplog.messages == [
        f"token {token.mint_address}: monitoring -> active (its pools pass the activation rule)"
    ]


def test_an_active_token_goes_back_on_the_third_failure_in_a_row_only() -> None:
    token = TokenFactory.build(status=Token.Status.ACTIVE)

    statuses = []
    for passes in (False, False, True, False, False, False):
        token_apply_activation(token=token, passes=passes, now=NOW)
        statuses.append(token.status)

    assert statuses == ["active"] * 5 + ["monitoring"]


def test_monitoring_tokens_are_archived_just_after_the_timeout() -> None:
    settings = ScoringSettings.objects.active()  # monitoring_timeout_hours = 12
    inside = TokenFactory(created_at=NOW - timedelta(hours=12) + timedelta(seconds=1))
    outside = TokenFactory(created_at=NOW - timedelta(hours=12) - timedelta(seconds=1))

    assert tokens_archive_due(settings=settings, now=NOW) == 1

    inside.refresh_from_db()
    outside.refresh_from_db()
    assert (inside.status, outside.status) == ("monitoring", "archived")
    assert outside.archived_at == NOW


def test_active_tokens_without_a_hot_score_in_the_window_are_archived() -> None:
    settings = ScoringSettings.objects.active()  # archive_below_hours = 12, min_score = 0.3
    old = NOW - timedelta(hours=20)
    hot_lately = TokenFactory(status=Token.Status.ACTIVE, activated_at=old)
    TokenScoreFactory(token=hot_lately, smoothed_score=0.3, created_at=NOW - timedelta(hours=11))
    cold_lately = TokenFactory(status=Token.Status.ACTIVE, activated_at=old)
    TokenScoreFactory(token=cold_lately, smoothed_score=0.29, created_at=NOW - timedelta(hours=1))
    TokenScoreFactory(token=cold_lately, smoothed_score=0.9, created_at=NOW - timedelta(hours=13))
    young = TokenFactory(status=Token.Status.ACTIVE, activated_at=NOW - timedelta(hours=1))

    assert tokens_archive_due(settings=settings, now=NOW) == 1

    statuses = {t.pk: t.status for t in Token.objects.all()}
    assert statuses == {hot_lately.pk: "active", cold_lately.pk: "archived", young.pk: "active"}

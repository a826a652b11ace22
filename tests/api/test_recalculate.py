"""Recalculation: the service re-scores stored metrics with the active settings; the staff
endpoint queues it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from django.test import Client

from scoring.engine import Metrics
from scoring.models import TokenScore
from scoring.services.recalculate import metrics_from_json, tokens_recalculate
from scoring.services.settings import scoring_settings_save
from scoring.tasks import recalculate
from tests.factories import TokenFactory, TokenScoreFactory
from tests.queue import queued_tasks
from tokens.models import Token

# Exact numbers of scoring spec v1 on its own weights.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("v1_settings")]

T0 = datetime(2025, 9, 18, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=2)
NOW = T0 + timedelta(minutes=10)

# tx_accel = (60/5)/(360/60) = 2; vol_momentum = 600/(3600/12) = 2;
# token_freshness = (6-3)/6 = 0.5; orderflow_imbalance = (40-20)/60 = 1/3.
INPUTS = Metrics(
    L_tot=20_000.0,
    tx_5m=60,
    tx_1h=360,
    vol_5m=600.0,
    vol_1h=3600.0,
    buys_5m=40,
    sells_5m=20,
    pool_count=1,
    primary_pair_address="5Kmt5pDpnkEjzVuoHoCmzGeyEGa7ZcKEtQJYXvcfbm7h",
    primary_dex_id="pumpswap",
    price_usd=0.001,
    dp5=0.01,
    dp15=0.005,
    hours_since_migration=3.0,
)
RAW = {"tx_accel": 2.0, "vol_momentum": 2.0, "token_freshness": 0.5, "orderflow_imbalance": 1 / 3}
GOOD = {"data_quality_ok": True, "data_quality_issues": [], "fallback": None}
# The state before the latest observation.
BEFORE = {"tx_accel": 1.0, "vol_momentum": 1.0, "token_freshness": 1.0, "orderflow_imbalance": 0.0}


def observed_token(*, with_history: bool = True, **metrics_extra: Any) -> Token:
    """A token whose latest snapshot scored INPUTS with the default settings (alpha 0.3)."""
    metrics = {**INPUTS.to_json(), **GOOD, **metrics_extra}
    score = 0.25 * sum(RAW.values())  # 1.2083333
    previous = 1.0 if with_history else None
    smoothed = score if previous is None else 0.3 * score + 0.7 * previous
    # The EWMA state the refresh left: this observation's smoothed values.
    state = {k: v if previous is None else 0.3 * v + 0.7 * BEFORE[k] for k, v in RAW.items()}
    token: Token = TokenFactory(
        score=score,
        smoothed_score=smoothed,
        ewma_state={"components": state, "score": smoothed, "scoring_model": "hybrid_momentum"},
        scored_at=T1,
        last_updated_at=T1,
        metrics=metrics,
        recent_good_scores=[smoothed, 1.0] if with_history else [smoothed],
    )
    if with_history:
        TokenScoreFactory(
            token=token,
            score=1.0,
            smoothed_score=1.0,
            smoothed_components={**BEFORE, "final_score": 1.0},
            metrics=GOOD,
            created_at=T0,
        )
    TokenScoreFactory(
        token=token, score=score, smoothed_score=smoothed, metrics=metrics, created_at=T1
    )
    return token


@pytest.fixture
def trade_pace_only(v1_settings: None) -> None:
    scoring_settings_save(
        changes={"w_tx": 1.0, "w_vol": 0.0, "w_fresh": 0.0, "w_oi": 0.0, "ewma_alpha": 0.5}
    )


def test_metrics_round_trip_through_their_json() -> None:
    assert metrics_from_json({**INPUTS.to_json(), **GOOD}) == INPUTS
    assert metrics_from_json({**GOOD, "fallback": "fallback"}) is None


@pytest.mark.usefixtures("trade_pace_only")
def test_it_rescores_stored_metrics_against_the_state_before_them() -> None:
    token = observed_token()

    report = tokens_recalculate(now=NOW)

    token.refresh_from_db()
    snapshot = TokenScore.objects.filter(token=token).latest("created_at")
    # score = 1.0 x tx_accel; each EWMA (alpha 0.5) against BEFORE, not against the
    # observation being re-scored.
    smoothed = {
        "tx_accel": 1.5,
        "vol_momentum": 1.5,
        "token_freshness": 0.75,
        "orderflow_imbalance": 1 / 6,
    }
    assert (report.tokens, report.rescored, report.skipped, report.settings_version) == (
        1,
        1,
        0,
        2,
    )
    assert (snapshot.score, snapshot.smoothed_score, snapshot.created_at) == (2.0, 1.5, NOW)
    assert snapshot.raw_components == pytest.approx({**RAW, "final_score": 2.0})
    assert snapshot.smoothed_components == pytest.approx({**smoothed, "final_score": 1.5})
    assert snapshot.metrics == {**INPUTS.to_json(), **GOOD, "recalculated": True}
    assert (snapshot.settings_version, snapshot.scoring_model) == (2, "hybrid_momentum")
    assert (token.score, token.smoothed_score, token.scored_at) == (2.0, 1.5, NOW)
    assert token.recent_good_scores == [1.5, 1.0]
    assert token.ewma_state == {
        "components": pytest.approx(smoothed),
        "score": 1.5,
        "scoring_model": "hybrid_momentum",
    }
    assert token.last_updated_at == T1  # a recalculation is not a refresh: the schedule stays


@pytest.mark.usefixtures("trade_pace_only")
def test_running_it_twice_gives_the_same_numbers() -> None:
    token = observed_token()

    tokens_recalculate(now=NOW)
    tokens_recalculate(now=NOW + timedelta(minutes=1))

    first, second = TokenScore.objects.filter(token=token, metrics__recalculated=True).order_by(
        "created_at"
    )
    token.refresh_from_db()
    assert (
        (first.score, first.smoothed_score) == (second.score, second.smoothed_score) == (2.0, 1.5)
    )
    assert token.recent_good_scores == [1.5, 1.0]


@pytest.mark.usefixtures("trade_pace_only")
def test_a_first_observation_is_taken_as_is_and_warnings_are_kept() -> None:
    issue = {"code": "extreme_price_change", "message": "|dp5| > 0.5", "severity": "warning"}
    token = observed_token(
        with_history=False,
        data_quality_ok=False,
        data_quality_issues=[issue],
        fallback="degraded",
    )

    tokens_recalculate(now=NOW)

    token.refresh_from_db()
    assert (token.score, token.smoothed_score) == (2.0, 2.0)
    assert (token.metrics["fallback"], token.metrics["data_quality_issues"]) == (
        "degraded",
        [issue],
    )


@pytest.mark.usefixtures("trade_pace_only")
def test_it_skips_archived_tokens_and_tokens_without_stored_inputs() -> None:
    archived = observed_token()
    Token.objects.filter(pk=archived.pk).update(status=Token.Status.ARCHIVED)
    fallback = TokenFactory(score=0.7, smoothed_score=0.7, metrics={**GOOD, "fallback": "fallback"})
    never_scored = TokenFactory()

    report = tokens_recalculate(now=NOW)

    assert (report.tokens, report.rescored, report.skipped) == (2, 0, 2)
    assert TokenScore.objects.filter(metrics__recalculated=True).count() == 0
    assert Token.objects.get(pk=fallback.pk).score == 0.7
    assert Token.objects.get(pk=never_scored.pk).score is None


def test_it_reports_progress_after_each_chunk() -> None:
    for _ in range(5):
        observed_token()
    calls: list[tuple[int, int]] = []

    tokens_recalculate(progress=lambda done, total: calls.append((done, total)), chunk_size=2)

    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_the_task_returns_the_report() -> None:
    observed_token()
    TokenFactory()

    result = recalculate.apply()

    assert result.get() == {"tokens": 2, "rescored": 1, "skipped": 1, "settings_version": 1}


def test_staff_queue_a_recalculation(staff_client: Client, redis_client: redis.Redis) -> None:
    response = staff_client.post("/api/admin/recalculate/")

    data = response.json()
    assert (response.status_code, data) == (202, {"task_id": data["task_id"], "status": "queued"})
    assert queued_tasks(redis_client) == [("scoring.recalculate", [], {})]


def test_only_staff_may_recalculate(client: Client, integrator_token: str) -> None:
    anonymous = client.post("/api/admin/recalculate/")
    integrator = client.post(
        "/api/admin/recalculate/", HTTP_AUTHORIZATION=f"Token {integrator_token}"
    )

    assert (anonymous.status_code, integrator.status_code) == (401, 403)

"""GET|PATCH /api/settings/: the active version for anyone, new versions by staff only."""

import json
from typing import Any

import pytest
from django.test import Client

from scoring.models import ScoringSettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/settings/"


def patch(client: Client, body: Any, **headers: str) -> Any:
    return client.patch(URL, json.dumps(body), content_type="application/json", **headers)


def test_anyone_reads_the_active_settings_and_their_version(client: Client) -> None:
    default = ScoringSettings.objects.get(version=2)  # the migrations' move to spec v2

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "version": 2,
        "created_at": default.created_at.isoformat().replace("+00:00", "Z"),
        "created_by": None,
        "note": "Scoring spec v2 (hybrid_momentum_v2) with its default weights.",
        "scoring_model_active": "hybrid_momentum_v2",
        "w_tx": 0.35,
        "w_vol": 0.35,
        "w_fresh": 0.15,
        "w_oi": 0.15,
        "ewma_alpha": 0.3,
        "freshness_threshold_hours": 6.0,
        "min_score": 0.3,
        "hot_interval_sec": 30,
        "cold_interval_sec": 120,
        "min_pool_liquidity_usd": 500.0,
        "excluded_dex_ids": "pumpfun,launchlab",
        "allowed_quote_symbols": "SOL,WSOL,USDC,USD1",
        "activation_min_liquidity_usd": 200.0,
        "activation_rule": "arbitrage",
        "monitoring_timeout_hours": 12.0,
        "archive_below_hours": 12.0,
        "weight_s": 0.35,
        "weight_l": 0.25,
        "weight_m": 0.2,
        "weight_t": 0.2,
        "snapshot_retention_days": 14,
        "young_minutes": 10.0,
        "full_activity_tx_5m": 50.0,
        "full_activity_vol_5m_usd": 5000.0,
        "thin_tx_5m": 5.0,
        "accel_saturation": 8.0,
        "implausible_liquidity_factor": 20.0,
        "rug_liquidity_fraction": 0.2,
        "rug_min_peak_usd": 5000.0,
        "rug_price_drop": 0.9,
        "risk_top10_share": 0.5,
        "risk_creator_share": 0.1,
        "risk_serial_launches": 3,
        "risk_recheck_minutes": 5,
        "penalty_mint_authority": 0.0,
        "penalty_freeze_authority": 0.0,
        "penalty_token2022_danger": 0.0,
        "penalty_top10_concentrated": 0.0,
        "penalty_creator_holds": 0.0,
        "penalty_serial_creator": 0.0,
    }


def test_staff_patch_saves_a_new_version_by_them(staff_client: Client) -> None:
    response = patch(staff_client, {"w_tx": 0.4, "ewma_alpha": 1, "note": "favour trade pace"})

    data = response.json()
    assert response.status_code == 200
    assert (data["version"], data["created_by"], data["note"]) == (3, "staff", "favour trade pace")
    assert (data["w_tx"], data["ewma_alpha"], data["w_vol"]) == (0.4, 1.0, 0.35)
    active = ScoringSettings.objects.active()
    assert (active.version, active.w_tx, active.ewma_alpha) == (3, 0.4, 1.0)
    assert ScoringSettings.objects.get(version=2).w_tx == 0.35  # versions are never edited


def test_a_staff_api_token_may_patch(client: Client, staff_token: str) -> None:
    response = patch(client, {"min_score": 0.5}, HTTP_AUTHORIZATION=f"Token {staff_token}")

    assert (response.status_code, response.json()["min_score"]) == (200, 0.5)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"w_tx": -0.1}, {"w_tx": ["Ensure this value is greater than or equal to 0.0."]}),
        (
            {"ewma_alpha": 0},
            {"ewma_alpha": ["EWMA alpha must be above 0 and at most 1 (got 0.0)."]},
        ),
        (
            {"ewma_alpha": 1.5},
            {"ewma_alpha": ["EWMA alpha must be above 0 and at most 1 (got 1.5)."]},
        ),
        ({"w_vol": "heavy"}, {"w_vol": ["A valid number is required."]}),
        (
            {"hot_interval_sec": 2},
            {"hot_interval_sec": ["Ensure this value is greater than or equal to 5."]},
        ),
        ({"activation_rule": "vibes"}, {"activation_rule": ['"vibes" is not a valid choice.']}),
        (
            {"excluded_dex_ids": "pump fun!"},
            {"excluded_dex_ids": ["Give a comma-separated list of plain names."]},
        ),
        (
            {"w_tx": -1, "ewma_alpha": 0},
            {
                "w_tx": ["Ensure this value is greater than or equal to 0.0."],
                "ewma_alpha": ["EWMA alpha must be above 0 and at most 1 (got 0.0)."],
            },
        ),
        ({"colour": "red"}, {"colour": ["Not a writable scoring setting."]}),
        ({"version": 9}, {"version": ["Not a writable scoring setting."]}),
        ({}, {"non_field_errors": ["Give at least one setting to change."]}),
        ([1, 2], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_bad_values_answer_400_field_by_field_and_save_nothing(
    staff_client: Client, body: Any, fields: dict[str, list[str]]
) -> None:
    response = patch(staff_client, body)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Some values are not valid; see fields.",
            "fields": fields,
        }
    }
    assert ScoringSettings.objects.count() == 2  # the versions the migrations write


def test_malformed_json_is_400(staff_client: Client) -> None:
    response = staff_client.patch(URL, "{not json", content_type="application/json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")


def test_an_anonymous_patch_is_401(client: Client) -> None:
    response = patch(client, {"w_tx": 0.4})

    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")
    assert ScoringSettings.objects.count() == 2  # the versions the migrations write


def test_a_non_staff_patch_is_403_even_with_an_api_token(
    client: Client, integrator_token: str
) -> None:
    session = Client()
    session.force_login(UserFactory(username="trader"))

    by_session = patch(session, {"w_tx": 0.4})
    by_token = patch(client, {"w_tx": 0.4}, HTTP_AUTHORIZATION=f"Token {integrator_token}")

    assert (by_session.status_code, by_token.status_code) == (403, 403)
    assert by_token.json()["error"] == {
        "code": "permission_denied",
        "message": "Only staff can change this.",
        "fields": {},
    }

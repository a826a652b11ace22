"""Clients and a known token for the API tests."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token as ApiToken

from tests.factories import StaffFactory, TokenFactory, UserFactory
from tokens.models import Token

MINT = "9BB6NFEcjBCtnNLFko2FqVQBq8HHM13kCyYcdQbgpump"
MIGRATED_AT = datetime(2025, 9, 18, 10, 0, tzinfo=UTC)
SCORED_AT = datetime(2025, 9, 18, 10, 5, tzinfo=UTC)

# The example token of the API docs, as the refresh path copies it onto the token row.
RAW = {
    "tx_accel": 0.8,
    "vol_momentum": 0.7,
    "token_freshness": 0.9,
    "orderflow_imbalance": 0.6,
    "final_score": 0.75,
}
SMOOTHED = {
    "tx_accel": 0.75,
    "vol_momentum": 0.68,
    "token_freshness": 0.85,
    "orderflow_imbalance": 0.58,
    "final_score": 0.72,
}
METRICS: dict[str, Any] = {
    "L_tot": 50000.0,
    "tx_5m": 25,
    "tx_1h": 240,
    "vol_5m": 1000.0,
    "vol_1h": 9000.0,
    "buys_5m": 15,
    "sells_5m": 10,
    "pool_count": 2,
    "primary_pair_address": "5Kmt5pDpnkEjzVuoHoCmzGeyEGa7ZcKEtQJYXvcfbm7h",
    "primary_dex_id": "pumpswap",
    "price_usd": 0.0012,
    "dp5": 0.05,
    "dp15": 0.02,
    "hours_since_migration": 0.0833,
    "data_quality_ok": True,
    "data_quality_issues": [],
    "fallback": None,
}


@pytest.fixture
def known_token(db: None) -> Token:
    token: Token = TokenFactory(
        mint_address=MINT,
        name="Token Name",
        symbol="TKN",
        image_url="https://example.com/tkn.png",
        status=Token.Status.ACTIVE,
        score=0.75,
        smoothed_score=0.72,
        raw_components=RAW,
        smoothed_components=SMOOTHED,
        scoring_model="hybrid_momentum",
        metrics=METRICS,
        liquidity_usd=50000.0,
        tx_5m=25,
        volume_5m=1000.0,
        pool_count=2,
        flags=["thin"],
        migrated_at=MIGRATED_AT,
        created_at=MIGRATED_AT,
        scored_at=SCORED_AT,
        last_updated_at=SCORED_AT,
        price_usd=0.0012,
        market_cap_usd=1_200_000.0,
        price_change_5m=5.0,
        price_change_1h=8.0,
    )
    return token


KNOWN_JSON = {
    "mint_address": MINT,
    "name": "Token Name",
    "symbol": "TKN",
    "image_url": "https://example.com/tkn.png",
    "status": "active",
    "score": 0.75,
    "smoothed_score": 0.72,
    "raw_components": RAW,
    "smoothed_components": SMOOTHED,
    "scoring_model": "hybrid_momentum",
    "metrics": METRICS,
    "liquidity_usd": 50000.0,
    "tx_5m": 25,
    "volume_5m": 1000.0,
    "pool_count": 2,
    "price_usd": 0.0012,
    "market_cap_usd": 1200000.0,
    "price_change_5m": 5.0,
    "price_change_1h": 8.0,
    "flags": ["thin"],
    "risk": {"checked_at": None, "complete": False, "flags": []},
    "migrated_at": "2025-09-18T10:00:00Z",
    "created_at": "2025-09-18T10:00:00Z",
    "scored_at": "2025-09-18T10:05:00Z",
    "last_updated_at": "2025-09-18T10:05:00Z",
    "hot": True,
}


@pytest.fixture
def staff(db: None) -> Any:
    return StaffFactory(username="staff")


@pytest.fixture
def staff_client(staff: Any) -> Client:
    """A staff session that sends the CSRF token, as the pages do."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    client.get("/admin/")  # its logout form sets the csrftoken cookie
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


@pytest.fixture
def staff_token(staff: Any) -> str:
    return str(ApiToken.objects.create(user=staff).key)


@pytest.fixture
def integrator_token(db: None) -> str:
    """An API token an admin created for a non-staff integrator."""
    return str(ApiToken.objects.create(user=UserFactory(username="integrator")).key)


@pytest.fixture
def throttle_rates(settings: Any) -> Any:
    """Set the API throttle rates for one test: throttle_rates(anon=..., user=..., write=...)."""

    def apply(**rates: str) -> None:
        current = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        }

    return apply

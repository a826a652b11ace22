"""GET /api/tokens/<mint>/ and /pools/: the token, its snapshots, its pools; 400 and 404."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from tests.api.conftest import KNOWN_JSON, MINT, RAW, SMOOTHED
from tests.factories import PoolFactory, TokenFactory, TokenScoreFactory, fake_address
from tokens.models import Token

# Snapshots of spec v1, shown under the settings v1 shipped with.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("v1_settings")]

T0 = datetime(2025, 9, 18, 10, 0, tzinfo=UTC)


def snapshots(token: Token, count: int) -> list[Any]:
    return [
        TokenScoreFactory(
            token=token,
            score=n / 10,
            smoothed_score=n / 20,
            raw_components=RAW,
            smoothed_components=SMOOTHED,
            metrics={"data_quality_ok": True, "data_quality_issues": [], "fallback": None},
            created_at=T0 + timedelta(minutes=n),
        )
        for n in range(count)
    ]


def snapshot_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "score": row.score,
        "smoothed_score": row.smoothed_score,
        "raw_components": RAW,
        "smoothed_components": SMOOTHED,
        "scoring_model": "hybrid_momentum",
        "metrics": {"data_quality_ok": True, "data_quality_issues": [], "fallback": None},
        "settings_version": 1,
        "flags": [],
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_it_renders_the_token_its_latest_snapshot_and_history(
    client: Client, known_token: Token
) -> None:
    rows = snapshots(known_token, 3)

    response = client.get(f"/api/tokens/{MINT}/", {"history_limit": 2})

    assert response.status_code == 200
    assert response.json() == {
        **KNOWN_JSON,
        "risk": {**KNOWN_JSON["risk"], "creator": "", "facts": {}},
        "latest": snapshot_json(rows[2]),
        "history": [snapshot_json(rows[2]), snapshot_json(rows[1])],
    }


def test_history_defaults_to_twenty_and_zero_still_gives_the_latest(
    client: Client, known_token: Token
) -> None:
    rows = snapshots(known_token, 25)

    default = client.get(f"/api/tokens/{MINT}/").json()
    none = client.get(f"/api/tokens/{MINT}/", {"history_limit": 0}).json()

    assert [item["id"] for item in default["history"]] == [row.pk for row in rows[::-1][:20]]
    assert (none["history"], none["latest"]["id"]) == ([], rows[-1].pk)


def test_a_token_never_scored_has_no_latest(client: Client) -> None:
    token = TokenFactory(mint_address=MINT)

    data = client.get(f"/api/tokens/{MINT}/").json()

    assert (data["latest"], data["history"], data["score"], data["metrics"]) == (None, [], None, {})
    assert data["mint_address"] == token.mint_address


def test_archived_tokens_keep_their_detail(client: Client) -> None:
    TokenFactory(mint_address=MINT, status=Token.Status.ARCHIVED)

    response = client.get(f"/api/tokens/{MINT}/")

    assert (response.status_code, response.json()["status"]) == (200, "archived")


@pytest.mark.parametrize("suffix", ["", "pools/"])
def test_an_unknown_mint_is_404(client: Client, suffix: str) -> None:
    mint = fake_address(424242)

    response = client.get(f"/api/tokens/{mint}/{suffix}")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": f"No token with mint {mint}.", "fields": {}}
    }


@pytest.mark.parametrize("mint", ["not-a-mint", "0OIl" * 10, "1" * 45, "a/b"])
@pytest.mark.parametrize("suffix", ["", "pools/"])
def test_a_malformed_mint_is_400(client: Client, mint: str, suffix: str) -> None:
    response = client.get(f"/api/tokens/{mint}/{suffix}")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_mint",
            "message": "Not a Solana mint address (base58, 32 bytes).",
            "fields": {"mint": [f"{mint!r} is not a Solana mint address (base58, 32 bytes)."]},
        }
    }


@pytest.mark.parametrize("value", ["-1", "501", "many"])
def test_a_bad_history_limit_is_400(client: Client, known_token: Token, value: str) -> None:
    response = client.get(f"/api/tokens/{MINT}/", {"history_limit": value})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["history_limit"]


def test_it_lists_the_pools_most_liquid_first(client: Client, known_token: Token) -> None:
    small = PoolFactory(
        token=known_token,
        pair_address=fake_address(1),
        dex_id="raydium",
        liquidity_usd=900.0,
        kept=True,
        labels=["CPMM"],
        url="https://dexscreener.com/solana/small",
        buys_5m=3,
        sells_5m=2,
        buys_1h=30,
        sells_1h=20,
        volume_5m=12.5,
        volume_1h=150.0,
        volume_24h=2000.0,
        price_usd=0.0012,
        price_change_5m=5.0,
        price_change_1h=8.0,
        market_cap_usd=1_200_000.0,
        pair_created_at=T0,
        updated_at=T0 + timedelta(minutes=5),
    )
    big = PoolFactory(token=known_token, pair_address=fake_address(2), liquidity_usd=50_000.0)
    PoolFactory(pair_address=fake_address(3))  # another token's

    response = client.get(f"/api/tokens/{MINT}/pools/")

    data = response.json()
    assert response.status_code == 200
    assert (data["mint_address"], [row["pair_address"] for row in data["results"]]) == (
        MINT,
        [big.pair_address, small.pair_address],
    )
    assert data["results"][1] == {
        "pair_address": small.pair_address,
        "dex_id": "raydium",
        "labels": ["CPMM"],
        "quote_symbol": "SOL",
        "url": "https://dexscreener.com/solana/small",
        "kept": True,
        "liquidity_usd": 900.0,
        "buys_5m": 3,
        "sells_5m": 2,
        "buys_1h": 30,
        "sells_1h": 20,
        "volume_5m": 12.5,
        "volume_1h": 150.0,
        "volume_24h": 2000.0,
        "price_usd": 0.0012,
        "price_change_5m": 5.0,
        "price_change_1h": 8.0,
        "market_cap_usd": 1200000.0,
        "pair_created_at": "2025-09-18T10:00:00Z",
        "updated_at": "2025-09-18T10:05:00Z",
    }

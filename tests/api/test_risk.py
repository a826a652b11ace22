"""Risk in the API: `flags` carries the risk check's flags after the snapshot's, `risk` says
when the chain was read and whether every fact was, the detail adds the facts, and the list
filters on flags."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from ingestion.models import RiskCheck
from moon.web.api.rows import rendered_rows
from moon.web.api.serializers import TokenSerializer
from tests.factories import TokenFactory
from tokens.models import Token

pytestmark = pytest.mark.django_db

URL = "/api/tokens/"
CHECKED = datetime(2025, 9, 18, 10, 1, 2, tzinfo=UTC)


def flagged(symbol: str, risk: list[str], *, flags: list[str] = (), complete: bool = True) -> Token:  # type: ignore[assignment]
    return TokenFactory(
        symbol=symbol,
        flags=list(flags),
        risk_flags=risk,
        risk_complete=complete,
        risk_checked_at=CHECKED,
    )


def symbols(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return sorted(row["symbol"] for row in response.json()["results"])


def test_a_token_lists_its_risk_and_every_flag(client: Client) -> None:
    flagged("MINT", ["mint_authority", "serial_creator"], flags=["young"])

    row = client.get(URL).json()["results"][0]

    assert row["flags"] == ["young", "mint_authority", "serial_creator"]
    assert row["risk"] == {
        "checked_at": "2025-09-18T10:01:02Z",
        "complete": True,
        "flags": ["mint_authority", "serial_creator"],
    }


def test_the_database_and_the_serializer_render_risk_alike() -> None:
    flagged("A", ["freeze_authority"], flags=["thin"])
    TokenFactory(symbol="B")
    tokens = Token.objects.order_by("id")

    fast = [json.loads(row) for row in rendered_rows(tokens)]
    slow = TokenSerializer(tokens, many=True, context={"min_score": 0.3}).data

    assert fast == [dict(row) for row in slow]
    assert fast[1]["risk"] == {"checked_at": None, "complete": False, "flags": []}


def test_the_list_filters_on_flags(client: Client) -> None:
    flagged("AUTH", ["mint_authority"])
    flagged("BOTH", ["mint_authority", "top10_concentrated"], flags=["thin"])
    flagged("CLEAN", [])
    flagged("UNKNOWN", [], complete=False)
    flagged("THIN", [], flags=["thin"])
    flagged("RUGGED", [], flags=["rugged"])

    assert symbols(client.get(URL, {"flags": "mint_authority"})) == ["AUTH", "BOTH"]
    assert symbols(client.get(URL, {"flags": "mint_authority,thin"})) == ["BOTH"]
    assert symbols(client.get(URL, {"flags": ["thin"], "exclude_flags": ["mint_authority"]})) == [
        "THIN"
    ]
    assert symbols(client.get(URL, {"exclude_flags": "mint_authority,thin"})) == [
        "CLEAN",
        "RUGGED",
        "UNKNOWN",
    ]
    # Unknown is not safe: hiding the risky keeps only complete checks without a risk flag,
    # and never a rugged token.
    assert symbols(client.get(URL, {"hide_risky": "true"})) == ["CLEAN", "THIN"]


def test_an_unknown_flag_is_refused_by_name(client: Client) -> None:
    response = client.get(URL, {"exclude_flags": "mint_authority,rugpull"})

    assert response.status_code == 400
    message = response.json()["error"]["fields"]["exclude_flags"][0]
    assert message.startswith('"rugpull" is not a flag; give young, thin, rugged')


def test_the_detail_carries_every_fact(client: Client) -> None:
    token = flagged("MINT", ["mint_authority"], complete=False)
    facts = {
        "mint_authority": {"value": "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU",
                           "source": "getMultipleAccounts (mint)", "at": "2025-09-18T10:01:01Z"},
        "top10_share": {"value": None, "source": "getTokenLargestAccounts",
                        "at": "2025-09-18T10:01:02Z", "error": "unsupported (error -32010)"},
    }  # fmt: skip
    RiskCheck.objects.create(
        token=token,
        checked_at=CHECKED,
        complete=False,
        flags=["mint_authority"],
        facts=facts,
        creator="7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU",
        calls=1.6,
    )

    risk = client.get(f"{URL}{token.mint_address}/").json()["risk"]

    assert risk == {
        "checked_at": "2025-09-18T10:01:02Z",
        "complete": False,
        "flags": ["mint_authority"],
        "creator": "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU",
        "facts": facts,
    }

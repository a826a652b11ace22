"""Risk on the pages: badges beside the symbol, a panel on the token page that says what is
risky, what is fine and what could not be read, and a "hide risky" filter."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import timezone

from ingestion.models import RiskCheck
from tests.factories import TokenFactory
from tests.pages.html import parse
from tokens.models import Token

pytestmark = pytest.mark.django_db

CREATOR = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"
AT = "2026-03-01T12:00:00Z"
FACTS = {
    "mint_authority": {"value": CREATOR, "source": "getMultipleAccounts (mint)", "at": AT},
    "freeze_authority": {"value": None, "source": "getMultipleAccounts (mint)", "at": AT},
    "token_program": {"value": "spl-token-2022", "source": "getMultipleAccounts (mint)", "at": AT},
    "dangerous_extensions": {
        "value": ["transferHook"],
        "source": "getMultipleAccounts (mint)",
        "at": AT,
    },
    "top10_share": {
        "value": None,
        "source": "getTokenLargestAccounts",
        "at": AT,
        "error": "unsupported: excluded from account secondary indexes (error -32010)",
    },
    "creator": {"value": CREATOR, "source": "PumpSwap pool (coin creator)", "at": AT},
    "creator_share": {"value": 0.0421, "source": "getMultipleAccounts", "at": AT},
    "creator_launches_7d": {"value": 5, "source": "PumpPortal launches", "at": AT},
    "top_holders": {
        "value": [
            {"account": "A" * 43, "owner": "B" * 43, "amount": "2", "share": 0.2061,
             "kind": "program", "label": "PumpSwap pool"},
            {"account": "C" * 43, "owner": CREATOR, "amount": "1", "share": 0.0421,
             "kind": "wallet", "label": "wallet"},
        ],
        "source": "getTokenLargestAccounts, getMultipleAccounts",
        "at": AT,
    },
}  # fmt: skip
FLAGS = ["mint_authority", "token2022_danger", "serial_creator"]


def risky_token() -> Token:
    token = TokenFactory(
        symbol="RISK", flags=["young"], risk_flags=FLAGS, risk_complete=False,
        risk_checked_at=timezone.now(),
    )  # fmt: skip
    RiskCheck.objects.create(
        token=token, checked_at=datetime(2026, 3, 1, 12, tzinfo=UTC), complete=False,
        flags=FLAGS, facts=FACTS, creator=CREATOR, calls=1.6,
    )  # fmt: skip
    return token


def test_the_token_page_shows_the_risk_panel(client: Client) -> None:
    token = risky_token()

    page = parse(client.get(f"/tokens/{token.mint_address}/").content.decode())
    rows = {row.attrs["data-risk"]: row for row in page.find_all("tr") if "data-risk" in row.attrs}

    panel = page.find_all("section", id="risk")[0]
    assert "incomplete" in panel.text()
    assert rows["mint_authority"].classes() == {"risk-risky"}
    assert rows["freeze_authority"].classes() == {"risk-ok"}
    assert "revoked" in rows["freeze_authority"].text()
    assert "transferHook" in rows["dangerous_extensions"].text()
    assert rows["top10_share"].classes() == {"risk-unknown"}
    assert "-32010" in rows["top10_share"].text()
    assert "4.2% (flag above 10.0%)" in rows["creator_share"].text()
    assert rows["creator_launches_7d"].classes() == {"risk-risky"}
    assert "PumpSwap pool (coin creator)" in rows["creator"].text()
    holders = [row for row in page.find_all("tr") if "data-holder-kind" in row.attrs]
    kinds = [row.attrs["data-holder-kind"] for row in holders]
    assert kinds == ["program", "wallet"]
    assert "not counted" in page.find_all("tr", data_holder_kind="program")[0].text()
    badges = [b.attrs["data-flag"] for b in page.find_all("span", class_="risk")]
    assert badges == FLAGS


def test_a_token_never_checked_says_so(client: Client) -> None:
    token = TokenFactory()

    page = parse(client.get(f"/tokens/{token.mint_address}/").content.decode())

    assert "Not checked yet" in page.find_all("section", id="risk")[0].text()


def test_the_dashboard_badges_risk_and_hides_the_risky_on_request(client: Client) -> None:
    risky_token()
    TokenFactory(symbol="CLEAN", risk_complete=True, risk_checked_at=timezone.now())
    TokenFactory(symbol="UNCHECKED")

    every = parse(client.get("/").content.decode())
    safe = parse(client.get("/", {"hide_risky": "on"}).content.decode())

    symbols = sorted(node.text() for node in every.find_all("b", class_="symbol"))
    assert symbols == ["CLEAN", "RISK", "UNCHECKED"]
    badges = [b.attrs["data-flag"] for b in every.find_all("span", class_="flag")]
    assert badges == ["young", *FLAGS]
    assert [node.text() for node in safe.find_all("b", class_="symbol")] == ["CLEAN"]
    assert safe.find_all("input", name="hide_risky")[0].attrs.get("checked") is not None

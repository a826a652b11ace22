"""The risk panel against the sandbox chain, whose tokens carry live authorities, dangerous
Token-2022 extensions, concentrated and spread holders and serial creators: every flag is
raised exactly where the market put its cause, vault-held supply never counts, and a node that
refuses a method leaves that fact unknown instead of failing the check."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from ingestion.clients.ratelimit import LocalTokenBucket
from ingestion.clients.solana_rpc import SolanaRpcClient
from ingestion.models import Creation, RiskCheck
from ingestion.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from ingestion.sandbox.book import PROGRAM_ROLES
from ingestion.services.risk import BATCH, risk_check
from moon.lib.events import EVENTS_STREAM, Event
from scoring.engine.risk import RISK_FLAGS
from tests.factories import TokenFactory
from tokens.models import Token

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(180)]

MARKET = SandboxConfig(
    port=0, seed=5, speed=0, tokens=60, preseed_hours=3, migrations_per_hour=0, creates_per_minute=0
)
EXTENSIONS = (
    "permanentDelegate",
    "transferHook",
    "transferFeeConfig",
    "defaultAccountState",
    "nonTransferable",
)
FORCED = [
    {"mint_authority": True},
    {"freeze_authority": True},
    *({"extension": name} for name in EXTENSIONS),
    {"holders": "concentrated"},
    {"holders": "creator"},
    {"holders": "spread", "burn_share": 0.05},
    {"token_program": "spl-token"},
    {"serial_creator": True},
]


@pytest.fixture(scope="module")
def market() -> Iterator[SandboxHandle]:
    with running_sandbox(MARKET) as handle:
        for traits in FORCED:
            handle.migrate_now(traits=traits)
        yield handle


@pytest.fixture
def rpc(market: SandboxHandle) -> Iterator[SolanaRpcClient]:
    market.set_faults(reset=True)
    with SolanaRpcClient(
        market.rpc_url,
        limiter=LocalTokenBucket(60_000, burst=1000),
        backoff_base=0.01,
        backoff_max=0.02,
        commitment="confirmed",
        deadline=3.0,
    ) as client:
        yield client
    market.set_faults(reset=True)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def register(market: SandboxHandle) -> tuple[dict[str, dict[str, Any]], list[Token]]:
    """Every graduated token as moon's, and the serial creators' launches as the feed would
    have reported them."""
    truth = {token["mint"]: token for token in market.tokens()}
    for creator in market.creators():
        for launch in creator["launches"]:
            Creation.objects.get_or_create(
                mint_address=launch["mint"],
                defaults={
                    "creator": creator["creator"],
                    "created_at": _at(launch["created_at_ms"]),
                },
            )
    tokens = [
        TokenFactory(mint_address=mint, migrated_at=_at(token["migrated_at_ms"]))
        for mint, token in truth.items()
    ]
    return truth, tokens


def check_all(tokens: list[Token], rpc: SolanaRpcClient) -> int:
    calls = 0
    for start in range(0, len(tokens), BATCH):
        calls += risk_check(tokens[start : start + BATCH], client=rpc).calls
    return calls


def other_launches(market: SandboxHandle, creator: str, mint: str) -> int:
    since = market.clock()["now_ms"] - timedelta(days=7) / timedelta(milliseconds=1)
    return sum(
        launch["mint"] != mint and launch["created_at_ms"] >= since
        for entry in market.creators()
        if entry["creator"] == creator
        for launch in entry["launches"]
    )


def test_each_flag_is_raised_exactly_where_the_market_put_its_cause(
    market: SandboxHandle, rpc: SolanaRpcClient
) -> None:
    truth, tokens = register(market)
    calls = check_all(tokens, rpc)

    seen: set[str] = set()
    for check in RiskCheck.objects.select_related("token"):
        mint = check.token.mint_address
        risk, holders, facts = truth[mint]["risk"], market.holders(mint), check.facts
        serial = other_launches(market, truth[mint]["creator"], mint) >= 3
        expected = {
            "mint_authority": risk["mint_authority"] is not None,
            "freeze_authority": risk["freeze_authority"] is not None,
            "token2022_danger": risk["dangerous_extension"] is not None,
            "top10_concentrated": holders["top10_share"] > 0.5,
            "creator_holds": holders["creator_share"] > 0.1,
            "serial_creator": serial,
        }
        assert check.flags == [flag for flag in RISK_FLAGS if expected[flag]], mint
        assert check.complete, {k: v for k, v in facts.items() if "error" in v}
        assert facts["token_program"]["value"] == risk["token_program"]
        assert facts["mint_authority"]["value"] == risk["mint_authority"]
        dangerous = [risk["dangerous_extension"]] if risk["dangerous_extension"] else []
        assert facts["dangerous_extensions"]["value"] == dangerous
        assert facts["top10_share"]["value"] == pytest.approx(holders["top10_share"], abs=1e-5)
        assert facts["creator_share"]["value"] == pytest.approx(holders["creator_share"], abs=1e-5)
        assert facts["creator"]["value"] == truth[mint]["creator"]
        # Pools, the curve and the burn address are told from wallets by who owns them.
        roles = {row["address"]: row["role"] for row in holders["accounts"]}
        for row in facts["top_holders"]["value"]:
            assert (row["kind"] != "wallet") == (roles[row["account"]] in PROGRAM_ROLES), row
        for fact in facts.values():
            assert fact["source"]
            assert fact["at"]
        token = check.token
        token.refresh_from_db()
        assert (token.risk_flags, token.risk_complete) == (check.flags, True)
        assert token.risk_checked_at == check.checked_at
        assert check.calls <= 6
        seen.update(check.flags)

    assert seen == set(RISK_FLAGS)  # the forced causes make every flag appear at least once
    assert calls <= 2 * len(tokens)  # batched: well under the 6 calls a token allowed


def test_a_check_tells_the_flags_it_raised_once_committed(
    market: SandboxHandle,
    rpc: SolanaRpcClient,
    redis_client: redis.Redis,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, tokens = register(market)
    with django_capture_on_commit_callbacks(execute=True):
        check_all(tokens, rpc)

    told = [Event.from_entry(i, e) for i, e in redis_client.xrange(EVENTS_STREAM)]
    flagged = {
        check.token.mint_address: check.flags
        for check in RiskCheck.objects.select_related("token")
        if check.flags
    }
    assert {event.mint: event.data["added"] for event in told} == flagged
    assert {event.kind for event in told} == {"flags"}
    assert all(event.data["removed"] == [] for event in told)


def test_a_vault_holding_most_of_the_supply_is_not_concentration(
    market: SandboxHandle, rpc: SolanaRpcClient
) -> None:
    _, tokens = register(market)
    check_all(tokens, rpc)

    for check in RiskCheck.objects.all():
        rows = check.facts["top_holders"]["value"]
        vaults = [row for row in rows if row["kind"] != "wallet"]
        assert vaults, "every graduated coin has its PumpSwap vault among the largest accounts"
        assert any(row["label"] == "PumpSwap pool" for row in vaults)
        wallets = sorted(float(row["share"]) for row in rows if row["kind"] == "wallet")
        assert check.facts["top10_share"]["value"] == pytest.approx(sum(wallets[-10:]), abs=1e-5)


def test_without_the_largest_accounts_the_panel_goes_on(
    market: SandboxHandle, rpc: SolanaRpcClient
) -> None:
    """The public endpoint refuses getTokenLargestAccounts (-32010): concentration is
    unknown, everything else is read."""
    market.set_faults(rpc_no_token_index=True)
    _, tokens = register(market)
    check_all(tokens[:BATCH], rpc)

    for check in RiskCheck.objects.select_related("token"):
        facts = check.facts
        assert not check.complete
        assert "-32010" in facts["top10_share"]["error"]
        assert "top10_concentrated" not in check.flags
        assert facts["mint_authority"].get("error") is None
        holders = market.holders(check.token.mint_address)
        assert facts["creator_share"]["value"] == pytest.approx(holders["creator_share"], abs=1e-5)
        assert check.token.risk_complete is False


def test_a_node_that_fails_every_call_leaves_every_fact_unknown(
    market: SandboxHandle, rpc: SolanaRpcClient
) -> None:
    market.set_faults(rpc_error_rate=1.0, rpc_error="internal")
    _, tokens = register(market)
    report = risk_check(tokens[:3], client=rpc)

    assert (report.checked, report.complete) == (3, 0)
    for check in RiskCheck.objects.all():
        assert check.flags == []
        unknown = {name for name, fact in check.facts.items() if "error" in fact}
        assert {
            "mint_authority",
            "freeze_authority",
            "top10_share",
            "creator_launches_7d",
        } <= unknown

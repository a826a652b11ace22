"""SolanaRpcClient against the sandbox's simulated chain: every method, paging, each error kind.

The sandbox answers in the real shapes and agrees with its own market, so what the client reads
can be checked against the market's ground truth (tokens, holders, migrations)."""

from collections.abc import Iterator

import pytest

from ingestion.clients.pump_migrations import MIGRATION_ACCOUNT
from ingestion.clients.ratelimit import LocalTokenBucket
from ingestion.clients.solana_rpc import SolanaRpcClient, SolanaRpcError
from ingestion.sandbox import SandboxConfig, SandboxHandle, running_sandbox

pytestmark = [pytest.mark.pure, pytest.mark.timeout(120)]

MARKET = SandboxConfig(
    port=0,
    seed=3,
    speed=1,
    tokens=12,
    preseed_hours=2,
    migrations_per_hour=0,
    creates_per_minute=0,
)


@pytest.fixture(scope="module")
def market() -> Iterator[SandboxHandle]:
    with running_sandbox(MARKET) as handle:
        yield handle


@pytest.fixture
def client(market: SandboxHandle) -> Iterator[SolanaRpcClient]:
    market.set_faults(reset=True)
    with SolanaRpcClient(
        market.rpc_url,
        limiter=LocalTokenBucket(60_000, burst=1000),
        backoff_base=0.01,
        backoff_max=0.05,
        commitment="confirmed",
    ) as rpc:
        yield rpc
    market.set_faults(reset=True)


def test_it_reads_each_mint_as_the_market_made_it(
    market: SandboxHandle, client: SolanaRpcClient
) -> None:
    tokens = market.tokens()
    for token in tokens:
        mint = client.get_mint(token["mint"])
        assert mint is not None
        traits = token["risk"]
        assert (mint.mint_authority is not None) == bool(traits.get("mint_authority"))
        assert (mint.freeze_authority is not None) == bool(traits.get("freeze_authority"))
        assert mint.is_token_2022 == (traits.get("token_program") != "spl-token")
    accounts = client.get_multiple_accounts([t["mint"] for t in tokens])
    assert [a.address if a else None for a in accounts] == [t["mint"] for t in tokens]
    assert client.get_account_info(tokens[0]["mint"]) is not None


def test_supply_and_holders_agree_with_the_market(
    market: SandboxHandle, client: SolanaRpcClient
) -> None:
    mint = market.tokens()[0]["mint"]
    truth = market.holders(mint)

    supply = client.get_token_supply(mint)
    largest = client.get_token_largest_accounts(mint)
    owner = next(a["owner"] for a in truth["accounts"] if a["address"] == largest[0].address)
    by_owner = client.get_token_accounts_by_owner(owner, mint=mint)

    listed = {a["address"] for a in truth["accounts"]}
    assert supply.amount > 0
    assert 0 < len(largest) <= 20
    assert [a.amount for a in largest] == sorted((a.amount for a in largest), reverse=True)
    assert {a.address for a in largest} <= listed
    assert [a.mint for a in by_owner] == [mint] * len(by_owner)
    assert largest[0].address in {a.address for a in by_owner}


def test_the_migration_account_pages_with_before_and_until(
    market: SandboxHandle, client: SolanaRpcClient
) -> None:
    everything = client.get_signatures_for_address(MIGRATION_ACCOUNT, limit=1000)
    first = client.get_signatures_for_address(MIGRATION_ACCOUNT, limit=5)
    second = client.get_signatures_for_address(
        MIGRATION_ACCOUNT, limit=5, before=first[-1].signature
    )
    tail = client.get_signatures_for_address(MIGRATION_ACCOUNT, until=everything[3].signature)
    paged = list(client.iter_signatures(MIGRATION_ACCOUNT, page_size=7))

    assert [s.signature for s in first + second] == [s.signature for s in everything[:10]]
    assert [s.signature for s in tail] == [s.signature for s in everything[:3]]
    assert [s.signature for s in paged] == [s.signature for s in everything]
    truth = {tx["signature"]: tx for tx in market.chain_migrations()}
    assert {s.signature for s in everything} == set(truth)
    assert [s.failed for s in everything] == [
        truth[s.signature]["err"] is not None for s in everything
    ]


def test_a_migration_transaction_names_its_mint(
    market: SandboxHandle, client: SolanaRpcClient
) -> None:
    migration = next(tx for tx in market.chain_migrations() if tx["kind"] == "migrate")

    transaction = client.get_transaction(migration["signature"])

    assert transaction is not None
    assert (transaction.failed, transaction.block_time) == (False, migration["block_time"])
    assert migration["mint"] in transaction.account_keys


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        ({"rpc_http429_next": 99}, "rate_limited"),
        ({"rpc_error_next": 99, "rpc_error": "node_behind"}, "node_behind"),
        ({"rpc_error_next": 99, "rpc_error": "internal"}, "internal"),
    ],
)
def test_each_transient_error_is_retried_then_reported(
    market: SandboxHandle, client: SolanaRpcClient, faults: dict[str, object], kind: str
) -> None:
    market.set_faults(**faults)

    with pytest.raises(SolanaRpcError) as raised:
        client.get_slot()

    assert raised.value.kind == kind
    assert 2 <= raised.value.attempts <= client.max_attempts  # retried, then given up


def test_a_transient_error_that_clears_costs_a_retry_only(
    market: SandboxHandle, client: SolanaRpcClient
) -> None:
    market.set_faults(rpc_error_next=1, rpc_error="node_behind")

    assert client.get_slot() > 0


def test_a_missing_token_index_is_permanent_for_the_call(
    market: SandboxHandle, client: SolanaRpcClient
) -> None:
    market.set_faults(rpc_no_token_index=True)

    with pytest.raises(SolanaRpcError) as raised:
        client.get_token_largest_accounts(market.tokens()[0]["mint"])

    assert (raised.value.code, raised.value.kind, raised.value.attempts) == (
        -32010,
        "unsupported",
        1,
    )


def test_pruned_history_is_reported_as_pruned(
    market: SandboxHandle, client: SolanaRpcClient
) -> None:
    old = min(market.chain_migrations(), key=lambda tx: tx["block_time"])
    market.set_faults(rpc_history_horizon_s=60, rpc_history_mode="skipped")

    with pytest.raises(SolanaRpcError) as raised:
        client.get_transaction(old["signature"])

    assert raised.value.kind == "pruned"

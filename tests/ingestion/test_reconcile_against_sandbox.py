"""The listener and the reconciler against the sandbox market: the feed loses migrations, the
simulated chain keeps them, and moon ends up with every one exactly once."""

import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from ingestion.clients.ratelimit import LocalTokenBucket
from ingestion.clients.solana_rpc import SolanaRpcClient
from ingestion.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from ingestion.services.coverage import intake_status
from ingestion.services.reconcile import migrations_reconcile
from tests.ingestion.test_against_sandbox import wait_subscribed
from tests.ingestion.test_listen_pumpfun import start_listener, stop, wait_for
from tokens.models import Token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

MARKET = SandboxConfig(port=0, seed=21, speed=1, migrations_per_hour=0, creates_per_minute=30)


def chain_client(market: SandboxHandle) -> SolanaRpcClient:
    return SolanaRpcClient(
        market.rpc_url, limiter=LocalTokenBucket(60_000, burst=1000), backoff_base=0.01
    )


def graduate(market: SandboxHandle, count: int) -> dict[str, int]:
    """Graduate ``count`` tokens now; mint -> block time of its migration."""
    mints = [market.migrate_now()["mint"] for _ in range(count)]
    truth = {token["mint"]: token["migrated_at_ms"] // 1000 for token in market.tokens()}
    return {mint: truth[mint] for mint in mints}


def test_what_the_feed_lost_the_chain_gives_back() -> None:
    with running_sandbox(MARKET) as market:
        market.set_faults(ws_omit_migration_rate=0.5)
        listener = start_listener(market)
        try:
            wait_for(lambda: market.stats()["ws"]["open"] == 1)
            wait_subscribed(market)
            graduated = graduate(market, 10)
            omitted = set(market.stats()["omitted_migrations"]["mints"])
            delivered = set(graduated) - omitted
            wait_for(lambda: Token.objects.count() == len(delivered))
        finally:
            code, output = stop(listener)
        with chain_client(market) as client:
            floor = time.time() - 3600
            report = migrations_reconcile(client=client, hours=1)
            again = migrations_reconcile(client=client)
        # What the migration account really holds over the hour, as the sandbox knows it.
        truth = [tx for tx in market.chain_migrations() if tx["block_time"] >= floor]
        kinds = Counter(tx["kind"] for tx in truth)

    assert code == 0, output
    assert 0 < len(omitted) < 10  # the seed loses some, not all
    assert sorted(Token.objects.values_list("mint_address", "source")) == sorted(
        [(mint, "chain") for mint in omitted] + [(mint, "feed") for mint in delivered]
    )
    for mint in omitted:  # registered at the block time of their migration
        token = Token.objects.get(mint_address=mint)
        assert token.migrated_at == datetime.fromtimestamp(graduated[mint], UTC)
    assert sorted(report.registered_mints) == sorted(omitted)
    assert (report.result, report.listed, report.known, report.failed) == (
        "ok",
        len(truth),
        len(delivered),
        sum(tx["err"] is not None for tx in truth),
    )
    assert (report.read, report.noise) == (
        len(truth) - report.failed - len(delivered),
        len(truth) - report.failed - kinds["migrate"],
    )
    assert (again.result, again.registered) == ("ok", 0)
    hour = intake_status(now=timezone.now()).last_hour
    assert (hour.on_chain, hour.heard_by_feed, sorted(hour.missed_mints)) == (
        10,
        len(delivered),
        sorted(omitted),
    )


def test_a_flaky_node_costs_a_run_not_a_migration() -> None:
    config = SandboxConfig(port=0, seed=4, speed=1, migrations_per_hour=0)
    with running_sandbox(config) as market:
        graduated = graduate(market, 4)
        market.set_faults(
            rpc_error_rate=1.0, rpc_error="node_behind", rpc_error_method="getTransaction"
        )
        with chain_client(market) as client:
            client.max_attempts = 1
            failed = migrations_reconcile(client=client, hours=1)
            market.set_faults(rpc_error_rate=0.0)
            recovered = migrations_reconcile(client=client)

    assert (failed.result, failed.registered) == ("partial", 0)
    assert "node_behind" in failed.error
    assert recovered.result == "ok"
    assert sorted(Token.objects.values_list("mint_address", flat=True)) == sorted(graduated)

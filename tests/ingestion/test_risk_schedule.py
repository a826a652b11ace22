"""Which tokens a risk run reads first, one run at a time, and `manage.py check_risk`."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from django.core.management import CommandError, call_command
from django.utils import timezone

from ingestion.clients.ratelimit import LocalTokenBucket
from ingestion.clients.solana_rpc import SolanaRpcClient
from ingestion.models import RiskCheck
from ingestion.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from ingestion.services.risk import LOCK_KEY, risk_check_due, tokens_due_for_risk
from ingestion.services.solana import solana_rpc_client
from tests.factories import TokenFactory
from tokens.models import Token

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(120)]

MARKET = SandboxConfig(
    port=0, seed=9, speed=0, tokens=14, preseed_hours=2, migrations_per_hour=0, creates_per_minute=0
)


@pytest.fixture(scope="module")
def market() -> Iterator[SandboxHandle]:
    with running_sandbox(MARKET) as handle:
        yield handle


@pytest.fixture
def rpc(market: SandboxHandle, settings) -> Iterator[SolanaRpcClient]:  # type: ignore[no-untyped-def]
    settings.SOLANA_RPC_URL = market.rpc_url
    solana_rpc_client.cache_clear()  # the command builds the process's client from settings
    with SolanaRpcClient(
        market.rpc_url, limiter=LocalTokenBucket(60_000, burst=1000), commitment="confirmed"
    ) as client:
        yield client
    solana_rpc_client.cache_clear()


def test_never_checked_come_first_then_hot_then_the_longest_waiting() -> None:
    now = timezone.now()
    old = now - timedelta(minutes=30)
    cold_stale = TokenFactory(symbol="COLD", smoothed_score=0.1, risk_checked_at=old)
    hot_stale = TokenFactory(symbol="HOT", smoothed_score=0.9, risk_checked_at=old)
    # Among the stale, the longest waiting first, however new the token.
    hot_newer = TokenFactory(
        symbol="HOT2", smoothed_score=0.9, risk_checked_at=old + timedelta(minutes=1),
        migrated_at=now,
    )  # fmt: skip
    TokenFactory(symbol="RECENT", smoothed_score=0.9, risk_checked_at=now)
    TokenFactory(symbol="GONE", status=Token.Status.ARCHIVED)
    older = TokenFactory(symbol="NEW1", migrated_at=now - timedelta(minutes=5))
    newer = TokenFactory(symbol="NEW2", migrated_at=now)

    due = tokens_due_for_risk(now=now, recheck_minutes=5, min_score=0.3)

    assert list(due) == [newer, older, hot_stale, hot_newer, cold_stale]


def test_a_run_reads_what_is_due_and_a_second_run_waits(
    market: SandboxHandle, rpc: SolanaRpcClient, redis_client: redis.Redis
) -> None:
    for token in market.tokens():
        TokenFactory(mint_address=token["mint"])

    redis_client.set(LOCK_KEY, "another run", ex=60)
    busy = risk_check_due(client=rpc)
    redis_client.delete(LOCK_KEY)
    report = risk_check_due(client=rpc)
    again = risk_check_due(client=rpc)

    assert (busy.result, busy.checked) == ("busy", 0)
    assert (report.result, report.checked, report.complete) == ("ok", 14, 14)
    assert report.calls <= 2 * 14
    assert again.checked == 0  # nothing is due until risk_recheck_minutes have passed
    assert RiskCheck.objects.count() == 14


def test_the_command_checks_the_given_mints_and_prints_them(
    market: SandboxHandle, rpc: SolanaRpcClient, capsys: pytest.CaptureFixture[str]
) -> None:
    mints = [token["mint"] for token in market.tokens()[:2]]
    for mint in mints:
        TokenFactory(mint_address=mint, symbol="RK")

    call_command("check_risk", "--mint", mints[0], "--mint", mints[1])

    out = capsys.readouterr().out
    assert out.count("(complete)") == 2
    assert all(mint in out for mint in mints)
    assert "2 tokens checked (2 complete)" in out


def test_the_command_refuses_what_it_cannot_check() -> None:
    with pytest.raises(CommandError, match="not a Solana address: nope"):
        call_command("check_risk", "--mint", "nope")
    with pytest.raises(
        CommandError, match="unknown to moon: 7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"
    ):
        call_command("check_risk", "--mint", "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU")

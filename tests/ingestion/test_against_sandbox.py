"""moon's real clients and listener against the sandbox market's real servers."""

import threading
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from ingestion.clients.dexscreener import DexScreenerClient
from ingestion.clients.ratelimit import RedisTokenBucket
from ingestion.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from scoring.models import TokenScore
from scoring.services.refresh import tokens_refresh
from tests.factories import TokenFactory
from tests.ingestion.test_listen_pumpfun import start_listener, stop, wait_for
from tokens.models import Token

START_MS = 1_772_427_561_000
pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def market() -> Iterator[SandboxHandle]:
    config = SandboxConfig(
        port=0, seed=3, speed=0, start_ms=START_MS, migrations_per_hour=0, tokens=95
    )
    with running_sandbox(config) as handle:
        yield handle


def client(
    market: SandboxHandle, *, rpm: int = 6000, prefix: str = "moon:test"
) -> DexScreenerClient:
    bucket = RedisTokenBucket(redis.Redis.from_url(settings.REDIS_URL), prefix, rpm)
    return DexScreenerClient(market.http_url, limiter=bucket, backoff_base=0.01, acquire_timeout=60)


def mints(market: SandboxHandle, count: int) -> list[str]:
    return [token["mint"] for token in market.tokens(limit=count)]


def test_95_tokens_cost_4_batch_requests(market: SandboxHandle) -> None:
    wanted = mints(market, 95)

    result = client(market).fetch_pairs(wanted)

    assert (sorted(result.pairs), result.errors, result.requests) == (sorted(wanted), {}, 4)
    assert market.stats()["requests"] == {
        "tokens": 4,
        "token_pairs": 0,
        "latest_dex": 0,
        "total": 4,
    }


def test_a_token_left_out_of_a_batch_is_asked_alone(market: SandboxHandle) -> None:
    wanted = mints(market, 3)
    market.set_faults(omit_rate=1.0)

    result = client(market).fetch_pairs(wanted)

    assert (sorted(result.pairs), result.errors) == (sorted(wanted), {})
    assert market.stats()["requests"] == {
        "tokens": 1,
        "token_pairs": 3,
        "latest_dex": 0,
        "total": 4,
    }


@pytest.mark.django_db
def test_malformed_json_marks_the_affected_tokens_not_the_process(market: SandboxHandle) -> None:
    first, second = (
        [TokenFactory(mint_address=m) for m in mints(market, 35)[:30]],
        [TokenFactory(mint_address=m) for m in mints(market, 35)[30:]],
    )
    market.set_faults(malformed_next=1)

    report = tokens_refresh(token_ids=[t.pk for t in first + second], fetcher=client(market))

    fallbacks = dict(TokenScore.objects.values_list("token__mint_address", "metrics__fallback"))
    assert (report.outcomes["fallback"], report.tokens) == (30, 35)
    assert {fallbacks[t.mint_address] for t in first} == {"fallback"}
    # The second batch was scored from real data (some pools may carry warnings: degraded).
    assert {fallbacks[t.mint_address] for t in second} <= {None, "degraded"}
    issue = TokenScore.objects.filter(token=first[0]).get().metrics["data_quality_issues"][0]
    assert (issue["code"], issue["message"].split(":")[0]) == ("fetch_failed", "malformed")


def test_429s_slow_every_process_down_and_lose_nothing(market: SandboxHandle) -> None:
    wanted = mints(market, 90)
    market.set_faults(rate_limit_rpm=2, rate_limit_window_s=3, retry_after="alternate")
    results = []

    def fetch(part: list[str]) -> None:
        results.append(client(market, prefix="moon:shared").fetch_pairs(part))

    workers = [threading.Thread(target=fetch, args=(wanted[i::2],)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    fetched = {mint for result in results for mint in result.pairs}
    stats = market.stats()
    assert (fetched, [r.errors for r in results]) == (set(wanted), [{}, {}])
    assert stats["rate_limited"] >= 1
    # Both processes shared one budget: after the first 429 they waited instead of hammering.
    assert stats["rate_limited"] <= 3


def wait_subscribed(market: SandboxHandle) -> None:
    """An open socket is not yet a subscribed one: wait for a creation frame to reach it, which
    the feed sends only after both subscriptions (migrations first) were processed."""
    sent = market.stats()["frames"]["create"]
    wait_for(lambda: market.stats()["frames"]["create"] > sent)


@pytest.mark.django_db(transaction=True)
def test_the_listener_takes_a_burst_with_duplicates_and_survives_drops_and_silence() -> None:
    config = SandboxConfig(port=0, seed=5, speed=60, migrations_per_hour=0, creates_per_minute=30)
    with running_sandbox(config) as market:
        listener = start_listener(market, silence_seconds=1.0)
        try:
            wait_for(lambda: market.stats()["ws"]["open"] == 1)
            wait_subscribed(market)
            burst = [market.migrate_now()["mint"] for _ in range(5)]
            market.migrate_now(burst[0])  # the same migration again
            wait_for(lambda: Token.objects.count() == 5)

            market.drop_ws_now()
            wait_for(lambda: market.stats()["ws"]["opened"] == 2)
            wait_subscribed(market)
            after_drop = market.migrate_now()["mint"]
            wait_for(lambda: Token.objects.filter(mint_address=after_drop).exists())

            market.set_faults(ws_silent=True)
            opened = market.stats()["ws"]["opened"]
            wait_for(lambda: market.stats()["ws"]["opened"] > opened)  # reconnected on silence
            market.set_faults(ws_silent=False)
            wait_for(lambda: market.stats()["ws"]["open"] == 1)
            wait_subscribed(market)
            after_silence = market.migrate_now()["mint"]
            wait_for(lambda: Token.objects.filter(mint_address=after_silence).exists())
        finally:
            code, output = stop(listener)

    assert sorted(Token.objects.values_list("mint_address", flat=True)) == sorted(
        [*burst, after_drop, after_silence]
    )
    assert code == 0, output

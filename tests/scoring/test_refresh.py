"""The refresh path: DexScreener answers in the real shape -> snapshots, pools, token rows."""

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ingestion.clients.dexscreener import DexScreenerClient
from ingestion.clients.ratelimit import LocalTokenBucket
from scoring.models import TokenScore
from scoring.services.refresh import tokens_refresh
from scoring.services.settings import scoring_settings_save
from tests.factories import TokenFactory, fake_address
from tests.pairs import FakeDexScreener, pair
from tokens.models import Pool, Token

# Exact numbers of scoring spec v1 on its own weights.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("v1_settings")]

# The example pair (tests/data/pair_example.json), scored by hand with the default weights:
# tx_5m = 529 + 424 = 953, tx_1h = 4523 + 4357 = 8880
# tx_accel = (953 / 5) / (8880 / 60) = 1.2878378...
# vol_momentum = 54232.17 / (305644.82 / 12) = 2.1292231...
# token_freshness = 1 (migrated just now), orderflow_imbalance = (529 - 424) / 953 = 0.1101783...
TX_ACCEL, VOL_MOMENTUM, IMBALANCE = 1.287837837837838, 2.129223194425477, 0.11017838405036726
EXAMPLE_SCORE = 0.25 * (TX_ACCEL + VOL_MOMENTUM + 1.0 + IMBALANCE)  # 1.1318098...


def client_for(fake: FakeDexScreener) -> DexScreenerClient:
    return DexScreenerClient(
        "http://dexscreener.test",
        limiter=LocalTokenBucket(6000),
        http=httpx.Client(transport=fake.transport()),
        sleep=lambda _seconds: None,
    )


def with_pools(token: Token, *extra_dexes: str) -> list[dict]:
    pools = [pair(token.mint_address, fake_address(hash(token.mint_address) % 10**6))]
    for n, dex in enumerate(extra_dexes):
        pools.append(pair(token.mint_address, fake_address(n + 7 * 10**6), dexId=dex))
    return pools


def test_it_scores_stores_a_snapshot_and_copies_it_onto_the_token() -> None:
    token = TokenFactory(migrated_at=timezone.now())
    fake = FakeDexScreener({token.mint_address: with_pools(token)})

    report = tokens_refresh(token_ids=[token.pk], fetcher=client_for(fake))

    snapshot = TokenScore.objects.get(token=token)
    token.refresh_from_db()
    assert (report.tokens, report.requests, dict(report.outcomes)) == (1, 1, {"ok": 1})
    assert snapshot.score == pytest.approx(EXAMPLE_SCORE, abs=1e-4)
    assert snapshot.raw_components == pytest.approx(
        {
            "tx_accel": TX_ACCEL,
            "vol_momentum": VOL_MOMENTUM,
            "token_freshness": 1.0,
            "orderflow_imbalance": IMBALANCE,
            "final_score": snapshot.score,
        },
        abs=1e-4,
    )
    # The first value of an EWMA is taken as is.
    assert snapshot.smoothed_score == snapshot.score
    assert (snapshot.settings_version, snapshot.metrics["fallback"]) == (1, None)
    assert (token.score, token.smoothed_score, token.scored_at) == (
        snapshot.score,
        snapshot.smoothed_score,
        snapshot.created_at,
    )
    assert (token.liquidity_usd, token.tx_5m, token.volume_5m, token.pool_count) == (
        36295.05,
        953,
        54232.17,
        1,
    )
    assert (token.name, token.symbol) == ("The Baby Elephant", "Solana")


def test_it_upserts_pools_and_activates_a_token_with_an_arbitrage_pair() -> None:
    token = TokenFactory()
    fake = FakeDexScreener({token.mint_address: with_pools(token, "raydium")})
    client = client_for(fake)

    tokens_refresh(token_ids=[token.pk], fetcher=client)
    tokens_refresh(token_ids=[token.pk], fetcher=client)

    token.refresh_from_db()
    assert sorted(Pool.objects.filter(token=token).values_list("dex_id", flat=True)) == [
        "pumpswap",
        "raydium",
    ]
    assert token.status == Token.Status.ACTIVE
    assert TokenScore.objects.filter(token=token).count() == 2


def test_a_failed_fetch_still_writes_a_fallback_snapshot_and_keeps_the_ewma() -> None:
    token = TokenFactory()
    fake = FakeDexScreener({token.mint_address: with_pools(token)})
    client = client_for(fake)
    tokens_refresh(token_ids=[token.pk], fetcher=client)
    fake.status = 503

    report = tokens_refresh(token_ids=[token.pk], fetcher=client)

    first, second = TokenScore.objects.filter(token=token).order_by("created_at", "id")
    token.refresh_from_db()
    assert dict(report.outcomes) == {"fallback": 1}
    assert second.metrics["fallback"] == "fallback"
    assert second.score == pytest.approx(0.7 * first.smoothed_score)
    assert token.ewma_state["score"] == first.smoothed_score
    assert token.recent_good_scores == [first.smoothed_score]


def test_a_token_missing_from_the_batch_is_asked_alone_and_scored_without_pools() -> None:
    token = TokenFactory(migrated_at=timezone.now())
    fake = FakeDexScreener({})

    tokens_refresh(token_ids=[token.pk], fetcher=client_for(fake))

    snapshot = TokenScore.objects.get(token=token)
    assert fake.paths == [
        f"/tokens/v1/solana/{token.mint_address}",
        f"/token-pairs/v1/solana/{token.mint_address}",
    ]
    assert snapshot.raw_components["token_freshness"] == pytest.approx(1.0, abs=1e-4)
    assert snapshot.raw_components["tx_accel"] == 0.0


def test_archived_tokens_are_not_refreshed() -> None:
    token = TokenFactory(status=Token.Status.ARCHIVED)
    fake = FakeDexScreener({token.mint_address: with_pools(token)})

    report = tokens_refresh(token_ids=[token.pk], fetcher=client_for(fake))

    assert (report.tokens, fake.paths, TokenScore.objects.count()) == (0, [], 0)


def test_a_weight_changed_applies_to_the_next_score_and_not_the_stored_ones() -> None:
    token = TokenFactory(migrated_at=timezone.now())
    client = client_for(FakeDexScreener({token.mint_address: with_pools(token)}))
    tokens_refresh(token_ids=[token.pk], fetcher=client)

    scoring_settings_save(changes={"w_tx": 0.5})
    tokens_refresh(token_ids=[token.pk], fetcher=client)

    before, after = TokenScore.objects.filter(token=token).order_by("created_at", "id")
    assert (before.settings_version, after.settings_version) == (1, 2)
    assert before.score == pytest.approx(EXAMPLE_SCORE, abs=1e-4)
    assert after.score == pytest.approx(EXAMPLE_SCORE + 0.25 * TX_ACCEL, abs=1e-4)


def test_queries_per_batch_do_not_grow_with_the_number_of_tokens() -> None:
    def queries_for(count: int) -> int:
        tokens = TokenFactory.create_batch(count)
        fake = FakeDexScreener({t.mint_address: with_pools(t) for t in tokens})
        with CaptureQueriesContext(connection) as ctx:
            tokens_refresh(token_ids=[t.pk for t in tokens], fetcher=client_for(fake))
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(30)


def test_refresh_tokens_command_refreshes_a_mint_in_process(capsys, monkeypatch) -> None:
    token = TokenFactory()
    fake = FakeDexScreener({token.mint_address: with_pools(token)})
    monkeypatch.setattr(
        "scoring.management.commands.refresh_tokens.dexscreener_client", lambda: client_for(fake)
    )

    call_command("refresh_tokens", "--mint", token.mint_address)

    assert "refreshed 1 tokens with 1 DexScreener requests" in capsys.readouterr().out
    assert TokenScore.objects.filter(token=token).count() == 1

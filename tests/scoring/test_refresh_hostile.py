"""Outside values that once broke a batch: each is cleaned at the boundary, the batch lives."""

import time

import pytest
from django.utils import timezone

from ingestion.clients.dexscreener import DexScreenerClient
from ingestion.clients.ratelimit import LocalTokenBucket
from scoring.models import TokenScore
from scoring.services.refresh import tokens_refresh, tokens_score
from tests.factories import PoolFactory, TokenFactory, fake_address
from tests.pairs import pair
from tests.rawhttp import Answer, drip
from tokens.models import Pool, Token

pytestmark = pytest.mark.django_db


def test_a_poisoned_token_among_thirty_still_gives_thirty_snapshots() -> None:
    tokens = TokenFactory.create_batch(30, migrated_at=timezone.now())
    pairs = {
        t.mint_address: [pair(t.mint_address, fake_address(900 + i))] for i, t in enumerate(tokens)
    }
    poisoned = pairs[tokens[7].mint_address][0]
    poisoned["baseToken"] = {
        **poisoned["baseToken"],
        "name": "Evil\x00\u202enur",
        "symbol": "S" * 80,
    }
    poisoned["quoteToken"] = {**poisoned["quoteToken"], "symbol": "Q" * 40}
    poisoned["url"] = "https://dexscreener.com/" + "x" * 400
    poisoned["txns"]["m5"]["buys"] = 3_000_000_000
    poisoned["info"] = {"imageUrl": "javascript:alert(1)"}

    report = tokens_score(token_ids=[t.pk for t in tokens], pairs=pairs, errors={})

    assert (report.tokens, TokenScore.objects.count()) == (30, 30)
    token = Token.objects.get(pk=tokens[7].pk)
    assert (token.name, token.symbol, token.image_url) == ("Evilnur", "S" * 64, "")
    pool = Pool.objects.get(token=token)
    assert (pool.quote_symbol, pool.url, pool.buys_5m) == ("Q" * 32, "", 2**31 - 1)


def test_an_answer_naming_another_tokens_pair_never_moves_that_pool() -> None:
    owner, intruder = TokenFactory(), TokenFactory()
    taken = PoolFactory(token=owner, pair_address=fake_address(77))

    tokens_score(
        token_ids=[intruder.pk],
        pairs={intruder.mint_address: [pair(intruder.mint_address, taken.pair_address)]},
        errors={},
    )

    taken.refresh_from_db()
    assert taken.token_id == owner.pk
    assert Pool.objects.filter(token=intruder).count() == 0


def test_a_trickling_answer_ends_within_the_deadline_with_fallback_snapshots(
    raw_server: tuple[list[Answer], str],
) -> None:
    answers, url = raw_server
    answers.append(drip)
    tokens = TokenFactory.create_batch(3, migrated_at=timezone.now())
    fetcher = DexScreenerClient(
        url,
        limiter=LocalTokenBucket(6000),
        max_retries=0,
        sleep=lambda _: None,
        deadline=1.5,
    )
    started = time.monotonic()

    report = tokens_refresh(token_ids=[t.pk for t in tokens], fetcher=fetcher)

    assert time.monotonic() - started < 5
    assert report.tokens == 3
    kinds = list(TokenScore.objects.values_list("metrics__fallback", flat=True))
    assert kinds == ["fallback"] * 3

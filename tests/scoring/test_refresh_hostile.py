"""Outside values that once broke a batch: each is cleaned at the boundary, the batch lives."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.utils import timezone

from ingestion.clients.dexscreener import DexScreenerClient
from ingestion.clients.ratelimit import LocalTokenBucket
from scoring.models import TokenScore
from scoring.services.refresh import tokens_refresh, tokens_score
from tests.factories import PoolFactory, TokenFactory, fake_address
from tests.pairs import pair
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


@pytest.fixture
def dripping_dexscreener() -> Iterator[str]:
    """A loopback HTTP server whose every answer sends its headers, then a byte every 0.3 s."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000\r\n\r\n["
                )
                for _ in range(60):
                    if done.is_set():
                        break
                    try:
                        conn.sendall(b" ")
                    except OSError:
                        break
                    time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    done.set()
    server.close()
    thread.join(5)


def test_a_trickling_answer_ends_within_the_deadline_with_fallback_snapshots(
    dripping_dexscreener: str,
) -> None:
    tokens = TokenFactory.create_batch(3, migrated_at=timezone.now())
    fetcher = DexScreenerClient(
        dripping_dexscreener,
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

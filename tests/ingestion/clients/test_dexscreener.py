"""DexScreenerClient against httpx's transport layer: every request and answer is explicit."""

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingestion.clients.dexscreener import (
    BatchResult,
    DexScreenerClient,
    DexScreenerError,
    FetchError,
    parse_retry_after,
)
from ingestion.clients.ratelimit import BudgetUsage, LocalTokenBucket, RateLimiterUnavailable

from .support import EXAMPLE_MINT, WSOL, FakeClock, make_mint, make_pair

BASE = "https://dex.test"
Handler = Callable[[httpx.Request], httpx.Response]


class RecordingLimiter:
    """A limiter that always grants and remembers what it was asked."""

    def __init__(self) -> None:
        self.acquired: list[float | None] = []
        self.penalties: list[float] = []

    def acquire(self, max_wait: float | None = None) -> None:
        self.acquired.append(max_wait)

    def penalize(self, seconds: float) -> None:
        self.penalties.append(seconds)

    def usage(self) -> BudgetUsage:
        return BudgetUsage(used_last_minute=len(self.acquired), limit=300, blocked_until=None)


class Script:
    """Answers requests from a queue of handlers, the last one repeating; records every URL."""

    def __init__(self, *handlers: Handler) -> None:
        self.handlers = list(handlers)
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        handler = self.handlers.pop(0) if len(self.handlers) > 1 else self.handlers[0]
        return handler(request)


def answer_pairs(pairs_by_mint: dict[str, list[dict[str, Any]]]) -> Handler:
    """DexScreener itself: the pairs of the asked mints that it knows, as a bare array."""

    def handler(request: httpx.Request) -> httpx.Response:
        asked = request.url.path.rsplit("/", 1)[1].split(",")
        return httpx.Response(200, json=[p for m in asked for p in pairs_by_mint.get(m, [])])

    return handler


def status(code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Handler:
    return lambda request: httpx.Response(code, content=body, headers=headers)


def raise_error(error: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)

    return handler


@pytest.fixture
def limiter() -> RecordingLimiter:
    return RecordingLimiter()


@pytest.fixture
def make_client(
    limiter: RecordingLimiter, clock: FakeClock
) -> Iterator[Callable[..., DexScreenerClient]]:
    clients: list[DexScreenerClient] = []

    def make(script: Script, **options: Any) -> DexScreenerClient:
        options.setdefault("limiter", limiter)
        http = httpx.Client(transport=httpx.MockTransport(script))
        client = DexScreenerClient(
            BASE, http=http, sleep=clock.sleep, jitter=lambda: 1.0, clock=clock, **options
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client._http.close()


def test_it_asks_30_mints_per_request(make_client: Callable[..., DexScreenerClient]) -> None:
    mints = [make_mint(i) for i in range(61)]
    script = Script(answer_pairs({m: [make_pair(m)] for m in mints}))

    result = make_client(script).fetch_pairs(mints)

    assert script.urls == [
        f"{BASE}/tokens/v1/solana/{','.join(mints[0:30])}",
        f"{BASE}/tokens/v1/solana/{','.join(mints[30:60])}",
        f"{BASE}/tokens/v1/solana/{mints[60]}",
    ]
    assert result == BatchResult(
        pairs={m: [make_pair(m)] for m in mints}, errors={}, requests=3, dropped=0
    )


def test_it_acquires_a_token_before_every_request(
    make_client: Callable[..., DexScreenerClient], limiter: RecordingLimiter
) -> None:
    mints = [make_mint(i) for i in range(31)]
    script = Script(status(503), answer_pairs({m: [make_pair(m)] for m in mints}))

    result = make_client(script, acquire_timeout=12.5).fetch_pairs(mints)

    assert result.requests == 3
    assert limiter.acquired == [12.5, 12.5, 12.5]


def test_it_groups_pairs_by_their_base_token_only(
    make_client: Callable[..., DexScreenerClient],
) -> None:
    mint, other = make_mint("a"), make_mint("b")
    first, second = make_pair(mint, dexId="pumpswap"), make_pair(mint, dexId="raydium")
    quoted = make_pair(make_mint("c"), quoteToken={"address": mint, "name": "x", "symbol": "X"})
    script = Script(
        status(200, json.dumps([first, quoted, second, make_pair(other)]).encode()),
    )

    result = make_client(script).fetch_pairs([mint, other, mint])

    assert script.urls == [f"{BASE}/tokens/v1/solana/{mint},{other}"]
    assert result.pairs == {mint: [first, second], other: [make_pair(other)]}
    assert result.errors == {}


def test_it_asks_a_mint_missing_from_its_batch_alone(
    make_client: Callable[..., DexScreenerClient],
) -> None:
    known, late, unknown = EXAMPLE_MINT, make_mint("late"), make_mint("unknown")
    late_pairs = [make_pair(late), make_pair(late, dexId="meteora")]
    script = Script(
        answer_pairs({known: [make_pair(known)]}),
        status(200, json.dumps(late_pairs).encode()),
        status(200, b"[]"),
    )

    result = make_client(script).fetch_pairs([known, late, unknown])

    assert script.urls == [
        f"{BASE}/tokens/v1/solana/{known},{late},{unknown}",
        f"{BASE}/token-pairs/v1/solana/{late}",
        f"{BASE}/token-pairs/v1/solana/{unknown}",
    ]
    assert result == BatchResult(
        pairs={known: [make_pair(known)], late: late_pairs, unknown: []},
        errors={},
        requests=3,
    )


def test_it_retries_a_5xx_and_takes_the_answer(
    make_client: Callable[..., DexScreenerClient], clock: FakeClock
) -> None:
    mint = make_mint(1)
    script = Script(status(503), status(502), answer_pairs({mint: [make_pair(mint)]}))
    client = make_client(script)

    result = client.fetch_pairs([mint])

    assert result == BatchResult(pairs={mint: [make_pair(mint)]}, errors={}, requests=3)
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError]
)
def test_it_retries_transport_errors(
    make_client: Callable[..., DexScreenerClient],
    clock: FakeClock,
    error: type[httpx.TransportError],
) -> None:
    mint = make_mint(1)
    script = Script(raise_error(error), answer_pairs({mint: [make_pair(mint)]}))

    result = make_client(script).fetch_pairs([mint])

    assert result == BatchResult(pairs={mint: [make_pair(mint)]}, errors={}, requests=2)
    assert clock.sleeps == [0.5]


def test_it_gives_every_mint_of_a_failed_batch_the_error_after_the_last_retry(
    make_client: Callable[..., DexScreenerClient], clock: FakeClock
) -> None:
    mints = [make_mint(i) for i in range(31)]
    healthy = answer_pairs({mints[30]: [make_pair(mints[30])]})
    script = Script(status(500), status(500), status(500), status(500), healthy)
    client = make_client(script)

    result = client.fetch_pairs(mints)

    assert result == BatchResult(
        pairs={mints[30]: [make_pair(mints[30])]},
        errors=dict.fromkeys(mints[:30], FetchError("http_5xx", "HTTP 500")),
        requests=5,
    )
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_it_reports_a_transport_failure_after_the_last_retry(
    make_client: Callable[..., DexScreenerClient], clock: FakeClock
) -> None:
    mint = make_mint(1)
    script = Script(raise_error(httpx.ConnectTimeout))

    result = make_client(script, max_retries=2, backoff_base=1.0, backoff_max=1.5).fetch_pairs(
        [mint]
    )

    assert result == BatchResult(
        pairs={}, errors={mint: FetchError("transport", "ConnectTimeout: boom")}, requests=3
    )
    assert clock.sleeps == [1.0, 1.5]


def test_it_jitters_the_backoff_between_half_and_all_of_it(clock: FakeClock) -> None:
    mint = make_mint(1)
    http = httpx.Client(transport=httpx.MockTransport(Script(status(500))))
    client = DexScreenerClient(
        BASE, limiter=RecordingLimiter(), http=http, sleep=clock.sleep, jitter=lambda: 0.0
    )

    client.fetch_pairs([mint])

    assert clock.sleeps == [0.25, 0.5, 1.0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'[{"baseToken": ', "body is not JSON: "),
        (b"<html>maintenance</html>", "body is not JSON: "),
        (b'{"schemaVersion": "1.0.0", "pairs": null}', "expected a JSON array, got dict"),
        (b"null", "expected a JSON array, got NoneType"),
    ],
)
def test_it_reports_a_malformed_answer_for_every_mint_without_retrying(
    make_client: Callable[..., DexScreenerClient], body: bytes, message: str
) -> None:
    mints = [make_mint(1), make_mint(2)]
    script = Script(status(200, body))

    result = make_client(script).fetch_pairs(mints)

    assert result.pairs == {}
    assert set(result.errors) == set(mints)
    assert {e.kind for e in result.errors.values()} == {"malformed"}
    assert result.errors[mints[0]].message.startswith(message)
    assert result.requests == 1


def test_it_drops_and_counts_pairs_without_a_string_base_address(
    make_client: Callable[..., DexScreenerClient], caplog: pytest.LogCaptureFixture
) -> None:
    mint = make_mint(1)
    good = make_pair(mint)
    body = [42, "pair", {"baseToken": None}, {"baseToken": {"address": 7}}, {}, good]
    client = make_client(Script(status(200, json.dumps(body).encode())))

    result = client.fetch_pairs([mint])

    assert result == BatchResult(pairs={mint: [good]}, errors={}, requests=1, dropped=5)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "dexscreener: dropped 5 pair(s) without a string baseToken.address")
    ]


@pytest.mark.parametrize("code", [400, 403, 404])
def test_it_does_not_retry_a_4xx(make_client: Callable[..., DexScreenerClient], code: int) -> None:
    mint = make_mint(1)

    result = make_client(Script(status(code))).fetch_pairs([mint])

    assert result == BatchResult(
        pairs={}, errors={mint: FetchError("http_4xx", f"HTTP {code}")}, requests=1
    )


class SpyBucket(LocalTokenBucket):
    """A real local bucket on the fake clock that also remembers its penalties."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(300, clock=clock, sleep=clock.sleep)
        self.penalties: list[float] = []

    def penalize(self, seconds: float) -> None:
        self.penalties.append(seconds)
        super().penalize(seconds)


def test_it_honours_a_numeric_retry_after_through_the_limiter(
    make_client: Callable[..., DexScreenerClient], clock: FakeClock
) -> None:
    mint = make_mint(1)
    bucket = SpyBucket(clock)
    script = Script(
        status(429, b'{"error":"rate limited"}', {"Retry-After": "7"}),
        answer_pairs({mint: [make_pair(mint)]}),
    )
    client = make_client(script, limiter=bucket)

    result = client.fetch_pairs([mint])

    assert result == BatchResult(pairs={mint: [make_pair(mint)]}, errors={}, requests=2)
    assert bucket.penalties == [7.0]
    assert clock.sleeps == [7.0]  # the bucket's wait, and no backoff on top of it


def test_it_honours_an_http_date_retry_after(
    make_client: Callable[..., DexScreenerClient], clock: FakeClock
) -> None:
    mint = make_mint(1)
    bucket = SpyBucket(clock)
    later = format_datetime(datetime.fromtimestamp(clock.now + 20, tz=UTC), usegmt=True)
    script = Script(
        status(429, b"", {"Retry-After": later}), answer_pairs({mint: [make_pair(mint)]})
    )

    result = make_client(script, limiter=bucket).fetch_pairs([mint])

    assert result.pairs == {mint: [make_pair(mint)]}
    assert bucket.penalties == [20.0]
    assert clock.sleeps == [20.0]


def test_it_backs_off_longer_on_repeated_429s_without_retry_after(
    make_client: Callable[..., DexScreenerClient], clock: FakeClock
) -> None:
    mint = make_mint(1)
    bucket = SpyBucket(clock)
    too_many = status(429, b"<html><body>Too Many Requests</body></html>")
    script = Script(too_many, too_many, answer_pairs({mint: [make_pair(mint)]}))

    result = make_client(script, limiter=bucket).fetch_pairs([mint])

    assert result.pairs == {mint: [make_pair(mint)]}
    assert bucket.penalties == [10.0, 20.0]
    assert clock.sleeps == [10.0, 20.0]


def test_it_reports_rate_limited_when_429s_outlast_the_retries(
    make_client: Callable[..., DexScreenerClient], limiter: RecordingLimiter
) -> None:
    mint = make_mint(1)

    result = make_client(Script(status(429, b"slow down")), max_retries=1).fetch_pairs([mint])

    assert result == BatchResult(
        pairs={},
        errors={mint: FetchError("rate_limited", "HTTP 429, backed off 20.0s")},
        requests=2,
    )
    assert limiter.penalties == [10.0, 20.0]


def test_it_reports_rate_limited_without_sending_when_the_budget_wait_is_too_long(
    make_client: Callable[..., DexScreenerClient], clock: FakeClock
) -> None:
    mints = [make_mint(1), make_mint(2)]
    bucket = LocalTokenBucket(300, clock=clock, sleep=clock.sleep)
    bucket.penalize(100.0)
    script = Script(answer_pairs({}))

    result = make_client(script, limiter=bucket, acquire_timeout=5.0).fetch_pairs(mints)

    error = FetchError(
        "rate_limited", "rate limit: next token in 100.00s, more than max_wait 5.00s"
    )
    assert result == BatchResult(pairs={}, errors=dict.fromkeys(mints, error), requests=0)
    assert script.urls == []


def test_it_tells_the_observer_about_every_request(
    make_client: Callable[..., DexScreenerClient],
) -> None:
    mint, missing = make_mint(1), make_mint(2)
    seen: list[tuple[str, int | None]] = []
    script = Script(
        raise_error(httpx.ConnectError),
        status(500),
        answer_pairs({mint: [make_pair(mint)]}),
        status(200, b"[]"),
    )
    client = make_client(script, on_request=lambda endpoint, code, _: seen.append((endpoint, code)))

    client.fetch_pairs([mint, missing])

    assert seen == [("tokens", None), ("tokens", 500), ("tokens", 200), ("token-pairs", 200)]


def test_it_survives_a_failing_observer(
    make_client: Callable[..., DexScreenerClient], caplog: pytest.LogCaptureFixture
) -> None:
    mint = make_mint(1)

    def explode(endpoint: str, code: int | None, elapsed: float) -> None:
        raise RuntimeError("prometheus is down")

    client = make_client(Script(answer_pairs({mint: [make_pair(mint)]})), on_request=explode)

    assert client.fetch_pairs([mint]).pairs == {mint: [make_pair(mint)]}
    assert caplog.messages == ["dexscreener: on_request observer failed"]


def test_it_fetches_the_pairs_of_one_token(make_client: Callable[..., DexScreenerClient]) -> None:
    pairs = [make_pair(EXAMPLE_MINT), make_pair(WSOL)]
    script = Script(status(200, json.dumps(pairs).encode()))

    assert make_client(script).fetch_token_pairs(EXAMPLE_MINT) == [make_pair(EXAMPLE_MINT)]
    assert script.urls == [f"{BASE}/token-pairs/v1/solana/{EXAMPLE_MINT}"]


def test_it_raises_when_the_pairs_of_one_token_cannot_be_fetched(
    make_client: Callable[..., DexScreenerClient],
) -> None:
    with pytest.raises(DexScreenerError) as raised:
        make_client(Script(status(404))).fetch_token_pairs(EXAMPLE_MINT)

    assert raised.value.error == FetchError("http_4xx", "HTTP 404")


def test_it_sends_nothing_for_no_mints(make_client: Callable[..., DexScreenerClient]) -> None:
    script = Script(answer_pairs({}))

    assert make_client(script).fetch_pairs([]) == BatchResult(pairs={}, errors={}, requests=0)
    assert script.urls == []


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("12", 12.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("-4", None),
        ("601", None),
        ("nan", None),
        ("soon", None),
        ("Mon, 02 Mar 2026 05:00:00 GMT", 39.0),  # now is 04:59:21 UTC
        ("Mon, 02 Mar 2026 04:00:00 GMT", 0.0),
        ("Mon, 02 Mar 2026 06:00:00 GMT", None),
        ("Mon, 32 Foo 2026 06:00:00 GMT", None),
    ],
)
def test_it_reads_retry_after_headers(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=1_772_427_561.0) == seconds


def test_it_logs_nothing_at_warning_for_a_clean_fetch(
    make_client: Callable[..., DexScreenerClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ingestion.clients.dexscreener")
    mint = make_mint(1)

    make_client(Script(answer_pairs({mint: [make_pair(mint)]}))).fetch_pairs([mint])

    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_it_imports_no_django() -> None:
    code = (
        "import sys; import ingestion.clients.dexscreener, ingestion.clients.pumpportal, "
        "ingestion.clients.ratelimit; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith(('django.', "
        "'moon', 'scoring', 'tokens'))))"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )

    assert out.stdout == "[]\n"


class BrokenRedisLimiter(RecordingLimiter):
    """Grants the first request, then Redis goes away."""

    def acquire(self, max_wait: float | None = None) -> None:
        super().acquire(max_wait)
        if len(self.acquired) > 1:
            raise RateLimiterUnavailable("redis rate limiter unavailable: connection refused")

    def penalize(self, seconds: float) -> None:
        raise RateLimiterUnavailable("redis rate limiter unavailable: connection refused")


def test_it_reports_rate_limited_when_the_shared_limiter_breaks(
    make_client: Callable[..., DexScreenerClient], caplog: pytest.LogCaptureFixture
) -> None:
    mint = make_mint(1)
    client = make_client(Script(status(429)), limiter=BrokenRedisLimiter())

    result = client.fetch_pairs([mint])

    error = FetchError("rate_limited", "redis rate limiter unavailable: connection refused")
    assert result == BatchResult(pairs={}, errors={mint: error}, requests=1)
    assert "dexscreener: could not share the 429 penalty" in caplog.messages

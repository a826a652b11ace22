"""DexScreenerClient against answers that misbehave on purpose: a drip, a flood, deep JSON."""

import socket
import time

import pytest

from ingestion.clients.dexscreener import DexScreenerClient, FetchError
from ingestion.clients.ratelimit import LocalTokenBucket
from tests.rawhttp import Answer, drip, head

from .support import make_mint

pytestmark = pytest.mark.timeout(30)


def client(url: str, **options: float) -> DexScreenerClient:
    return DexScreenerClient(
        url, limiter=LocalTokenBucket(6000), max_retries=0, sleep=lambda _: None, **options
    )


def test_an_answer_that_drips_ends_at_the_deadline(raw_server: tuple[list[Answer], str]) -> None:
    answers, url = raw_server

    answers.append(drip)
    mint = make_mint(1)
    started = time.monotonic()

    result = client(url, deadline=1.5).fetch_pairs([mint])

    assert time.monotonic() - started < 4
    assert result.errors == {
        mint: FetchError("transport", "the answer was still arriving at the deadline")
    }


def test_an_answer_too_large_is_refused_without_reading_it_whole(
    raw_server: tuple[list[Answer], str],
) -> None:
    answers, url = raw_server

    def flood(conn: socket.socket) -> None:
        head(conn)  # no Content-Length: the cap must hold while reading
        conn.sendall(b"[" + b"0," * 1_000_000)

    answers.append(flood)
    mint = make_mint(2)

    result = client(url, max_body_bytes=100_000).fetch_pairs([mint])

    assert result.errors == {mint: FetchError("malformed", "body above the 100000 bytes allowed")}


def test_a_declared_length_over_the_cap_is_refused_at_once(
    raw_server: tuple[list[Answer], str],
) -> None:
    answers, url = raw_server
    answers.append(lambda conn: head(conn, length=150_000_000))
    mint = make_mint(3)

    result = client(url).fetch_pairs([mint])

    assert result.errors == {
        mint: FetchError(
            "malformed", f"body of 150000000 bytes, above the {8 * 1024 * 1024} allowed"
        )
    }


def test_json_nested_five_thousand_deep_is_malformed_not_a_crash(
    raw_server: tuple[list[Answer], str],
) -> None:
    answers, url = raw_server
    body = b"[" * 5000 + b"]" * 5000
    answers.append(lambda conn: (head(conn, len(body)), conn.sendall(body)))
    mint = make_mint(4)

    result = client(url).fetch_pairs([mint])

    assert result.errors == {
        mint: FetchError("malformed", "body is not JSON: JSON nests too deeply to be read")
    }

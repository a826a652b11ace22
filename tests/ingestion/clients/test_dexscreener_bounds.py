"""DexScreenerClient against answers that misbehave on purpose: a drip, a flood, deep JSON."""

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ingestion.clients.dexscreener import DexScreenerClient, FetchError
from ingestion.clients.ratelimit import LocalTokenBucket

from .support import make_mint

pytestmark = pytest.mark.timeout(30)

Answer = Callable[[socket.socket], None]


@pytest.fixture
def raw_server() -> Iterator[tuple[list[Answer], str]]:
    """A loopback HTTP server that answers each connection with the next scripted writer."""
    answers: list[Answer] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.recv(65536)
            answer = answers.pop(0) if answers else None
            threading.Thread(target=_write, args=(conn, answer), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield answers, f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    server.close()


def _write(conn: socket.socket, answer: Answer | None) -> None:
    try:
        if answer is not None:
            answer(conn)
    except OSError:
        pass
    finally:
        conn.close()


def head(conn: socket.socket, length: int | None = None) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n")
    if length is not None:
        conn.sendall(f"Content-Length: {length}\r\n".encode())
    conn.sendall(b"\r\n")


def client(url: str, **options: float) -> DexScreenerClient:
    return DexScreenerClient(
        url, limiter=LocalTokenBucket(6000), max_retries=0, sleep=lambda _: None, **options
    )


def test_an_answer_that_drips_ends_at_the_deadline(raw_server: tuple[list[Answer], str]) -> None:
    answers, url = raw_server

    def drip(conn: socket.socket) -> None:
        head(conn)
        for _ in range(100):  # a byte every 0.3 s resets any read timeout, forever
            conn.sendall(b" ")
            time.sleep(0.3)

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

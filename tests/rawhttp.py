"""A loopback HTTP server scripted socket by socket: answers that misbehave on purpose.

The `raw_server` fixture (tests/conftest.py) answers each connection with the next scripted
writer; `head` and `drip` are writers' building blocks.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Answer = Callable[[socket.socket], None]


@contextmanager
def serving() -> Iterator[tuple[list[Answer], str]]:
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
    try:
        yield answers, f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
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


def drip(conn: socket.socket, *, every: float = 0.3, times: int = 100) -> None:
    """Headers, then a byte every `every` seconds: it resets any read timeout, forever."""
    head(conn)
    for _ in range(times):
        conn.sendall(b" ")
        time.sleep(every)

"""A real HTTP server on loopback that keeps every JSON POST it receives: the alert webhook of
the alert tests, the drills and the alert rules' tests (which check its signatures)."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Webhook:
    """`status` is what it answers (set it to 500 to play a receiver that is down)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []  # every POST: headers, body
        self.status = 200
        self.delay = 0.0  # seconds before answering (a slow receiver)
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                body = json.loads(raw)
                hook.raw.append(({k.lower(): v for k, v in self.headers.items()}, raw))
                if hook.delay:
                    time.sleep(hook.delay)
                if hook.status < 300:
                    hook.received.append(body)
                    hook.content_types.append(self.headers["Content-Type"])
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/moon"

    def said(self) -> list[tuple[str, str]]:
        """(dependency, status) of each alert received, in order."""
        return [(body["dependency"], body["status"]) for body in self.received]


@contextmanager
def running_webhook() -> Iterator[Webhook]:
    hook = Webhook()
    thread = threading.Thread(target=hook.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()

"""moon's ASGI application served by uvicorn on loopback, in a thread of the test process: the
web process as production runs it (static files from the finders, as `runserver` would), for
the event stream's tests and the browser's."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application


@dataclass
class AsgiServer:
    url: str
    server: uvicorn.Server


@contextmanager
def serving_asgi() -> Iterator[AsgiServer]:
    # Every request's sync part runs on a thread of its own under ASGI: no connection may
    # outlive its request, or the test database could not be dropped at the end.
    database = settings.DATABASES["default"]
    max_age = database.get("CONN_MAX_AGE")
    database["CONN_MAX_AGE"] = 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(get_asgi_application()),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield AsgiServer(f"http://127.0.0.1:{port}", server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database["CONN_MAX_AGE"] = max_age

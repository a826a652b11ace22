"""A PumpPortal-like WebSocket server on loopback, run in a thread of the test process.

Subclasses say what each connection hears (`handle`); this class owns the event loop, the port
and the stopping.
"""

import asyncio
import threading
from typing import Any, Self

from websockets.asyncio.server import ServerConnection, serve


class ThreadedFeed:
    serve_options: dict[str, Any] = {}

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def handle(self, ws: ServerConnection) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self.thread.start()
        self.ready.wait(5)
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._stopped.set)
        self.thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        async with serve(self._connected, "127.0.0.1", 0, **self.serve_options) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._stopped = asyncio.Event()
            self.ready.set()
            await self._stopped.wait()

    async def _connected(self, ws: ServerConnection) -> None:
        self.connections += 1
        await self.handle(ws)

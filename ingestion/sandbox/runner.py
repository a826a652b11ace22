"""Running the sandbox: `run_sandbox` for a command, `running_sandbox` for tests.

`running_sandbox` serves from a background thread with its own event loop, so synchronous
tests (Django's included) can use it as a fixture and steer it through `SandboxHandle`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping
from typing import Any, TypeVar

from aiohttp import web

from ingestion.sandbox.admin import CONTROL, SandboxControl
from ingestion.sandbox.config import SandboxConfig, add_arguments
from ingestion.sandbox.server import RPC_PATH, build_app

log = logging.getLogger(__name__)
T = TypeVar("T")
SHUTDOWN_TIMEOUT_S = 2.0


@dataclasses.dataclass
class SandboxServer:
    """A started sandbox: where it listens and how to steer it, inside its event loop."""

    runner: web.AppRunner
    control: SandboxControl
    http_url: str
    ws_url: str

    @property
    def rpc_url(self) -> str:
        """SOLANA_RPC_URL for this sandbox."""
        return self.http_url + RPC_PATH

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_sandbox(config: SandboxConfig) -> SandboxServer:
    """Build the app and start listening (port 0 picks a free one)."""
    app = build_app(config)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT_S, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    host, port = runner.addresses[0][:2]
    http_url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    return SandboxServer(
        runner, app[CONTROL], http_url, http_url.replace("http", "ws", 1) + "/api/data"
    )


async def run_sandbox(
    config: SandboxConfig,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Serve until `stop` is set (forever without one); `on_ready` hears where it listens."""
    server = await start_sandbox(config)
    log.info(
        "sandbox market: DexScreener at %s, PumpPortal at %s, Solana RPC at %s",
        server.http_url,
        server.ws_url,
        server.rpc_url,
    )
    if on_ready is not None:
        on_ready(server)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await server.close()


class SandboxHandle:
    """A sandbox running in a background thread, steered synchronously."""

    def __init__(self, config: SandboxConfig) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._server: SandboxServer | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, args=(config,), daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError("the sandbox did not start") from self._error
        if self._server is None:
            raise RuntimeError("the sandbox did not start in time")
        self.http_url: str = self._server.http_url
        self.ws_url: str = self._server.ws_url
        self.rpc_url: str = self._server.rpc_url

    def _serve(self, config: SandboxConfig) -> None:
        asyncio.set_event_loop(self._loop)

        def ready(server: SandboxServer) -> None:
            self._server = server
            self._ready.set()

        async def main() -> None:
            self._stop = asyncio.Event()
            await run_sandbox(config, self._stop, ready)

        try:
            self._loop.run_until_complete(main())
        except BaseException as error:  # reported to the starting thread
            self._error = error
            self._ready.set()
        finally:
            self._loop.close()

    def _run(self, make: Callable[[SandboxControl], Coroutine[Any, Any, T]]) -> T:
        assert self._server is not None
        control = self._server.control
        future = asyncio.run_coroutine_threadsafe(make(control), self._loop)
        return future.result(timeout=30)

    def _call(self, fn: Callable[[SandboxControl], T]) -> T:
        async def call(control: SandboxControl) -> T:
            return fn(control)

        return self._run(call)

    def stats(self) -> dict[str, Any]:
        return self._call(lambda c: c.stats())

    def reset_stats(self) -> dict[str, Any]:
        return self._call(lambda c: c.reset_stats())

    def faults(self) -> dict[str, Any]:
        return self._call(lambda c: c.faults())

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Same keys as POST /_sandbox/faults, e.g. set_faults(error_next=2, reset=True)."""
        return self._run(lambda c: c.set_faults(changes))

    def drop_ws_now(self) -> dict[str, Any]:
        return self.set_faults(ws_drop_now=True)

    def migrate_now(
        self,
        mint: str | None = None,
        story: str | None = None,
        traits: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self._run(lambda c: c.migrate(mint, story, traits))

    def clock(self) -> dict[str, Any]:
        return self._call(lambda c: c.clock())

    def advance(self, *, seconds: float = 0, ms: int = 0) -> int:
        """Move simulated time forward; returns the new simulated now (epoch ms)."""
        patch: Mapping[str, Any] = {"advance_ms": ms + seconds * 1000}
        return int(self._call(lambda c: c.set_clock(patch))["now_ms"])

    def tokens(self, *, status: str = "migrated", limit: int = 0) -> list[dict[str, Any]]:
        return list(self._call(lambda c: c.tokens(status=status, limit=limit))["tokens"])

    def holders(self, mint: str) -> dict[str, Any]:
        return self._call(lambda c: c.holders(mint))

    def creators(self) -> list[dict[str, Any]]:
        return list(self._call(lambda c: c.creators())["creators"])

    def chain_migrations(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        found = self._call(lambda c: c.chain_migrations(kind=kind, limit=0))
        return list(found["transactions"])

    def stop(self) -> None:
        if self._thread.is_alive() and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)


@contextlib.contextmanager
def running_sandbox(config: SandboxConfig | None = None) -> Iterator[SandboxHandle]:
    """A sandbox serving for the duration of the block, on a free port unless told otherwise."""
    handle = SandboxHandle(config or SandboxConfig(port=0))
    try:
        yield handle
    finally:
        handle.stop()


def main(argv: list[str] | None = None) -> int:
    """`python -m ingestion.sandbox [options]`: serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m ingestion.sandbox", description=__doc__)
    add_arguments(parser)
    config = SandboxConfig.from_options(vars(parser.parse_args(argv)))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_sandbox(config))
    return 0

"""Serve the sandbox market: a simulated PumpPortal feed and DexScreener API on loopback."""

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ingestion.sandbox import SandboxConfig, SandboxServer, add_arguments, run_sandbox


class Command(BaseCommand):
    help = (
        "Serve a simulated Pump.fun feed and DexScreener API on loopback, for developing, "
        "testing and benchmarking without the internet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        config = SandboxConfig.from_options(options)
        asyncio.run(self._serve(config))

    async def _serve(self, config: SandboxConfig) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_sandbox(config, stop, self._announce)

    def _announce(self, server: SandboxServer) -> None:
        self.stdout.write(
            "sandbox market serving:\n"
            f"  DEXSCREENER_URL={server.http_url}\n"
            f"  PUMPPORTAL_WS_URL={server.ws_url}\n"
            f"  stats: {server.http_url}/_sandbox/stats"
        )
        self.stdout.flush()

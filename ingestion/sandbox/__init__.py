"""The sandbox market: a simulated PumpPortal feed, DexScreener API and Solana RPC on loopback.

Pure Python, aiohttp and solders, no Django. `Market` is the simulation alone (no I/O), `Chain`
the ledger derived from it; `build_app` serves them (DexScreener routes, PumpPortal's
`/api/data` socket, the `/solana` JSON-RPC and `/_sandbox` controls on one port); `run_sandbox`
runs it for a command; `running_sandbox` runs it for tests. See README.md.
"""

from ingestion.sandbox.config import SandboxConfig, add_arguments
from ingestion.sandbox.faults import FaultSettings
from ingestion.sandbox.market import FeedEvent, Market, token_summary
from ingestion.sandbox.runner import (
    SandboxHandle,
    SandboxServer,
    main,
    run_sandbox,
    running_sandbox,
    start_sandbox,
)
from ingestion.sandbox.server import build_app

__all__ = [
    "FaultSettings",
    "FeedEvent",
    "Market",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxServer",
    "add_arguments",
    "build_app",
    "main",
    "run_sandbox",
    "running_sandbox",
    "start_sandbox",
    "token_summary",
]

"""Sandbox settings, and the argparse options that set them (used by `manage.py sandbox_market`
and `python -m ingestion.sandbox`)."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ingestion.sandbox.faults import MODES, FaultSettings

LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class SandboxConfig:
    """Where to serve and what market to simulate.

    start_ms: simulated epoch ms at start; None takes the wall clock once, at start (the market
    is then a function of seed and simulated time). speed: simulated seconds per real second
    (0 freezes the clock). tokens: tokens already graduated at start, spread over the
    preseed_hours before it. port 0 picks a free port.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    seed: int = 1
    speed: float = 1.0
    start_ms: int | None = None
    migrations_per_hour: float = 50.0
    bursts: bool = True
    creates_per_minute: float = 12.0
    tokens: int = 0
    preseed_hours: float = 6.0
    sol_usd: float = 150.0
    faults: FaultSettings = field(default_factory=FaultSettings)

    def __post_init__(self) -> None:
        if not is_loopback(self.host):
            raise ValueError(f"the sandbox serves on loopback only, not {self.host!r}")
        if self.speed < 0 or self.tokens < 0 or self.migrations_per_hour < 0:
            raise ValueError("speed, tokens and migrations_per_hour must be >= 0")
        if self.creates_per_minute < 0 or self.preseed_hours <= 0 or self.sol_usd <= 0:
            raise ValueError("creates_per_minute >= 0, preseed_hours and sol_usd > 0")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SandboxConfig:
        """Build from parsed options (argparse namespace vars or Django's options dict);
        keys named like the fields of SandboxConfig or FaultSettings, None meaning default."""
        own = {f.name for f in dataclasses.fields(cls)} - {"faults"}
        fault_names = {f.name for f in dataclasses.fields(FaultSettings)}
        values = {k: v for k, v in options.items() if k in own and v is not None}
        faults = {k: v for k, v in options.items() if k in fault_names and v is not None}
        return cls(**values, faults=FaultSettings().updated(faults))


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox's command-line options; every default is SandboxConfig's."""
    market = parser.add_argument_group("sandbox market")
    market.add_argument("--host", help="loopback address to serve on (default 127.0.0.1)")
    market.add_argument("--port", type=int, help="HTTP + WS port, 0 for any (default 8765)")
    market.add_argument("--seed", type=int, help="market seed (default 1)")
    market.add_argument("--speed", type=float, help="simulated seconds per real second")
    market.add_argument("--start-ms", type=int, help="simulated epoch ms at start (default now)")
    market.add_argument("--migrations-per-hour", type=float, help="mean graduations (default 50)")
    market.add_argument(
        "--no-bursts",
        dest="bursts",
        action="store_false",
        default=None,
        help="steady graduation rate instead of hourly waves",
    )
    market.add_argument("--creates-per-minute", type=float, help="token launches (default 12)")
    market.add_argument("--tokens", type=int, help="tokens already graduated at start")
    market.add_argument("--preseed-hours", type=float, help="spread of those tokens (default 6)")
    market.add_argument("--sol-usd", type=float, help="SOL price in USD (default 150)")
    faults = parser.add_argument_group("sandbox faults (also POST /_sandbox/faults)")
    faults.add_argument("--rate-limit-rpm", type=int, help="429 beyond N requests per minute")
    faults.add_argument("--retry-after", choices=MODES["retry_after"])
    faults.add_argument("--rate-limit-body", choices=MODES["rate_limit_body"])
    faults.add_argument("--latency-ms", type=int, help="added to every DexScreener answer")
    faults.add_argument("--latency-jitter-ms", type=int)
    faults.add_argument("--error-next", type=int, help="the next N requests answer 5xx")
    faults.add_argument("--error-rate", type=float, help="fraction of requests answering 5xx")
    faults.add_argument("--error-status", type=int, help="the 5xx status used (default 503)")
    faults.add_argument("--malformed-next", type=int, help="the next N bodies are truncated")
    faults.add_argument("--malformed-rate", type=float, help="fraction of truncated bodies")
    faults.add_argument("--omit-rate", type=float, help="chance a token is left out of a batch")
    faults.add_argument("--ws-silent", action="store_true", default=None)
    faults.add_argument("--ws-drop-every-s", type=float, help="drop all WS connections every N s")
    faults.add_argument("--ws-drop-mode", choices=MODES["ws_drop_mode"])
    faults.add_argument("--ws-refuse", action="store_true", default=None)
    faults.add_argument("--ws-omit-migration-rate", type=float, help="migration frames lost")
    rpc = parser.add_argument_group("sandbox Solana RPC faults (also POST /_sandbox/faults)")
    rpc.add_argument("--rpc-latency-ms", type=int, help="added to every RPC answer")
    rpc.add_argument("--rpc-rate-limit", type=int, help="HTTP 429 beyond N requests per 10 s")
    rpc.add_argument("--rpc-retry-after", choices=MODES["rpc_retry_after"])
    rpc.add_argument("--rpc-error-rate", type=float, help="fraction of calls answering an error")
    rpc.add_argument("--rpc-error", choices=MODES["rpc_error"], help="which JSON-RPC error")
    rpc.add_argument("--rpc-error-method", choices=MODES["rpc_error_method"])
    rpc.add_argument(
        "--rpc-no-token-index",
        action="store_true",
        default=None,
        help="getTokenLargestAccounts answers -32010",
    )
    rpc.add_argument("--rpc-history-horizon-s", type=float, help="prune older transactions")
    rpc.add_argument("--rpc-history-mode", choices=MODES["rpc_history_mode"])

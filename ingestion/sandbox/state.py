"""The state of one running sandbox, shared by its HTTP routes, its socket and its handle."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ingestion.sandbox.chain import Chain
from ingestion.sandbox.clock import SimClock
from ingestion.sandbox.config import SandboxConfig
from ingestion.sandbox.faults import CannedResponse, FaultGate
from ingestion.sandbox.feed import Feed
from ingestion.sandbox.market import Market
from ingestion.sandbox.stats import SandboxStats


@dataclass
class SandboxState:
    """Everything one running sandbox holds; touched only from its event loop."""

    config: SandboxConfig
    market: Market
    clock: SimClock
    faults: FaultGate
    stats: SandboxStats
    feed: Feed
    chain: Chain


STATE = web.AppKey("sandbox_state", SandboxState)


def build_state(
    config: SandboxConfig, monotonic: Callable[[], float] = time.monotonic
) -> SandboxState:
    start_ms = config.start_ms if config.start_ms is not None else int(time.time()) * 1000
    market = Market(
        seed=config.seed,
        start_ms=start_ms,
        migrations_per_hour=config.migrations_per_hour,
        bursts=config.bursts,
        creates_per_minute=config.creates_per_minute,
        preseed_tokens=config.tokens,
        preseed_hours=config.preseed_hours,
        sol_usd=config.sol_usd,
    )
    clock = SimClock(start_ms, config.speed, monotonic)
    faults = FaultGate(config.faults, seed=config.seed)
    stats = SandboxStats()
    feed = Feed(market, clock, faults, stats, monotonic)
    return SandboxState(config, market, clock, faults, stats, feed, Chain(market))


def json_response(payload: Any, status: int = 200) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


def canned_response(canned: CannedResponse) -> web.Response:
    return web.Response(
        body=canned.body,
        status=canned.status,
        content_type=canned.content_type,
        headers=canned.headers,
    )

"""The sandbox's aiohttp app: DexScreener's REST API, PumpPortal's WebSocket and a Solana
JSON-RPC node on one port.

`/tokens/v1/solana/{mints}`, `/token-pairs/v1/solana/{mint}` and `/latest/dex/tokens/{mints}`
answer like DexScreener, through the fault middleware; `/api/data` is PumpPortal's socket;
`POST /solana` is the Solana RPC (rpc.py, with faults of its own); `/_sandbox/...` is the
control panel (see admin.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ingestion.sandbox.admin import add_admin_routes
from ingestion.sandbox.config import SandboxConfig
from ingestion.sandbox.faults import truncate
from ingestion.sandbox.rpc import solana_rpc
from ingestion.sandbox.state import STATE, SandboxState, build_state, canned_response, json_response
from ingestion.sandbox.stats import API_ENDPOINTS

MAX_ADDRESSES = 30
RPC_PATH = "/solana"
CHAIN = "solana"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(config: SandboxConfig, state: SandboxState | None = None) -> web.Application:
    """The aiohttp application serving one simulated market."""
    app = web.Application(middlewares=[fault_middleware])
    app[STATE] = state or build_state(config)
    app.router.add_get("/tokens/v1/{chain}/{addresses}", tokens_v1, name="tokens")
    app.router.add_get("/token-pairs/v1/{chain}/{address}", token_pairs_v1, name="token_pairs")
    app.router.add_get("/latest/dex/tokens/{addresses}", latest_dex_tokens, name="latest_dex")
    app.router.add_get("/api/data", app[STATE].feed.handle, name="pumpportal")
    app.router.add_post(RPC_PATH, solana_rpc, name="solana")
    add_admin_routes(app)
    app.cleanup_ctx.append(_feed_task)
    app.on_shutdown.append(_close_sockets)
    return app


async def _feed_task(app: web.Application) -> Any:
    task = asyncio.create_task(app[STATE].feed.run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_sockets(app: web.Application) -> None:
    await app[STATE].feed.close_all()


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count each DexScreener request and let the configured faults hit it, in the order a
    client meets them: latency, then the rate limit, then a 5xx, then a truncated body."""
    endpoint = request.match_info.route.name
    if endpoint not in API_ENDPOINTS:
        return await handler(request)
    state = request.app[STATE]
    state.stats.requests[endpoint] += 1
    delay = state.faults.latency_s()
    if delay:
        state.stats.latency_added_ms += round(delay * 1000)
        await asyncio.sleep(delay)
    canned = state.faults.rate_limit(time.monotonic()) or state.faults.server_error()
    response = canned_response(canned) if canned else await handler(request)
    if isinstance(response, web.Response) and response.status == 200:
        body = response.body
        if isinstance(body, bytes) and state.faults.malformed():
            response.body = truncate(body)
            state.stats.malformed += 1
    state.stats.statuses[response.status] += 1
    return response


def _addresses(request: web.Request) -> list[str]:
    return [part.strip() for part in request.match_info["addresses"].split(",") if part.strip()]


def _too_many() -> web.Response:
    return json_response({"error": f"Too many addresses, maximum is {MAX_ADDRESSES}"}, 400)


def _batch(request: web.Request) -> tuple[list[dict[str, Any]], bool]:
    """Pairs for a comma-separated batch, minus the tokens the omission fault leaves out."""
    state = request.app[STATE]
    addresses = _addresses(request)
    if len(addresses) > MAX_ADDRESSES:
        return [], False
    state.stats.mints_requested += len(addresses)
    kept = state.faults.omit(list(dict.fromkeys(addresses)))
    state.stats.omitted_tokens += len(set(addresses)) - len(kept)
    return state.market.pairs(kept, state.clock.now_ms()), True


async def tokens_v1(request: web.Request) -> web.Response:
    """GET /tokens/v1/{chain}/{a,b,...}: a bare array of pairs, up to 30 addresses."""
    pairs, ok = _batch(request)
    if not ok:
        return _too_many()
    return json_response(pairs if request.match_info["chain"] == CHAIN else [])


async def token_pairs_v1(request: web.Request) -> web.Response:
    """GET /token-pairs/v1/{chain}/{address}: every pool of one token, [] when unknown."""
    state = request.app[STATE]
    state.stats.mints_requested += 1
    if request.match_info["chain"] != CHAIN:
        return json_response([])
    mint = request.match_info["address"].strip()
    return json_response(state.market.token_pairs(mint, state.clock.now_ms()))


async def latest_dex_tokens(request: web.Request) -> web.Response:
    """GET /latest/dex/tokens/{a,b,...}: the older envelope; "pairs" is null when empty."""
    pairs, ok = _batch(request)
    if not ok:
        return _too_many()
    return json_response({"schemaVersion": "1.0.0", "pairs": pairs or None})

"""The sandbox's control panel: faults, forced migrations, the clock, stats and ground truth
(tokens, their holders, serial creators, and what the chain lists at the migration account).

`SandboxControl` is the one implementation; the `/_sandbox/...` routes and the test handle
(`running_sandbox`) both call it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ingestion.sandbox.book import PROGRAM_ROLES
from ingestion.sandbox.chain import MIGRATION_KINDS
from ingestion.sandbox.faults import FaultError
from ingestion.sandbox.keys import MIGRATION_ACCOUNT, is_address
from ingestion.sandbox.market import token_summary
from ingestion.sandbox.state import STATE, SandboxState, json_response


class ControlError(ValueError):
    """A control request the sandbox refuses (answered with 400)."""


class SandboxControl:
    """Operations on a running sandbox; call them from its event loop."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def faults(self) -> dict[str, Any]:
        return self.state.faults.settings.to_json()

    async def set_faults(self, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge `patch` into the faults. Extra keys: reset (all off first), ws_drop_now."""
        changes = dict(patch)
        reset, drop_now = changes.pop("reset", False), changes.pop("ws_drop_now", False)
        if reset:
            self.state.faults.reset()
        try:
            self.state.faults.update(changes)
        except FaultError as error:
            raise ControlError(str(error)) from error
        if drop_now:
            await self.state.feed.drop_all()
        return self.faults()

    def stats(self) -> dict[str, Any]:
        return self.state.stats.snapshot(self.state.clock.now_ms())

    def reset_stats(self) -> dict[str, Any]:
        self.state.stats.reset()
        return self.stats()

    async def migrate(
        self,
        mint: str | None = None,
        story: str | None = None,
        traits: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Graduate a token now and push its migration frame to migration subscribers;
        `traits` forces its chain traits (traits.TokenTraits fields, plus serial_creator)."""
        if mint is not None and not is_address(mint):
            raise ControlError("mint must be a base58 address of 32 bytes")
        if traits is not None and not isinstance(traits, Mapping):
            raise ControlError("traits must be an object")
        try:
            spec, replayed = self.state.market.force_migration(
                self.state.clock.now_ms(), mint=mint, story=story, traits=traits
            )
        except ValueError as error:
            raise ControlError(str(error)) from error
        frame = spec.migration_frame()
        await self.state.feed.publish_frame("migrate", frame)
        return {**token_summary(spec), "replayed": replayed, "frame": frame}

    def clock(self) -> dict[str, Any]:
        clock = self.state.clock
        return {"now_ms": clock.now_ms(), "start_ms": clock.start_ms, "speed": clock.speed}

    def set_clock(self, patch: Mapping[str, Any]) -> dict[str, Any]:
        """{"advance_ms": n} or {"advance_s": x} jumps forward; {"speed": x} changes the pace."""
        unknown = set(patch) - {"advance_ms", "advance_s", "speed"}
        if unknown:
            raise ControlError(f"unknown clock fields: {', '.join(sorted(unknown))}")
        try:
            if "speed" in patch:
                self.state.clock.set_speed(float(patch["speed"]))
            advance = float(patch.get("advance_ms", 0)) + float(patch.get("advance_s", 0)) * 1000
            if advance:
                self.state.clock.advance(round(advance))
        except (TypeError, ValueError) as error:
            raise ControlError(str(error)) from error
        return self.clock()

    def tokens(
        self, *, status: str = "migrated", limit: int = 100, offset: int = 0
    ) -> dict[str, Any]:
        """Ground truth: tokens graduated (or launched) by now, oldest first, paginated."""
        if status not in ("migrated", "launched"):
            raise ControlError("status is migrated or launched")
        now = self.state.clock.now_ms()
        found = self.state.market.tokens(now, migrated=status == "migrated")
        page = found[offset : offset + limit] if limit else found[offset:]
        return {"now_ms": now, "count": len(found), "tokens": [token_summary(s) for s in page]}

    def holders(self, mint: str) -> dict[str, Any]:
        """Every listed token account of a coin now, with what its owner is, and the shares a
        risk panel computes: the 10 largest holders leaving out pools, the curve and the burn
        address (the creator counts), and the creator's own."""
        now = self.state.clock.now_ms()
        self.state.chain.sync(now)
        book = self.state.chain.book(mint)
        if book is None or now < book.launch.created_ms:
            raise ControlError(f"no coin {mint} on the chain yet")
        supply = book.supply(now)
        rows = book.holders(now)
        people = [amount for account, amount in rows if account.role not in PROGRAM_ROLES]
        creator = sum(amount for account, amount in rows if account.role == "creator")
        return {
            "now_ms": now,
            "mint": mint,
            "supply": supply,
            "top10_share": sum(people[:10]) / supply,
            "creator_share": creator / supply,
            "accounts": [
                {"address": a.address, "owner": a.owner, "role": a.role, "amount": amount}
                for a, amount in rows
            ],
        }

    def creators(self) -> dict[str, Any]:
        """The serial creators and every launch of theirs up to now, newest first."""
        now = self.state.clock.now_ms()
        chain = self.state.chain
        chain.sync(now)
        found = []
        for creator in self.state.market.serial_creators:
            launches = chain.launches_by(creator, now)
            found.append(
                {
                    "creator": creator,
                    "launches": [
                        {
                            "mint": launch.mint,
                            "signature": launch.signature,
                            "created_at_ms": launch.created_ms,
                            "graduated": launch.spec is not None and launch.spec.migrated_ms <= now,
                        }
                        for launch in launches
                    ],
                }
            )
        return {"now_ms": now, "creators": found}

    def chain_migrations(self, *, kind: str | None = None, limit: int = 100) -> dict[str, Any]:
        """What the chain lists at the migration account up to now, newest first, each entry
        with what it really is: a graduation ("migrate") or noise."""
        if kind is not None and kind not in MIGRATION_KINDS:
            raise ControlError(f"kind is one of {', '.join(MIGRATION_KINDS)}")
        now = self.state.clock.now_ms()
        chain = self.state.chain
        chain.sync(now)
        listed = chain.history(MIGRATION_ACCOUNT, now)
        if kind is not None:
            listed = [tx for tx in listed if tx.kind == kind]
        page = listed[:limit] if limit else listed
        return {
            "now_ms": now,
            "count": len(listed),
            "transactions": [
                {
                    "signature": tx.signature,
                    "kind": tx.kind,
                    "mint": tx.mint or None,
                    "signer": tx.signer,
                    "slot": tx.slot,
                    "block_time": tx.block_time,
                    "err": tx.err,
                }
                for tx in page
            ],
        }


CONTROL = web.AppKey("sandbox_control", SandboxControl)


def add_admin_routes(app: web.Application) -> None:
    app[CONTROL] = SandboxControl(app[STATE])
    routes = [
        web.get("/_sandbox/faults", _get_faults),
        web.post("/_sandbox/faults", _post_faults),
        web.post("/_sandbox/migrate", _post_migrate),
        web.get("/_sandbox/stats", _get_stats),
        web.post("/_sandbox/stats/reset", _post_stats_reset),
        web.get("/_sandbox/clock", _get_clock),
        web.post("/_sandbox/clock", _post_clock),
        web.get("/_sandbox/tokens", _get_tokens),
        web.get("/_sandbox/holders/{mint}", _get_holders),
        web.get("/_sandbox/creators", _get_creators),
        web.get("/_sandbox/chain/migrations", _get_chain_migrations),
    ]
    app.router.add_routes(routes)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        payload = json.loads(raw)
    except ValueError as error:
        raise ControlError("the body must be a JSON object") from error
    if not isinstance(payload, dict):
        raise ControlError("the body must be a JSON object")
    return payload


def _error(error: ControlError) -> web.Response:
    return json_response({"error": str(error)}, 400)


async def _get_faults(request: web.Request) -> web.Response:
    return json_response(request.app[CONTROL].faults())


async def _post_faults(request: web.Request) -> web.Response:
    try:
        return json_response(await request.app[CONTROL].set_faults(await _body(request)))
    except ControlError as error:
        return _error(error)


async def _post_migrate(request: web.Request) -> web.Response:
    try:
        body = await _body(request)
        control = request.app[CONTROL]
        result = await control.migrate(body.get("mint"), body.get("story"), body.get("traits"))
    except ControlError as error:
        return _error(error)
    return json_response(result)


async def _get_stats(request: web.Request) -> web.Response:
    return json_response(request.app[CONTROL].stats())


async def _post_stats_reset(request: web.Request) -> web.Response:
    return json_response(request.app[CONTROL].reset_stats())


async def _get_clock(request: web.Request) -> web.Response:
    return json_response(request.app[CONTROL].clock())


async def _post_clock(request: web.Request) -> web.Response:
    try:
        return json_response(request.app[CONTROL].set_clock(await _body(request)))
    except ControlError as error:
        return _error(error)


async def _get_tokens(request: web.Request) -> web.Response:
    query = request.query
    try:
        limit, offset = int(query.get("limit", "100")), int(query.get("offset", "0"))
        result = request.app[CONTROL].tokens(
            status=query.get("status", "migrated"), limit=limit, offset=offset
        )
    except ValueError as error:
        return _error(ControlError(str(error)))
    return json_response(result)


async def _get_holders(request: web.Request) -> web.Response:
    try:
        return json_response(request.app[CONTROL].holders(request.match_info["mint"]))
    except ControlError as error:
        return _error(error)


async def _get_creators(request: web.Request) -> web.Response:
    return json_response(request.app[CONTROL].creators())


async def _get_chain_migrations(request: web.Request) -> web.Response:
    query = request.query
    try:
        limit = int(query.get("limit", "100"))
        result = request.app[CONTROL].chain_migrations(kind=query.get("kind"), limit=limit)
    except ValueError as error:
        return _error(ControlError(str(error)))
    return json_response(result)

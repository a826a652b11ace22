"""The PumpPortal data WebSocket (`/api/data`): acks, create and migration frames, drops."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from ingestion.sandbox.clock import SimClock
from ingestion.sandbox.faults import FaultGate
from ingestion.sandbox.market import FeedEvent, Market
from ingestion.sandbox.stats import SandboxStats

log = logging.getLogger(__name__)

SUBSCRIBE = {
    "subscribeMigration": ("migrate", "Subscribed to 'migration' events."),
    "subscribeNewToken": ("create", "Successfully subscribed to token creation events."),
}
UNSUBSCRIBE = {
    "unsubscribeMigration": ("migrate", "Unsubscribed from 'migration' events."),
    "unsubscribeNewToken": ("create", "Unsubscribed from token creation events."),
}
KEY_ONLY = ("subscribeTokenTrade", "subscribeAccountTrade")
KEY_ONLY_MESSAGE = (
    "'subscribeTokenTrade' and 'subscribeAccountTrade' methods are only available when "
    "connecting with an API key funded with at least 0.02 SOL."
)
TICK_S = 0.05
CLOSE_TIMEOUT_S = 2.0  # how long a close waits for the client's answer


def encode(frame: dict[str, Any]) -> str:
    """Compact JSON, as JavaScript's JSON.stringify writes it."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    request: web.Request
    kinds: set[str] = field(default_factory=set)


class Feed:
    """Connections, their subscriptions, and the loop that streams the market's events."""

    def __init__(
        self,
        market: Market,
        clock: SimClock,
        faults: FaultGate,
        stats: SandboxStats,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.market, self.clock, self.faults, self.stats = market, clock, faults, stats
        self.subscribers: set[Subscriber] = set()
        self._monotonic = monotonic

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /api/data: one PumpPortal session until either side goes away."""
        if self.faults.settings.ws_refuse:
            self.stats.ws_refused += 1
            return web.Response(status=503, text="Service Unavailable")
        ws = web.WebSocketResponse(autoping=False, timeout=CLOSE_TIMEOUT_S)
        await ws.prepare(request)
        subscriber = Subscriber(ws, request)
        self.subscribers.add(subscriber)
        self.stats.ws_opened += 1
        self.stats.ws_open += 1
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_text(subscriber, message.data)
                elif message.type == WSMsgType.PING and not self.faults.settings.ws_silent:
                    await ws.pong(message.data)
        finally:
            self.subscribers.discard(subscriber)
            self.stats.ws_open -= 1
        return ws

    async def _on_text(self, subscriber: Subscriber, text: str) -> None:
        try:
            payload = json.loads(text)
        except ValueError:
            return
        method = payload.get("method") if isinstance(payload, dict) else None
        if method in SUBSCRIBE:
            kind, message = SUBSCRIBE[method]
            subscriber.kinds.add(kind)
            await self._send(subscriber, "ack", {"message": message})
        elif method in UNSUBSCRIBE:
            kind, message = UNSUBSCRIBE[method]
            subscriber.kinds.discard(kind)
            await self._send(subscriber, "ack", {"message": message})
        elif method in KEY_ONLY:
            await self._send(subscriber, "message", {"message": KEY_ONLY_MESSAGE})

    async def _send(self, subscriber: Subscriber, kind: str, frame: dict[str, Any]) -> None:
        if self.faults.settings.ws_silent or subscriber.ws.closed:
            return
        try:
            await subscriber.ws.send_str(encode(frame))
        except (ConnectionError, RuntimeError):
            return
        self.stats.frames[kind] += 1

    async def publish(self, event: FeedEvent) -> None:
        await self.publish_frame(event.kind, event.frame)

    async def publish_frame(self, kind: str, frame: dict[str, Any]) -> None:
        """Send one event frame to every connection subscribed to its kind (unless the omission
        fault swallows a migration frame: then nobody hears of it)."""
        if kind == "migrate" and self.faults.omit_migration(frame["mint"]):
            self.stats.omitted_migration_count += 1
            self.stats.omitted_migrations.append(frame["mint"])
            return
        for subscriber in list(self.subscribers):
            if kind in subscriber.kinds:
                await self._send(subscriber, kind, frame)

    async def drop_all(self, mode: str | None = None) -> int:
        """Drop every connection now: "abort" resets TCP, "close" sends close 1001."""
        how = mode or self.faults.settings.ws_drop_mode
        dropped = list(self.subscribers)
        self.subscribers.difference_update(dropped)
        if how == "close":
            await self._close(dropped, b"going away")
        else:
            for subscriber in dropped:
                if subscriber.request.transport is not None:
                    subscriber.request.transport.abort()
        self.stats.ws_dropped += len(dropped)
        return len(dropped)

    async def close_all(self) -> None:
        await self._close(list(self.subscribers), b"shutdown")

    @staticmethod
    async def _close(subscribers: list[Subscriber], reason: bytes) -> None:
        closing = [s.ws.close(code=WSCloseCode.GOING_AWAY, message=reason) for s in subscribers]
        await asyncio.gather(*closing, return_exceptions=True)

    async def run(self) -> None:
        """Stream the market: every tick, publish what happened since the last tick."""
        last_ms = self.clock.now_ms()
        last_drop = self._monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            now_ms = self.clock.now_ms()
            if now_ms > last_ms:
                try:
                    events = self.market.events_between(last_ms, now_ms)
                except Exception:
                    log.exception("sandbox market failed between %d and %d", last_ms, now_ms)
                    events = []
                for event in events:
                    await self.publish(event)
                last_ms = now_ms
            every = self.faults.settings.ws_drop_every_s
            if not every:
                last_drop = self._monotonic()
            elif self._monotonic() - last_drop >= every:
                last_drop = self._monotonic()
                count = await self.drop_all()
                log.info("sandbox dropped %d websocket connections", count)

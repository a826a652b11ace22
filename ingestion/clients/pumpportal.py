"""PumpPortal data WebSocket: the one long-lived listener connection (frames: pumpportal_frames).

PumpPortal bans clients that open many connections, so the listener keeps exactly one, and
reconnects with exponential backoff and full jitter. The feed has no application-level ping:
migrations come minutes apart, so the listener also subscribes to token creations (several a
minute) and treats any frame as proof of life; a socket silent for ``silence_seconds`` is dropped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from .pumpportal_frames import (
    INITIAL_BUY_MAX,
    NAME_MAX,
    POOL_MAX,
    SOL_AMOUNT_MAX,
    SYMBOL_MAX,
    URI_MAX,
    Ack,
    Creation,
    FeedError,
    Frame,
    Garbage,
    Ignored,
    Migration,
    parse_frame,
)

__all__ = [
    "INITIAL_BUY_MAX",
    "NAME_MAX",
    "POOL_MAX",
    "SOL_AMOUNT_MAX",
    "SUBSCRIBE_MIGRATION",
    "SUBSCRIBE_NEW_TOKEN",
    "SYMBOL_MAX",
    "URI_MAX",
    "Ack",
    "Creation",
    "FeedError",
    "Frame",
    "Garbage",
    "Ignored",
    "ListenerState",
    "Migration",
    "PumpPortalListener",
    "parse_frame",
]

logger = logging.getLogger(__name__)

SUBSCRIBE_MIGRATION: dict[str, str] = {"method": "subscribeMigration"}
SUBSCRIBE_NEW_TOKEN: dict[str, str] = {"method": "subscribeNewToken"}

STOP_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class ListenerState:
    """What /health shows about the feed; times are epoch seconds."""

    connected: bool = False
    connected_since: float | None = None
    # Since when without a connection: the listener's start, or the end of its last session.
    disconnected_since: float | None = None
    last_frame_at: float | None = None
    migrations_seen: int = 0
    creations_seen: int = 0
    garbage_seen: int = 0
    errors_seen: int = 0
    reconnects: int = 0
    last_error: str | None = None


class _Silence(Exception):
    pass


class PumpPortalListener:
    """Keeps one subscription to PumpPortal alive and hands every migration to ``on_migration``
    and, when given ``on_creation``, every token creation to it, stamped with its arrival time.

    A connection counts as healthy, and resets the backoff, once it has received a frame and
    stayed up for ``healthy_after`` seconds: a server that accepts and drops at once would
    otherwise be hammered at the base delay.
    """

    def __init__(
        self,
        url: str,
        on_migration: Callable[[Migration], Awaitable[None]],
        *,
        silence_seconds: float = 300,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        healthy_after: float = 30.0,
        open_timeout: float = 10.0,
        on_state: Callable[[ListenerState], None] | None = None,
        on_creation: Callable[[Creation], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.on_migration = on_migration
        self.silence_seconds = silence_seconds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.healthy_after = healthy_after
        self.open_timeout = open_timeout
        self.on_state = on_state
        self.on_creation = on_creation
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self.state = ListenerState(disconnected_since=clock())  # not connected yet
        self._session_frames = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop`` is set; returns promptly then, even mid-receive or mid-backoff."""
        failures = 0
        first = True
        while not stop.is_set():
            if not first:
                self._update(reconnects=self.state.reconnects + 1)
            first = False
            healthy = await self._session_until_stop(stop)
            if stop.is_set():
                break
            failures = 1 if healthy else failures + 1
            delay = self._backoff_delay(failures)
            logger.info("pumpportal: reconnecting in %.2fs", delay)
            await self._wait(stop, delay)
        logger.info("pumpportal: listener stopped")

    async def _session_until_stop(self, stop: asyncio.Event) -> bool:
        """Run one session until it ends or ``stop`` is set.

        On stop, an open connection gets ``STOP_GRACE_SECONDS`` to close itself politely; a
        connection still in its handshake is cancelled at once.
        """
        session = asyncio.ensure_future(self._session(stop))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({session, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not session.done() and self.state.connected:
                # An open socket is closed by the session itself, with a close frame; a
                # handshake in progress is simply cut off below.
                await asyncio.wait({session}, timeout=STOP_GRACE_SECONDS)
        finally:
            stopper.cancel()
            if not session.done():
                session.cancel()
            await asyncio.gather(stopper, session, return_exceptions=True)
        return session.result() if not session.cancelled() else False

    def _backoff_delay(self, failures: int) -> float:
        """Full jitter: uniform in [0, min(backoff_max, backoff_base * 2**(failures-1))]."""
        return self._jitter() * min(self.backoff_max, self.backoff_base * 2.0 ** (failures - 1))

    async def _wait(self, stop: asyncio.Event, delay: float) -> None:
        sleeper = asyncio.ensure_future(self._sleep(delay))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
            await asyncio.gather(sleeper, stopper, return_exceptions=True)

    async def _session(self, stop: asyncio.Event) -> bool:
        """One connection, start to end; answers whether it stayed healthy."""
        opened_at: float | None = None
        self._session_frames = 0
        try:
            async with connect(self.url, open_timeout=self.open_timeout, close_timeout=2) as ws:
                opened_at = time.monotonic()
                self._update(connected=True, connected_since=self._clock(), disconnected_since=None)
                logger.info("pumpportal: connected to %s", self.url)
                await ws.send(json.dumps(SUBSCRIBE_MIGRATION))
                await ws.send(json.dumps(SUBSCRIBE_NEW_TOKEN))
                await self._read_until_closed(ws, stop)
        except asyncio.CancelledError:
            self._lost()
            raise
        except _Silence:
            self._disconnected(f"no frame for {self.silence_seconds}s")
        except Exception as exc:
            self._disconnected(f"{type(exc).__name__}: {exc}")
        else:
            self._lost()
        lived = 0.0 if opened_at is None else time.monotonic() - opened_at
        return self._session_frames > 0 and lived >= self.healthy_after

    async def _read_until_closed(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        closer = asyncio.ensure_future(self._close_on_stop(ws, stop))
        try:
            while True:
                try:
                    async with asyncio.timeout(self.silence_seconds):
                        raw = await ws.recv()
                except TimeoutError:
                    await ws.close()
                    raise _Silence from None
                self._session_frames += 1
                await self._handle(raw)
        except Exception:
            if stop.is_set():
                return
            raise
        finally:
            closer.cancel()
            await asyncio.gather(closer, return_exceptions=True)

    async def _close_on_stop(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        await stop.wait()
        await ws.close()

    async def _handle(self, raw: str | bytes) -> None:
        frame = parse_frame(raw)
        now = self._clock()
        if isinstance(frame, Migration):
            self._update(last_frame_at=now, migrations_seen=self.state.migrations_seen + 1)
            await self._deliver(dataclasses.replace(frame, seen_at=now))
        elif isinstance(frame, Creation):
            self._update(last_frame_at=now, creations_seen=self.state.creations_seen + 1)
            if self.on_creation is not None:
                await self._deliver_creation(
                    self.on_creation, dataclasses.replace(frame, seen_at=now)
                )
        elif isinstance(frame, FeedError):
            logger.warning("pumpportal: the feed answered with an error: %s", frame.message)
            self._update(last_frame_at=now, errors_seen=self.state.errors_seen + 1)
        elif isinstance(frame, Garbage):
            logger.warning("pumpportal: skipped a garbage frame: %s", frame.reason)
            self._update(last_frame_at=now, garbage_seen=self.state.garbage_seen + 1)
        else:
            if isinstance(frame, Ack):
                logger.info("pumpportal: %s", frame.message)
            self._update(last_frame_at=now)

    async def _deliver(self, migration: Migration) -> None:
        try:
            await self.on_migration(migration)
        except Exception:
            logger.exception("pumpportal: on_migration failed for %s", migration.mint)

    async def _deliver_creation(
        self, deliver: Callable[[Creation], Awaitable[None]], creation: Creation
    ) -> None:
        try:
            await deliver(creation)
        except Exception:
            logger.exception("pumpportal: on_creation failed for %s", creation.mint)

    def _disconnected(self, reason: str) -> None:
        logger.warning("pumpportal: disconnected: %s", reason)
        self._lost(last_error=reason)

    def _lost(self, **changes: Any) -> None:
        """No connection (any more): since now, unless it was already lost before."""
        since = self.state.disconnected_since or self._clock()
        self._update(connected=False, connected_since=None, disconnected_since=since, **changes)

    def _update(self, **changes: Any) -> None:
        self.state = dataclasses.replace(self.state, **changes)
        if self.on_state is None:
            return
        try:
            self.on_state(self.state)
        except Exception:
            logger.exception("pumpportal: on_state callback failed")

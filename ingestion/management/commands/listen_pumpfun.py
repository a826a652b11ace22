"""The one PumpPortal connection: every migration becomes a monitoring token, every launch a
stored creation, and each reconnect asks the chain what the gap cost."""

import asyncio
import contextlib
import logging
import os
import signal
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections, transaction

from ingestion.clients.pumpportal import Creation, ListenerState, Migration, PumpPortalListener
from ingestion.services.creations import creation_store
from ingestion.services.listener import ListenerLock, listener_state_save
from ingestion.services.reconcile import RECONCILE_TASK
from moon.lib.queue import QueueUnavailable, task_send
from scoring.services.enqueue import tokens_first_refresh_enqueue
from tokens.services.registration import token_register_migration

logger = logging.getLogger("ingestion.listener")

LOCK_TTL_SECONDS = 15  # a SIGKILLed listener's successor waits at most this long
LOCK_RENEW_SECONDS = 5
PUBLISH_SECONDS = 1.0  # the state on /health is at most this old
PENDING_LIMIT = 10_000  # migrations held while the database is down: days of them
CREATIONS_PENDING_LIMIT = 20_000  # launches come far faster: about a day of them
RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


def register_migration(migration: Migration) -> None:
    close_old_connections()
    with transaction.atomic():
        token = token_register_migration(mint=migration.mint, signature=migration.signature)
        if token is not None:
            transaction.on_commit(lambda: _first_refresh(token.pk))


def _first_refresh(token_id: int) -> None:
    try:
        tokens_first_refresh_enqueue(token_ids=[token_id])
    except QueueUnavailable as exc:  # the cold group picks the token up anyway
        logger.warning("first refresh of token %s not queued: %s", token_id, exc)


def store_creation(creation: Creation) -> None:
    close_old_connections()
    creation_store(creation=creation)


class _Heard(Protocol):
    @property
    def mint(self) -> str: ...

    @property
    def signature(self) -> str | None: ...


Heard = TypeVar("Heard", bound=_Heard)


class FeedInbox(Generic[Heard]):
    """Every event of one kind heard, stored in arrival order by one task of its own.

    The socket reader only appends here, so a slow or absent database never stalls the feed.
    When the database refuses (it is down or restarting), the event stays at the head of the
    inbox with those behind it, and storing resumes with exponential backoff: a migration seen
    while PostgreSQL is down becomes a token once it is back. Bounded: past `limit` the oldest
    is dropped and logged, as are those still held when the listener stops. Migrations and
    creations have an inbox each, so a flood of launches never pushes a migration out.
    """

    noun = "event"
    action = "store"

    def __init__(
        self,
        store: Callable[[Heard], Awaitable[None]],
        *,
        limit: int = PENDING_LIMIT,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        self._store = store
        self._pending: deque[Heard] = deque()
        self._arrived = asyncio.Event()
        self.limit = limit
        self.retry_base = retry_base
        self.retry_max = retry_max

    def __len__(self) -> int:
        return len(self._pending)

    async def put(self, heard: Heard) -> None:
        if len(self._pending) >= self.limit:
            lost = self._pending.popleft()
            logger.error(
                "%d %ss wait for the database: dropped the oldest, %s (signature %s)",
                self.limit,
                self.noun,
                lost.mint,
                lost.signature,
            )
        self._pending.append(heard)
        self._arrived.set()

    async def drain(self) -> bool:
        """Store the held events in order; False when the database still refuses."""
        while self._pending:
            heard = self._pending[0]
            try:
                await self._store(heard)
            except (OperationalError, InterfaceError) as exc:
                logger.warning(
                    "database unavailable, %d %s(s) held for retry: %s",
                    len(self._pending),
                    self.noun,
                    exc,
                )
                return False
            except Exception:  # this one will never store: do not block the ones behind it
                logger.exception("could not %s the %s of %s", self.action, self.noun, heard.mint)
            self._pending.popleft()
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Store events as they arrive until `stop`; then a last try, and report the rest."""
        failures = 0
        while not stop.is_set():
            if not self._pending:
                self._arrived.clear()
                await _first_of(stop, self._arrived)
                continue
            if await self.drain():
                failures = 0
                continue
            failures += 1
            delay = min(self.retry_max, self.retry_base * 2.0 ** (failures - 1))
            await _first_of(stop, timeout=delay)
        if self._pending:
            await self.drain()
        for heard in self._pending:
            logger.error(
                "listener stopped before the database took the %s of %s (signature %s)",
                self.noun,
                heard.mint,
                heard.signature,
            )


class MigrationInbox(FeedInbox[Migration]):
    noun = "migration"
    action = "register"


class CreationInbox(FeedInbox[Creation]):
    noun = "creation"


async def _first_of(*events: asyncio.Event, timeout: float | None = None) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)


class StatePublisher:
    """Holds the listener's latest state and writes it to Redis on a timer, off the event loop.

    The listener reports a new state on every frame; writing each one to Redis from the loop
    would make every frame wait on Redis. Here a frame only replaces a reference.
    """

    def __init__(self, interval: float = PUBLISH_SECONDS) -> None:
        self.interval = interval
        self._latest: ListenerState | None = None
        self._published: ListenerState | None = None

    def update(self, state: ListenerState) -> None:
        self._latest = state

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
        await self.flush()

    async def flush(self) -> None:
        state = self._latest
        if state is None or state is self._published:
            return
        try:
            await asyncio.to_thread(listener_state_save, state)
        except redis.RedisError:
            logger.warning("could not publish the listener state", exc_info=True)
            return
        self._published = state


class ReconnectReconciler:
    """Queues a reconciliation once the listener is connected again after losing the feed:
    whatever migrated during the gap is on chain, not on the socket.

    Sending the task touches Redis (up to a second when it is down), so it runs in a thread
    and the frame that reported the connection goes on at once.
    """

    def __init__(self) -> None:
        self._queued_for = 0
        self._sending: set[asyncio.Future[None]] = set()

    def update(self, state: ListenerState) -> None:
        if not state.connected or state.reconnects <= self._queued_for:
            return
        self._queued_for = state.reconnects
        sending = asyncio.ensure_future(asyncio.to_thread(_queue_reconcile))
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)

    async def wait(self) -> None:
        await asyncio.gather(*self._sending, return_exceptions=True)


def _queue_reconcile() -> None:
    try:
        task_send(RECONCILE_TASK)
    except QueueUnavailable as exc:  # the periodic run comes within 10 minutes anyway
        logger.warning("reconciliation after the reconnect not queued: %s", exc)
    else:
        logger.info("reconnected: reconciliation with the chain queued")


class Command(BaseCommand):
    help = "Listen to PumpPortal migrations (one connection; a Redis lock keeps it single)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default=settings.PUMPPORTAL_WS_URL)
        parser.add_argument(
            "--silence-seconds", type=float, default=settings.PUMPPORTAL_SILENCE_SECONDS
        )

    def handle(self, *args: Any, url: str, silence_seconds: float, **options: Any) -> None:
        asyncio.run(self._main(url, silence_seconds))

    async def _main(self, url: str, silence_seconds: float) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        lock = ListenerLock(f"{os.uname().nodename}:{os.getpid()}", LOCK_TTL_SECONDS)
        if not await self._acquire(lock, stop):
            return
        inbox = MigrationInbox(sync_to_async(register_migration, thread_sensitive=True))
        creations = CreationInbox(
            sync_to_async(store_creation, thread_sensitive=True), limit=CREATIONS_PENDING_LIMIT
        )
        publisher = StatePublisher()
        reconciler = ReconnectReconciler()

        def on_state(state: ListenerState) -> None:
            publisher.update(state)
            reconciler.update(state)

        listener = PumpPortalListener(
            url,
            inbox.put,
            on_creation=creations.put,
            silence_seconds=silence_seconds,
            on_state=on_state,
        )
        background = [
            asyncio.create_task(self._keep_lock(lock, stop)),
            asyncio.create_task(publisher.run(stop)),
            asyncio.create_task(inbox.run(stop)),
            asyncio.create_task(creations.run(stop)),
        ]
        try:
            await listener.run(stop)
        finally:
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
            await reconciler.wait()
            await publisher.flush()  # the listener's last word (disconnected) after the timer
            await asyncio.to_thread(_release, lock)
        logger.info("listener stopped")

    async def _acquire(self, lock: ListenerLock, stop: asyncio.Event) -> bool:
        """Wait for the lock: a second listener must not open a second connection. A Redis
        that does not answer yet is waited for too: the listener must not exit over it."""
        announced = ""
        while not stop.is_set():
            try:
                got = await asyncio.to_thread(lock.acquire)
            except redis.RedisError as exc:
                got, reason = False, f"Redis does not answer, waiting for the lock: {exc}"
            else:
                reason = "another listener holds the lock; waiting"
            if got:
                logger.info("listener lock taken by %s", lock.owner)
                return True
            if reason != announced:
                logger.warning(reason)
                announced = reason
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=LOCK_RENEW_SECONDS / 2)
        return False

    async def _keep_lock(self, lock: ListenerLock, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=LOCK_RENEW_SECONDS)
            if stop.is_set():
                return
            try:
                held = await asyncio.to_thread(lock.renew)
            except redis.RedisError:
                logger.exception("could not renew the listener lock")
                continue
            if not held:
                logger.error("listener lock lost to another process; stopping")
                stop.set()


def _release(lock: ListenerLock) -> None:
    try:
        lock.release()
    except redis.RedisError:
        logger.warning("could not release the listener lock; it expires by itself")

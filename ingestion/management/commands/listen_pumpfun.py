"""The one PumpPortal connection: every migration becomes a monitoring token, every launch a
stored creation, and each reconnect asks the chain what the gap cost."""

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ingestion.clients.pumpportal import Creation, ListenerState, Migration, PumpPortalListener
from ingestion.services.creations import creation_store
from ingestion.services.inbox import DATABASE_ERRORS, CreationInbox, MigrationInbox
from ingestion.services.journal import creations_journal, migrations_journal
from ingestion.services.listener import LISTENER_LOCK_KEY, ListenerLock, listener_state_save
from ingestion.services.reconcile import RECONCILE_TASK
from moon.lib.queue import QueueUnavailable, task_send
from scoring.services.enqueue import tokens_first_refresh_enqueue
from scoring.services.schedule import BATCH_SIZE
from tokens.services.registration import token_register_migration

logger = logging.getLogger("ingestion.listener")

LOCK_TTL_SECONDS = 10  # a SIGKILLed listener's successor waits at most this long
LOCK_RENEW_SECONDS = 3
PUBLISH_SECONDS = 1.0  # the state on /health is at most this old


def register_migrations(migrations: Sequence[Migration]) -> None:
    """Register a batch of migrations, then queue the new tokens' first refreshes together.

    A database error propagates (the inbox tries the batch again; registering is idempotent);
    any other failure costs only its own migration.
    """
    close_old_connections()
    new: list[int] = []
    try:
        for migration in migrations:
            try:
                token = token_register_migration(
                    mint=migration.mint,
                    signature=migration.signature,
                    seen_at=_seen_at(migration.seen_at),
                )
            except DATABASE_ERRORS:
                raise
            except Exception:
                logger.exception("could not register the migration of %s", migration.mint)
                continue
            if token is not None:
                new.append(token.pk)
    finally:
        for start in range(0, len(new), BATCH_SIZE):
            _first_refresh(new[start : start + BATCH_SIZE])


def _seen_at(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _first_refresh(token_ids: list[int]) -> None:
    try:
        tokens_first_refresh_enqueue(token_ids=token_ids)
    except QueueUnavailable as exc:  # the cold group picks the tokens up anyway
        logger.warning("first refresh of %d token(s) not queued: %s", len(token_ids), exc)


def store_creations(creations: Sequence[Creation]) -> None:
    close_old_connections()
    for creation in creations:
        try:
            creation_store(creation=creation)
        except DATABASE_ERRORS:
            raise
        except Exception:
            logger.exception("could not store the creation of %s", creation.mint)


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
    """Queues a reconciliation on each connection, the first included: whatever migrated while
    the listener was away (lost the feed, or was not running yet) is on chain, not on the socket.

    Sending the task touches Redis (up to a second when it is down), so it runs in a thread
    and the frame that reported the connection goes on at once.
    """

    def __init__(self) -> None:
        self._queued_for = -1  # reconnects counted when the last one was queued
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
        logger.info("connected: reconciliation with the chain queued")


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
        keeper = LockKeeper(lock)
        owned = (LISTENER_LOCK_KEY, lock.owner)
        inbox = MigrationInbox(
            sync_to_async(register_migrations, thread_sensitive=True),
            migrations_journal(lock=owned),
            may_store=keeper.held,
        )
        creations = CreationInbox(
            sync_to_async(store_creations, thread_sensitive=True),
            creations_journal(lock=owned),
            may_store=keeper.held,
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
        # The lock is kept until the inboxes are done: storing outlives the socket by a batch.
        inboxes_done = asyncio.Event()
        keeping = asyncio.create_task(keeper.run(stop, inboxes_done))
        background = [
            asyncio.create_task(publisher.run(stop)),
            asyncio.create_task(inbox.run(stop)),
            asyncio.create_task(creations.run(stop)),
        ]
        try:
            await listener.run(stop)
        finally:
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
            inboxes_done.set()
            await asyncio.gather(keeping, return_exceptions=True)
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


class LockKeeper:
    """Renews the listener lock every LOCK_RENEW_SECONDS until told the work is done.

    ``held`` says whether storing may go on: not once the lock went to another listener, nor
    once renewals have failed for so long that it may have expired (Redis away), since a
    successor could then be storing the same inbox.
    """

    def __init__(self, lock: ListenerLock, clock: Any = time.monotonic) -> None:
        self.lock = lock
        self._clock = clock
        self._renewed_at = clock()
        self._lost = False

    def held(self) -> bool:
        safe_for = LOCK_TTL_SECONDS - LOCK_RENEW_SECONDS
        return not self._lost and self._clock() - self._renewed_at < safe_for

    async def run(self, stop: asyncio.Event, done: asyncio.Event) -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=LOCK_RENEW_SECONDS)
            if done.is_set():
                return
            try:
                ours = await asyncio.to_thread(self.lock.renew)
            except redis.RedisError:
                logger.exception("could not renew the listener lock")
                continue
            if ours:
                self._renewed_at = self._clock()
                continue
            if not self._lost:
                logger.error("listener lock lost to another process; stopping")
            self._lost = True
            stop.set()


def _release(lock: ListenerLock) -> None:
    try:
        lock.release()
    except redis.RedisError:
        logger.warning("could not release the listener lock; it expires by itself")

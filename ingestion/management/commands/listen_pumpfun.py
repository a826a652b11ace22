"""The one PumpPortal connection: every migration becomes a monitoring token."""

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, transaction

from ingestion.clients.pumpportal import ListenerState, Migration, PumpPortalListener
from ingestion.services import (
    LISTENER_LOCK_KEY,
    listener_state_save,
    redis_client,
    token_register_migration,
)
from scoring.tasks import refresh_batch

logger = logging.getLogger("ingestion.listener")

LOCK_TTL_SECONDS = 30
LOCK_RENEW_SECONDS = 10


def register_migration(migration: Migration) -> None:
    close_old_connections()
    with transaction.atomic():
        token = token_register_migration(mint=migration.mint, signature=migration.signature)
        if token is not None:
            transaction.on_commit(lambda: _first_refresh(token.pk))


def _first_refresh(token_id: int) -> None:
    try:
        refresh_batch.delay([token_id], group="new")
    except Exception:  # the cold group picks the token up anyway
        logger.exception("could not queue the first refresh of token %s", token_id)


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
        owner = f"{os.uname().nodename}:{os.getpid()}"
        lock = redis_client()
        if not await self._acquire(lock, owner, stop):
            return
        listener = PumpPortalListener(
            url,
            sync_to_async(register_migration, thread_sensitive=True),
            silence_seconds=silence_seconds,
            on_state=_publish,
        )
        renewer = asyncio.create_task(self._keep_lock(lock, owner, stop))
        try:
            await listener.run(stop)
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            await sync_to_async(_release)(lock, owner)
        logger.info("listener stopped")

    async def _acquire(self, lock: redis.Redis, owner: str, stop: asyncio.Event) -> bool:
        """Wait for the lock: a second listener must not open a second connection."""
        announced = False
        while not stop.is_set():
            got = await sync_to_async(lock.set)(
                LISTENER_LOCK_KEY, owner, nx=True, ex=LOCK_TTL_SECONDS
            )
            if got:
                logger.info("listener lock taken by %s", owner)
                return True
            if not announced:
                logger.warning("another listener holds the lock; waiting")
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=LOCK_RENEW_SECONDS / 2)
        return False

    async def _keep_lock(self, lock: redis.Redis, owner: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(LOCK_RENEW_SECONDS)
            try:
                held = await sync_to_async(_renew)(lock, owner)
            except redis.RedisError:
                logger.exception("could not renew the listener lock")
                continue
            if not held:
                logger.error("listener lock lost to another process; stopping")
                stop.set()


def _renew(lock: redis.Redis, owner: str) -> bool:
    current = lock.get(LISTENER_LOCK_KEY)
    if current is None:
        return bool(lock.set(LISTENER_LOCK_KEY, owner, nx=True, ex=LOCK_TTL_SECONDS))
    if _text(current) != owner:
        return False
    return bool(lock.expire(LISTENER_LOCK_KEY, LOCK_TTL_SECONDS))


def _release(lock: redis.Redis, owner: str) -> None:
    current = lock.get(LISTENER_LOCK_KEY)
    if current is not None and _text(current) == owner:
        lock.delete(LISTENER_LOCK_KEY)


def _publish(state: ListenerState) -> None:
    try:
        listener_state_save(state)
    except redis.RedisError:
        logger.warning("could not publish the listener state", exc_info=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

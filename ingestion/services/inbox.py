"""What the listener heard, on its way to the database without ever holding up the socket.

The reader only appends to memory. One task moves what is in memory to the Redis journal in
batches (a few milliseconds behind the socket); another stores the journal's head in the
database and trims it once stored. So a slow or absent database never stalls the feed, a
SIGKILLed listener leaves its unstored events in the journal for its successor, and storing in
batches keeps pace with bursts of thousands of events a second.

When Redis does not answer, events wait in memory (bounded: past ``limit`` the oldest is dropped
and logged) and are stored from there, not durably, until the journal answers again. When the
database refuses, the batch stays at the head of the journal and storing resumes with
exponential backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic

import redis
from django.db import InterfaceError, OperationalError

from ingestion.clients.pumpportal import Creation, Migration
from ingestion.services.journal import Event, Journal

logger = logging.getLogger("ingestion.listener")

MEMORY_LIMIT = 20_000
WRITE_BATCH = 500  # events a journal write carries at most
STORE_BATCH = 200  # events a database batch carries at most
RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0
STOP_STORE_SECONDS = 5.0
DATABASE_ERRORS = (OperationalError, InterfaceError)


class FeedInbox(Generic[Event]):
    """Every event of one kind heard, journaled and stored in arrival order.

    ``store`` takes a batch and stores each event of it, logging (not raising) an event that can
    never be stored; a database error it raises means "try the whole batch again later", so it
    must be idempotent.
    """

    noun = "event"

    def __init__(
        self,
        store: Callable[[Sequence[Event]], Awaitable[None]],
        journal: Journal[Event],
        *,
        may_store: Callable[[], bool] = lambda: True,
        limit: int = MEMORY_LIMIT,
        store_batch: int = STORE_BATCH,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        self._store = store
        self.journal = journal
        self.may_store = may_store
        self.limit = limit
        self.store_batch = store_batch
        self.retry_base = retry_base
        self.retry_max = retry_max
        self._memory: deque[Event] = deque()
        self._memory_lock = asyncio.Lock()
        self._arrived = asyncio.Event()
        self._journaled = asyncio.Event()
        self._in_flight = 0  # events on their way to Redis, out of memory meanwhile
        self.journal_ok = True

    def __len__(self) -> int:
        """Events heard and not yet in the journal."""
        return len(self._memory)

    async def put(self, event: Event) -> None:
        """Take an event from the reader: memory only, no I/O."""
        if self._memory and len(self._memory) + self._in_flight >= self.limit:
            lost = self._memory.popleft()
            logger.error(
                "%d %ss wait for Redis and the database: dropped the oldest, %s (signature %s)",
                self.limit,
                self.noun,
                lost.mint,
                lost.signature,
            )
        self._memory.append(event)
        self._arrived.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Journal and store until ``stop``; then journal what memory holds, a last time."""
        await asyncio.gather(self._write(stop), self._store_journal(stop))
        # Redis never took these: store them straight away while the database does, for a
        # little while; then name the rest.
        deadline = asyncio.get_running_loop().time() + STOP_STORE_SECONDS
        while self._memory and self.may_store():
            if not await self._store_from_memory():
                break
            if asyncio.get_running_loop().time() > deadline:
                break
        for event in self._memory:
            logger.error(
                "listener stopped before the %s of %s (signature %s) was stored or journaled",
                self.noun,
                event.mint,
                event.signature,
            )
        try:
            waiting = len(self.journal)
        except redis.RedisError:
            return
        if waiting:
            logger.info("%d %s(s) wait in the inbox for the next listener", waiting, self.noun)

    async def _write(self, stop: asyncio.Event) -> None:
        """Memory to the journal, in batches, as soon as events arrive."""
        failures = 0
        while True:
            if not self._memory:
                if stop.is_set():
                    return
                self._arrived.clear()
                await _first_of(stop, self._arrived)
                continue
            if await self._journal_memory():
                failures = 0
                continue
            if stop.is_set():
                return
            failures += 1
            await _first_of(stop, timeout=self._delay(failures))

    async def _journal_memory(self) -> bool:
        async with self._memory_lock:
            count = min(WRITE_BATCH, len(self._memory))
            batch = [self._memory.popleft() for _ in range(count)]
            if not batch:
                return True
            self._in_flight = len(batch)  # still counted against the limit
            try:
                await asyncio.to_thread(self.journal.append, batch)
            except redis.RedisError as exc:
                self._memory.extendleft(reversed(batch))
                if self.journal_ok:
                    logger.warning(
                        "Redis does not take the %s inbox, %d held in memory: %s",
                        self.noun,
                        len(self._memory),
                        exc,
                    )
                self.journal_ok = False
                return False
            finally:
                self._in_flight = 0
        if not self.journal_ok:
            logger.info("the %s inbox is journaled in Redis again", self.noun)
        self.journal_ok = True
        self._journaled.set()
        return True

    async def _store_journal(self, stop: asyncio.Event) -> None:
        """The journal's head to the database, trimmed once stored; only while this listener
        holds the lock (``may_store``), so that a successor never stores alongside it."""
        failures = 0
        while not stop.is_set() and self.may_store():
            self._journaled.clear()
            try:
                entries = await asyncio.to_thread(self.journal.head, self.store_batch)
            except redis.RedisError:
                stored = await self._store_from_memory()
                if stored is None:  # nothing in memory either: ask Redis again later
                    failures += 1
                    await _first_of(stop, timeout=self._delay(failures))
                    continue
            else:
                if not entries:
                    await _first_of(stop, self._journaled, timeout=self.retry_base)
                    continue
                stored = await self._store_entries(entries)
            if stored:
                failures = 0
                continue
            failures += 1
            await _first_of(stop, timeout=self._delay(failures))

    async def _store_entries(self, entries: list[str | bytes]) -> bool:
        events = []
        for entry in entries:
            try:
                events.append(self.journal.load(entry))
            except (ValueError, KeyError, TypeError):
                logger.exception("unreadable %s in the inbox, dropped: %r", self.noun, entry[:200])
        if events and not await self._store_batch(events):
            return False
        try:
            trimmed = await asyncio.to_thread(self.journal.ack, entries)
        except redis.RedisError as exc:  # stored again later: storing is idempotent
            logger.warning("could not trim the %s inbox: %s", self.noun, exc)
            return True
        if not trimmed:
            logger.warning("the %s inbox changed hands: its head was left alone", self.noun)
        return True

    async def _store_from_memory(self) -> bool | None:
        """With the journal away: store the oldest events in memory straight away (None when
        memory is empty); on a database error they go back to the head of memory."""
        async with self._memory_lock:
            count = min(self.store_batch, len(self._memory))
            batch = [self._memory.popleft() for _ in range(count)]
        if not batch:
            return None
        if await self._store_batch(batch):
            return True
        async with self._memory_lock:
            self._memory.extendleft(reversed(batch))
        return False

    async def _store_batch(self, events: Sequence[Event]) -> bool:
        """False when the database refused (try again later)."""
        try:
            await self._store(events)
        except DATABASE_ERRORS as exc:
            logger.warning(
                "database unavailable, %d %s(s) held for retry: %s", len(events), self.noun, exc
            )
            return False
        except Exception:  # a defect in storing: the batch must not block those behind it
            logger.exception("could not store %d %s(s); dropped", len(events), self.noun)
        return True

    def _delay(self, failures: int) -> float:
        return min(self.retry_max, self.retry_base * 2.0 ** (failures - 1))


class MigrationInbox(FeedInbox[Migration]):
    noun = "migration"


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

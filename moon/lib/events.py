"""moon's events: what changed, told once its transaction has committed.

A writer (the registration of a migration, a refresh batch, a risk check) calls `publish` with
the events of its transaction. Once that transaction commits (at once outside one), the events
are appended to the capped Redis Stream EVENTS_STREAM, whose ids they then carry, and the
`events_published` signal is sent with them: the stream feeds /api/stream/ and the dashboard,
the signal feeds the alert rules. A rolled-back transaction tells nothing.

Redis absent at that instant costs the events (logged and counted), never the writer's work:
the data is committed, the next change is told again.

The kinds:
- ``migration``: a new token (data: signature, source, migrated_at);
- ``score``: a token's score or smoothed score changed (data: the token, previous_smoothed);
- ``hot`` / ``cold``: a token's smoothed score crossed the hot threshold, up or down;
- ``flags``: a token's flags changed (data: the token, added, removed).
The data of every kind but ``migration`` carries the token as the lists show it (`token`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import django.dispatch
import redis
import redis.asyncio as aioredis
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from moon.lib.redis import redis_client

logger = logging.getLogger(__name__)

EVENTS_STREAM = "moon:events"
STREAM_LENGTH = 10_000  # about the last hour of events at a busy hour; older ones are trimmed
KINDS = ("migration", "score", "hot", "cold", "flags")

# Sent with events=[Event, ...] (each with its stream id) after they are in the stream.
events_published = django.dispatch.Signal()


@dataclass(frozen=True)
class Event:
    """One change of one token. `id` is its stream id once published ("" before); `at` the
    instant (Unix seconds) it was published, right after its transaction committed."""

    kind: str
    mint: str
    data: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""
    at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "mint": self.mint, "at": self.at, **self.data}

    def fields(self) -> dict[str, str]:
        """The stream entry's fields."""
        return {
            "kind": self.kind,
            "mint": self.mint,
            "at": repr(self.at),
            "data": json.dumps(self.data, cls=DjangoJSONEncoder, separators=(",", ":")),
        }

    @classmethod
    def from_entry(cls, entry_id: bytes | str, entry: Mapping[bytes, bytes]) -> Event:
        """The event of a stream entry (as redis-py reads it)."""
        return cls(
            kind=entry[b"kind"].decode(),
            mint=entry[b"mint"].decode(),
            data=json.loads(entry[b"data"]),
            id=entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
            at=float(entry[b"at"]),
        )


def publish(events: Iterable[Event]) -> None:
    """Tell `events` once the current transaction commits (now outside one)."""
    pending = list(events)
    if pending:
        transaction.on_commit(lambda: _emit(pending), robust=True)


def _emit(events: Sequence[Event]) -> list[Event]:
    at = time.time()
    # What the signal's receivers get is what the stream holds: the data as JSON reads it back
    # (datetimes as ISO 8601 strings), whoever reads it.
    entries = [Event(event.kind, event.mint, event.data, at=at).fields() for event in events]
    try:
        pipe = redis_client().pipeline(transaction=False)
        for fields in entries:
            pipe.xadd(
                EVENTS_STREAM,
                fields,  # type: ignore[arg-type]
                maxlen=STREAM_LENGTH,
                approximate=True,
            )
        ids = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("%d events not told, Redis unavailable: %s", len(events), exc)
        return []
    told = [
        Event(event.kind, event.mint, json.loads(fields["data"]), id=entry_id.decode(), at=at)
        for event, fields, entry_id in zip(events, entries, ids, strict=True)
    ]
    events_published.send_robust(sender=Event, events=told)
    return told


def read_after(last_id: str, *, count: int = 1000) -> list[Event]:
    """The stream's events after `last_id` (oldest first, at most `count`)."""
    entries: Any = redis_client().xrange(EVENTS_STREAM, min=f"({last_id}", count=count)
    return [Event.from_entry(entry_id, entry) for entry_id, entry in entries]


# --- Reading the stream live (the web process, under ASGI) -----------------------------------
def stream_id(value: str) -> tuple[int, int]:
    """A stream id ("1733150000000-0") as a comparable pair; ValueError when it is not one."""
    millis, _, seq = value.partition("-")
    if not millis.isdigit() or not (seq or "0").isdigit():
        raise ValueError(f"not a stream id: {value!r}")
    return int(millis), int(seq or 0)


class Subscription:
    """One reader of the hub: its events arrive on `queue`; None there means it was dropped
    (it fell QUEUE_SIZE events behind, or the hub lost Redis): the reader ends and its client
    resumes from its last id."""

    QUEUE_SIZE = 2000

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(self.QUEUE_SIZE)
        self.dropped = False

    def offer(self, event: Event | None) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            # Room for the end marker: the oldest waiting event goes, the reader resumes.
            self.queue.get_nowait()
            self.queue.put_nowait(None)


class EventHub:
    """One XREAD loop per process (per event loop) for every open stream: each new entry is
    read from Redis once and handed to every subscription. It starts with its first subscriber
    and stops when the last one leaves."""

    BLOCK_MS = 5000

    def __init__(self, url: str) -> None:
        self.url = url
        self.subscriptions: set[Subscription] = set()
        self.task: asyncio.Task[None] | None = None
        self.ready: asyncio.Event = asyncio.Event()
        self.last_id = "0-0"

    async def subscribe(self) -> Subscription:
        """A new subscription, receiving every event added from now on."""
        subscription = Subscription()
        self.subscriptions.add(subscription)
        if self.task is None or self.task.done():
            self.ready = asyncio.Event()
            self.task = asyncio.get_running_loop().create_task(self._run())
        await self.ready.wait()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)
        if not self.subscriptions and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
        try:
            # "$" would miss what is added between two reads: start from the stream's end now.
            newest: Any = await client.xrevrange(EVENTS_STREAM, count=1)
            self.last_id = newest[0][0].decode() if newest else "0-0"
            self.ready.set()
            while self.subscriptions:
                answer: Any = await client.xread(
                    {EVENTS_STREAM: self.last_id}, block=self.BLOCK_MS, count=500
                )
                for _stream, entries in answer or ():
                    for entry_id, entry in entries:
                        event = Event.from_entry(entry_id, entry)
                        self.last_id = event.id
                        for subscription in list(self.subscriptions):
                            subscription.offer(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis gone (or worse): every reader ends, clients resume
            logger.warning("event hub stopped: %s", exc)
            for subscription in list(self.subscriptions):
                subscription.offer(None)
            self.subscriptions.clear()
        finally:
            self.ready.set()
            await client.aclose()


_hubs: dict[tuple[int, str], EventHub] = {}


def event_hub() -> EventHub:
    """The hub of the running event loop for settings.REDIS_URL."""
    from django.conf import settings

    key = (id(asyncio.get_running_loop()), settings.REDIS_URL)
    hub = _hubs.get(key)
    if hub is None:
        hub = _hubs[key] = EventHub(settings.REDIS_URL)
    return hub


async def read_after_async(last_id: str, *, count: int = 1000) -> list[Event]:
    """`read_after` without blocking the event loop."""
    return await asyncio.to_thread(read_after, last_id, count=count)

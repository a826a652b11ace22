"""The listener's durable inbox: a Redis list per kind of event, written as events are heard
and trimmed only once the database holds them.

A listener killed with events still unstored leaves them here, and whichever listener takes the
lock next stores them first. Only the lock holder reads or trims, so reading the head, storing
it and trimming that many is safe against the appends that keep arriving at the tail.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar

import redis

from ingestion.clients.pumpportal import Creation, Migration
from moon.lib.redis import redis_client

logger = logging.getLogger("ingestion.listener")

MIGRATIONS_KEY = "moon:listener:inbox:migrations"
CREATIONS_KEY = "moon:listener:inbox:creations"
# Held while the database is away: many days of migrations, about a day of launches.
MIGRATIONS_CAP = 100_000
CREATIONS_CAP = 200_000

Event = TypeVar("Event", bound=Migration | Creation)

# KEYS[1] journal, KEYS[2] lock ("" for none); ARGV[1] count, ARGV[2] first entry read,
# ARGV[3] lock owner: trim the head only if it is still what was read, under the same lock.
_ACK = """
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[2] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[1]), -1)
return 1
"""


def _default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)  # exact: 27534883.660147 comes back as that
    raise TypeError(f"cannot journal {type(value).__name__}")


def dump_event(event: Migration | Creation) -> str:
    return json.dumps(dataclasses.asdict(event), default=_default, separators=(",", ":"))


def load_migration(entry: str | bytes) -> Migration:
    fields = json.loads(entry)
    return Migration(
        signature=fields["signature"],
        mint=fields["mint"],
        pool=fields.get("pool"),
        seen_at=fields.get("seen_at"),
    )


def load_creation(entry: str | bytes) -> Creation:
    fields: dict[str, Any] = json.loads(entry)
    for name in ("initial_buy", "initial_buy_sol"):
        if fields.get(name) is not None:
            fields[name] = Decimal(fields[name])
    return Creation(**fields)


class Journal(Generic[Event]):
    """One kind of event, oldest first, at most ``cap`` long (past it the oldest go, logged)."""

    def __init__(
        self,
        key: str,
        load: Callable[[str | bytes], Event],
        *,
        cap: int,
        client: redis.Redis | None = None,
        lock: tuple[str, str] | None = None,
    ) -> None:
        self.key = key
        self.load = load
        self.cap = cap
        self._client = client
        self.lock = lock  # (lock key, owner): trim only while the owner holds it

    @property
    def client(self) -> redis.Redis:
        return self._client or redis_client()

    def append(self, events: Sequence[Event]) -> int:
        """Add events at the tail in one call; answers the journal's length."""
        return int(self.client.rpush(self.key, *(dump_event(event) for event in events)))

    def head(self, count: int) -> list[str | bytes]:
        """The oldest ``count`` entries, after dropping (and logging) what is past the cap."""
        length = int(self.client.llen(self.key))
        if length > self.cap:
            self.client.ltrim(self.key, length - self.cap, -1)
            logger.error(
                "%d events wait in %s, above the %d kept: dropped the oldest %d",
                length,
                self.key,
                self.cap,
                length - self.cap,
            )
        return list(self.client.lrange(self.key, 0, count - 1))

    def ack(self, entries: Sequence[str | bytes]) -> bool:
        """``entries``, read from the head, are stored: trim them, provided the head is still
        the one read and, with an ``owner``, the lock is still theirs (a listener whose lock
        expired must not trim what its successor is storing). False when nothing was trimmed.
        """
        if not entries:
            return True
        lock_key, owner = self.lock if self.lock is not None else ("", "")
        trimmed = self.client.eval(_ACK, 2, self.key, lock_key, len(entries), entries[0], owner)
        return bool(trimmed)

    def __len__(self) -> int:
        return int(self.client.llen(self.key))


def migrations_journal(
    client: redis.Redis | None = None, lock: tuple[str, str] | None = None
) -> Journal[Migration]:
    return Journal(MIGRATIONS_KEY, load_migration, cap=MIGRATIONS_CAP, client=client, lock=lock)


def creations_journal(
    client: redis.Redis | None = None, lock: tuple[str, str] | None = None
) -> Journal[Creation]:
    return Journal(CREATIONS_KEY, load_creation, cap=CREATIONS_CAP, client=client, lock=lock)

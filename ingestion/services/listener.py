"""The listener's shared state in Redis: its single-connection lock and what it publishes.

The lock keeps one PumpPortal connection for the whole deployment. Renewal and release are
compare-and-set scripts run inside Redis, so a listener whose lock expired can never extend or
delete the lock a successor took in the meantime.
"""

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings

from ingestion.clients.pumpportal import ListenerState
from moon.lib.redis import redis_client
from moon.lib.status import StatusReport

LISTENER_STATE_KEY = "moon:listener:state"
LISTENER_LOCK_KEY = "moon:listener:lock"
STATE_TTL_SECONDS = 86400
STALE_FACTOR = 2  # times PUMPPORTAL_SILENCE_SECONDS without a frame: the feed is stale

# KEYS[1] lock, ARGV[1] owner, ARGV[2] ttl: extend our own lock, or take a free one back.
_RENEW = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if not current then
  if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
end
return 0
"""
# KEYS[1] lock, ARGV[1] owner: delete the lock only while we hold it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ListenerLock:
    """The deployment-wide lock that keeps the PumpPortal connection single."""

    def __init__(self, owner: str, ttl_seconds: int, client: redis.Redis | None = None) -> None:
        self.owner = owner
        self.ttl_seconds = ttl_seconds
        self._client = client or redis_client()
        self._renew = self._client.register_script(_RENEW)
        self._release = self._client.register_script(_RELEASE)

    def acquire(self) -> bool:
        return bool(self._client.set(LISTENER_LOCK_KEY, self.owner, nx=True, ex=self.ttl_seconds))

    def renew(self) -> bool:
        """Still ours (extended), or free and taken back; False when another holds it."""
        return bool(self._renew(keys=[LISTENER_LOCK_KEY], args=[self.owner, self.ttl_seconds]))

    def release(self) -> bool:
        return bool(self._release(keys=[LISTENER_LOCK_KEY], args=[self.owner]))


def listener_state_save(state: ListenerState, *, client: redis.Redis | None = None) -> None:
    """Publish the listener's state where /health and /system read it."""
    payload = {**dataclasses.asdict(state), "updated_at": time.time(), "pid": os.getpid()}
    (client or redis_client()).set(LISTENER_STATE_KEY, json.dumps(payload), ex=STATE_TTL_SECONDS)


def listener_state() -> dict[str, Any] | None:
    """The published state as stored; raises redis.RedisError when Redis is down."""
    raw = redis_client().get(LISTENER_STATE_KEY)
    return json.loads(raw) if raw else None


@dataclass(frozen=True)
class ListenerStatus(StatusReport):
    """The feed as the last publication describes it.

    ``state`` is connected | disconnected (a reconnect under way, frames still recent) | stale
    (no frame for more than twice PUMPPORTAL_SILENCE_SECONDS) | missing (never published) |
    unknown (Redis down).
    """

    state: str
    connected: bool = False
    last_frame_age_seconds: float | None = None  # None: no frame received yet
    # Without a frame: seconds since the last one, or since the connection (or the start).
    silent_seconds: float | None = None
    disconnected_seconds: float | None = None  # None: connected (or not known)
    stale_after_seconds: int = 0
    last_frame_at: datetime | None = None
    connected_since: datetime | None = None
    updated_at: datetime | None = None
    migrations_seen: int = 0
    creations_seen: int = 0
    errors_seen: int = 0
    reconnects: int = 0
    last_error: str | None = None
    pid: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.state in {"connected", "disconnected"}


def listener_status(*, now: float | None = None) -> ListenerStatus:
    """What the listener last published, judged against the silence limit."""
    now = now if now is not None else time.time()
    limit = settings.PUMPPORTAL_SILENCE_SECONDS * STALE_FACTOR
    try:
        state = listener_state()
    except redis.RedisError as exc:
        return ListenerStatus(state="unknown", stale_after_seconds=limit, error=str(exc))
    if state is None:
        return ListenerStatus(state="missing", stale_after_seconds=limit)
    # No frame yet: the silence counts from the connection, or from the state's publication.
    last_frame_at = state.get("last_frame_at")
    reference = last_frame_at or state.get("connected_since") or state["updated_at"]
    silent = max(0.0, now - reference)
    connected = bool(state.get("connected"))
    away = None if connected else state.get("disconnected_since")
    return ListenerStatus(
        state="stale" if silent > limit else "connected" if connected else "disconnected",
        connected=connected,
        last_frame_age_seconds=round(max(0.0, now - last_frame_at), 3) if last_frame_at else None,
        silent_seconds=round(silent, 3),
        disconnected_seconds=None if away is None else round(max(0.0, now - away), 3),
        stale_after_seconds=limit,
        last_frame_at=_time(state.get("last_frame_at")),
        connected_since=_time(state.get("connected_since")),
        updated_at=_time(state.get("updated_at")),
        migrations_seen=state.get("migrations_seen", 0),
        creations_seen=state.get("creations_seen", 0),
        errors_seen=state.get("errors_seen", 0),
        reconnects=state.get("reconnects", 0),
        last_error=state.get("last_error"),
        pid=state.get("pid"),
    )


def _time(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None

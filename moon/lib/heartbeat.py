"""Worker heartbeats: each Celery worker says it is alive in Redis every few seconds.

A worker frozen (SIGSTOP) or killed stops beating with all its threads, so its last beat ages
and /health sees it gone within ALIVE_SECONDS; one that shuts down cleanly takes its beat away.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis

from moon.lib.redis import redis_client

logger = logging.getLogger(__name__)

PREFIX = "moon:worker:"
BEAT_SECONDS = 5.0
ALIVE_SECONDS = 30.0  # a worker whose last beat is older is taken for dead
KEEP_SECONDS = 600  # a dead worker's last beat stays this long, for /health to name it


@dataclass(frozen=True)
class Heartbeat:
    hostname: str
    pid: int
    at: float

    def age(self, now: float) -> float:
        return max(0.0, now - self.at)


def heartbeat_write(hostname: str, *, pid: int | None = None, at: float | None = None) -> None:
    beat = {"hostname": hostname, "pid": pid or os.getpid(), "at": at or time.time()}
    redis_client().set(PREFIX + hostname, json.dumps(beat), ex=KEEP_SECONDS)


def heartbeat_remove(hostname: str) -> None:
    redis_client().delete(PREFIX + hostname)


def heartbeats() -> list[Heartbeat]:
    """Every worker's last beat, newest first (RedisError when Redis does not answer)."""
    client = redis_client()
    keys = sorted(client.scan_iter(match=PREFIX + "*", count=100))
    beats: list[Heartbeat] = []
    for raw in client.mget(keys) if keys else []:
        if raw is None:
            continue
        data: dict[str, Any] = json.loads(raw)
        beats.append(Heartbeat(str(data["hostname"]), int(data["pid"]), float(data["at"])))
    return sorted(beats, key=lambda beat: beat.at, reverse=True)


class HeartbeatThread(threading.Thread):
    """Beats for ``hostname`` every BEAT_SECONDS until ``stop()``."""

    def __init__(self, hostname: str) -> None:
        super().__init__(name="moon-heartbeat", daemon=True)
        self.hostname = hostname
        self._stopped = threading.Event()

    def run(self) -> None:
        failing = False
        while not self._stopped.is_set():
            try:
                heartbeat_write(self.hostname)
            except redis.RedisError as exc:
                if not failing:
                    logger.warning("worker heartbeat not written: %s", exc)
                failing = True
            else:
                failing = False
            self._stopped.wait(BEAT_SECONDS)

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(redis.RedisError):  # else it ages out by itself
            heartbeat_remove(self.hostname)

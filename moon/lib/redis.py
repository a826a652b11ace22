"""The one way moon's code gets a Redis client (Celery keeps its own broker connections).

Short timeouts on purpose: a slow or absent Redis must cost a refresh, a page or a listener
tick a second at most, never hang it. One client (one connection pool) per process and URL;
redis-py rebuilds the pool after a fork, so Celery's prefork children and gunicorn workers each
get their own.
"""

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 1.0


@functools.lru_cache(maxsize=8)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        health_check_interval=30,
    )


def redis_client(url: str | None = None) -> redis.Redis:
    """The shared client for `url`, by default settings.REDIS_URL (read on every call: tests
    override it)."""
    return _client(url or settings.REDIS_URL)


@contextmanager
def run_alone(key: str, seconds: float, what: str) -> Iterator[bool]:
    """True while this run holds the lock `key` (expiring after `seconds`), False when another
    run holds it. When Redis does not answer the run goes on without it (logged), so callers
    must stay correct when two runs overlap: the lock saves work, not data."""
    lock = redis_client().lock(key, timeout=seconds, blocking=False)
    try:
        held = lock.acquire()
    except redis.RedisError as exc:
        logger.warning("%s: running without the lock, redis unavailable: %s", what, exc)
        yield True
        return
    try:
        yield held
    finally:
        if held:
            try:
                lock.release()
            except redis.RedisError:  # expired meanwhile, or Redis went away: it runs out
                logger.warning("%s: could not release the lock", what)

"""The Redis connection that moon's observability shares: counters, scheduler stats, alerts.

Short timeouts on purpose: a slow or absent Redis must cost a refresh or a page a second at
most, never hang it. One client (one connection pool) per process and URL; redis-py rebuilds
the pool after a fork, so Celery's prefork children and gunicorn workers each get their own.
"""

import functools

import redis
from django.conf import settings

SOCKET_TIMEOUT = 1.0


@functools.lru_cache(maxsize=8)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
    )


def redis_store() -> redis.Redis:
    """The shared client for settings.REDIS_URL (read on every call: tests override it)."""
    return _client(settings.REDIS_URL)

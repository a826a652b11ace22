"""The one way moon's code gets a Redis client (Celery keeps its own broker connections).

Short timeouts on purpose: a slow or absent Redis must cost a refresh, a page or a listener
tick a second at most, never hang it. One client (one connection pool) per process and URL;
redis-py rebuilds the pool after a fork, so Celery's prefork children and gunicorn workers each
get their own.
"""

import functools

import redis
from django.conf import settings

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

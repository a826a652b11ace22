import os

import pytest
import redis
from django.conf import settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + Playwright


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """Every test starts with an empty Redis database of its own worker (cache, locks, budget)."""
    if not settings.configured:  # pure engine/client tests may run without Django
        return
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)

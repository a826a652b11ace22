"""The process's DexScreener client: one per process, one request budget shared through Redis."""

import functools

from django.conf import settings

from ingestion.clients.dexscreener import DexScreenerClient
from ingestion.clients.ratelimit import BudgetUsage, RedisTokenBucket, build_rate_limiter
from moon.lib.counters import dexscreener_request_observe
from moon.lib.redis import redis_client

DEXSCREENER_BUDGET_PREFIX = "moon:dexscreener"


@functools.cache
def dexscreener_client() -> DexScreenerClient:
    """One client per process; every process shares the request budget through Redis."""
    limiter = build_rate_limiter(
        settings.REDIS_URL, settings.DEXSCREENER_RPM, DEXSCREENER_BUDGET_PREFIX
    )
    return DexScreenerClient(
        settings.DEXSCREENER_URL, limiter=limiter, on_request=dexscreener_request_observe
    )


def dexscreener_budget_usage() -> BudgetUsage:
    """The shared budget as every process sees it, read from Redis whatever this process's own
    client fell back to."""
    bucket = RedisTokenBucket(redis_client(), DEXSCREENER_BUDGET_PREFIX, settings.DEXSCREENER_RPM)
    return bucket.usage()

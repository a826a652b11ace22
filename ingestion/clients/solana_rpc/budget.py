"""The request budget every Solana RPC client pays from, shared through Redis when it can be."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import redis

from ..ratelimit import LocalTokenBucket, RateLimiter, RedisTokenBucket

logger = logging.getLogger(__name__)

DEFAULT_RPS = 8.0
# The public endpoint counts 40 requests per 10 s for one method; 3.5/s with a burst of 3 stays
# under that in every 10-second window (3 + 35 = 38).
PUBLIC_METHOD_RPS = 3.5
METHODS = (
    "getAccountInfo",
    "getMultipleAccounts",
    "getTokenLargestAccounts",
    "getTokenSupply",
    "getTokenAccountsByOwner",
    "getSignaturesForAddress",
    "getTransaction",
    "getHealth",
    "getSlot",
)


@dataclass(frozen=True)
class RpcBudget:
    """The buckets a client pays from: ``overall`` for every request, one per method besides."""

    overall: RateLimiter
    per_method: Mapping[str, RateLimiter]


def rate_for_rps(rps: float) -> tuple[int, int]:
    """(rpm, burst) for the per-minute buckets of ``ratelimit``: an average of ``rps`` and a burst
    of one second's worth, so any 10-second window holds at most ``burst + 10 * rps``."""
    if not math.isfinite(rps) or rps <= 0:
        raise ValueError(f"requests per second must be positive, got {rps!r}")
    rpm = max(1, round(rps * 60))
    return rpm, max(1, min(rpm, math.floor(rps)))


def build_rpc_budget(
    redis_url: str | None,
    rps: float = DEFAULT_RPS,
    *,
    method_rps: float | None = None,
    key_prefix: str = "moon:solana-rpc",
) -> RpcBudget:
    """Buckets shared through Redis when it answers a ping, else process-local ones.

    ``method_rps`` defaults to the smaller of ``rps`` and what the public endpoint allows one
    method.
    """
    shared = _reachable_redis(redis_url)
    per_method_rps = min(rps, PUBLIC_METHOD_RPS) if method_rps is None else method_rps

    def bucket(name: str, rate: float) -> RateLimiter:
        rpm, burst = rate_for_rps(rate)
        if shared is None:
            return LocalTokenBucket(rpm, burst=burst)
        return RedisTokenBucket(shared, f"{key_prefix}:{name}", rpm, burst=burst)

    where = "redis-shared" if shared is not None else "process-local"
    logger.info("solana rpc: %s budget of %s rps, %s per method", where, rps, per_method_rps)
    return RpcBudget(
        overall=bucket("all", rps),
        per_method={method: bucket(method, per_method_rps) for method in METHODS},
    )


def _reachable_redis(redis_url: str | None) -> redis.Redis | None:
    if not redis_url:
        return None
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2.0, socket_timeout=5.0)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        logger.warning("solana rpc: redis unreachable (%s), budget is per process", exc)
        client.close()
        return None
    return client

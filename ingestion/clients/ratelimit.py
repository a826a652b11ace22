"""Request budgets for DexScreener: one budget per client IP, shared by every process.

The algorithm, identical for the Redis and the process-local variant:

- a token bucket of ``burst`` tokens (default ``max(1, rpm // 6)``) refilled at ``rpm / 60`` tokens
  a second smooths the traffic: at most ``burst`` requests leave back to back;
- a sliding log of the grants of the last 60 s caps any 60-second window at ``rpm`` requests, so
  the bucket's burst can never push a window over the budget DexScreener counts against;
- a "blocked until" instant, set by ``penalize`` after a 429 and only ever moved later, holds
  every caller back until it has passed.

``acquire`` is told how long to wait and sleeps that long instead of polling in a tight loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class BudgetUsage:
    """How much of the budget the last minute used, and whether a 429 holds everyone back."""

    used_last_minute: int
    limit: int
    blocked_until: float | None


class RateLimiterError(Exception):
    """No permission to send a request now."""


class RateLimitTimeout(RateLimiterError):
    """The wait for a token would exceed ``max_wait``."""

    def __init__(self, wait: float, max_wait: float) -> None:
        super().__init__(
            f"rate limit: next token in {wait:.2f}s, more than max_wait {max_wait:.2f}s"
        )
        self.wait = wait
        self.max_wait = max_wait


class RateLimiterUnavailable(RateLimiterError):
    """The shared budget could not be consulted (Redis down)."""


class RateLimiter(Protocol):
    def acquire(self, max_wait: float | None = None) -> None: ...

    def penalize(self, seconds: float) -> None: ...

    def usage(self) -> BudgetUsage: ...


def default_burst(rpm: int) -> int:
    """Back-to-back requests allowed: a sixth of the minute's budget, at least one."""
    return max(1, rpm // 6)


def _check_rates(rpm: int, burst: int | None) -> int:
    if rpm < 1:
        raise ValueError(f"rpm must be at least 1, got {rpm}")
    chosen = default_burst(rpm) if burst is None else burst
    if not 1 <= chosen <= rpm:
        raise ValueError(f"burst must be between 1 and rpm ({rpm}), got {chosen}")
    return chosen


def _wait_or_raise(wait: float, started: float, now: float, max_wait: float | None) -> None:
    if max_wait is not None and (now - started) + wait > max_wait:
        raise RateLimitTimeout(wait, max_wait)


class LocalTokenBucket:
    """The budget for one process, when no Redis is there to share it. Thread-safe."""

    def __init__(
        self,
        rpm: int,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rpm = rpm
        self.burst = _check_rates(rpm, burst)
        self._rate = rpm / WINDOW_SECONDS
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._refilled_at: float | None = None
        self._grants: deque[float] = deque()
        self._blocked_until: float | None = None

    def acquire(self, max_wait: float | None = None) -> None:
        started = self._clock()
        while True:
            wait = self._try_take()
            if wait <= 0:
                return
            _wait_or_raise(wait, started, self._clock(), max_wait)
            self._sleep(wait)

    def penalize(self, seconds: float) -> None:
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if self._blocked_until is None or until > self._blocked_until:
                self._blocked_until = until

    def usage(self) -> BudgetUsage:
        with self._lock:
            now = self._clock()
            self._forget_old_grants(now)
            blocked = (
                self._blocked_until if self._blocked_until and self._blocked_until > now else None
            )
            return BudgetUsage(
                used_last_minute=len(self._grants), limit=self.rpm, blocked_until=blocked
            )

    def _try_take(self) -> float:
        """Take a token and answer 0, or answer the seconds to wait before trying again."""
        with self._lock:
            now = self._clock()
            if self._blocked_until is not None and self._blocked_until > now:
                return self._blocked_until - now
            self._refill(now)
            self._forget_old_grants(now)
            wait = 0.0
            if len(self._grants) >= self.rpm:
                wait = self._grants[0] + WINDOW_SECONDS - now
            if self._tokens < 1:
                wait = max(wait, (1 - self._tokens) / self._rate)
            if wait > 0:
                return wait
            self._tokens -= 1
            self._grants.append(now)
            return 0.0

    def _refill(self, now: float) -> None:
        if self._refilled_at is not None and now > self._refilled_at:
            self._tokens = min(self.burst, self._tokens + (now - self._refilled_at) * self._rate)
        if self._refilled_at is None or now > self._refilled_at:
            self._refilled_at = now

    def _forget_old_grants(self, now: float) -> None:
        while self._grants and self._grants[0] <= now - WINDOW_SECONDS:
            self._grants.popleft()


# KEYS: bucket hash, grant log (sorted set), blocked-until string, grant sequence counter.
# ARGV: now (empty: the Redis server clock, one clock for every machine), rpm, burst, window.
# Answers {granted 0|1, seconds to wait as a string}: Lua numbers would be truncated to integers.
_ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local rpm = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local rate = rpm / window
local ttl = math.ceil(window * 2 * 1000)

local blocked = tonumber(redis.call('GET', KEYS[3]))
if blocked and blocked > now then
  return {0, tostring(blocked - now)}
end

local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
local refilled_at = tonumber(redis.call('HGET', KEYS[1], 'refilled_at'))
if not tokens or not refilled_at then
  tokens = burst
  refilled_at = now
end
if now > refilled_at then
  tokens = math.min(burst, tokens + (now - refilled_at) * rate)
  refilled_at = now
end

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local wait = 0
if redis.call('ZCARD', KEYS[2]) >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  wait = tonumber(oldest[2]) + window - now
end
if tokens < 1 then
  wait = math.max(wait, (1 - tokens) / rate)
end

redis.call('HSET', KEYS[1], 'refilled_at', tostring(refilled_at))
if wait > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens))
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {0, tostring(wait)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1))
redis.call('PEXPIRE', KEYS[1], ttl)
local seq = redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ttl)
redis.call('ZADD', KEYS[2], now, tostring(now) .. ':' .. seq)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, '0'}
"""

# KEYS: blocked-until string. ARGV: now (empty: server clock), seconds. Keeps the later instant.
_PENALIZE_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local seconds = math.max(0, tonumber(ARGV[2]))
local until_at = now + seconds
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= until_at then
  return tostring(current)
end
redis.call('SET', KEYS[1], tostring(until_at), 'PX', math.max(1, math.ceil(seconds * 1000)))
return tostring(until_at)
"""

# KEYS: grant log, blocked-until. ARGV: now (empty: server clock), window.
_USAGE_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local used = redis.call('ZCOUNT', KEYS[1], '(' .. tostring(now - tonumber(ARGV[2])), '+inf')
local blocked = tonumber(redis.call('GET', KEYS[2]))
if blocked and blocked > now then
  return {used, tostring(blocked)}
end
return {used, ''}
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisTokenBucket:
    """The budget shared by every process through Redis; each decision is one atomic Lua call.

    ``clock`` exists for tests: by default the Lua scripts read the Redis server's clock, so
    machines whose clocks disagree still share one timeline.
    """

    def __init__(
        self,
        redis: redis.Redis,
        key_prefix: str,
        rpm: int,
        *,
        burst: int | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rpm = rpm
        self.burst = _check_rates(rpm, burst)
        self.key_prefix = key_prefix
        self._redis = redis
        self._clock = clock
        self._sleep = sleep
        self._bucket_key = f"{key_prefix}:bucket"
        self._log_key = f"{key_prefix}:log"
        self._blocked_key = f"{key_prefix}:blocked_until"
        self._seq_key = f"{key_prefix}:seq"
        self._acquire_script = redis.register_script(_ACQUIRE_LUA)
        self._penalize_script = redis.register_script(_PENALIZE_LUA)
        self._usage_script = redis.register_script(_USAGE_LUA)

    def acquire(self, max_wait: float | None = None) -> None:
        local_clock = self._clock or time.monotonic
        started = local_clock()
        while True:
            granted, wait = self._try_take()
            if granted:
                return
            _wait_or_raise(wait, started, local_clock(), max_wait)
            self._sleep(wait)

    def penalize(self, seconds: float) -> None:
        self._call(self._penalize_script, [self._blocked_key], [self._now_arg(), repr(seconds)])

    def usage(self) -> BudgetUsage:
        args = [self._now_arg(), repr(WINDOW_SECONDS)]
        used, blocked = self._call(self._usage_script, [self._log_key, self._blocked_key], args)
        blocked_text = _text(blocked)
        return BudgetUsage(
            used_last_minute=int(used),
            limit=self.rpm,
            blocked_until=float(blocked_text) if blocked_text else None,
        )

    def _try_take(self) -> tuple[bool, float]:
        keys = [self._bucket_key, self._log_key, self._blocked_key, self._seq_key]
        args = [self._now_arg(), str(self.rpm), str(self.burst), repr(WINDOW_SECONDS)]
        granted, wait = self._call(self._acquire_script, keys, args)
        return int(granted) == 1, float(_text(wait))

    def _now_arg(self) -> str:
        return "" if self._clock is None else repr(self._clock())

    def _call(self, script: Any, keys: list[str], args: list[str]) -> Any:
        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            raise RateLimiterUnavailable(f"redis rate limiter unavailable: {exc}") from exc


def build_rate_limiter(
    redis_url: str | None, rpm: int, key_prefix: str = "moon:dexscreener"
) -> RateLimiter:
    """The Redis-shared bucket when ``redis_url`` answers a ping, else a process-local bucket."""
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2.0, socket_timeout=5.0)
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            logger.warning(
                "rate limiter: redis unreachable (%s), using a process-local budget of %d rpm",
                exc,
                rpm,
            )
            client.close()
        else:
            logger.info("rate limiter: redis-shared budget of %d rpm under %s", rpm, key_prefix)
            return RedisTokenBucket(client, key_prefix, rpm)
    else:
        logger.info("rate limiter: no redis url, using a process-local budget of %d rpm", rpm)
    return LocalTokenBucket(rpm)

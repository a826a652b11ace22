import logging
import threading
import time
from collections.abc import Callable

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ingestion.clients.ratelimit import (
    BudgetUsage,
    LocalTokenBucket,
    RateLimiter,
    RateLimiterUnavailable,
    RateLimitTimeout,
    RedisTokenBucket,
    build_rate_limiter,
    default_burst,
)

from .support import FakeClock

LimiterFactory = Callable[[FakeClock], RateLimiter]


def _max_in_any_window(grants: list[float], window: float = 60.0) -> int:
    """The most grants inside any half-open window (t - window, t]."""
    return max(sum(1 for g in grants if t - window < g <= t) for t in grants)


def _grant_times(limiter: RateLimiter, clock: FakeClock, count: int) -> list[float]:
    grants = []
    for _ in range(count):
        limiter.acquire()
        grants.append(clock.now)
    return grants


@pytest.fixture(params=["local", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> LimiterFactory:
    """Runs each semantic test against both buckets: they promise the same behaviour."""
    if request.param == "local":
        return lambda clock: LocalTokenBucket(60, clock=clock, sleep=clock.sleep)
    client = request.getfixturevalue("redis_client")
    prefix = request.getfixturevalue("key_prefix")
    return lambda clock: RedisTokenBucket(client, prefix, 60, clock=clock, sleep=clock.sleep)


def test_it_defaults_the_burst_to_a_sixth_of_the_budget() -> None:
    assert [default_burst(rpm) for rpm in (1, 5, 6, 60, 300)] == [1, 1, 1, 10, 50]


def test_it_rejects_a_burst_larger_than_the_budget() -> None:
    with pytest.raises(ValueError, match="burst must be between 1 and rpm"):
        LocalTokenBucket(10, burst=11)


@pytest.mark.timeout(20)
def test_it_lets_a_burst_through_then_sleeps_exactly_until_the_next_token(
    make_limiter: LimiterFactory, clock: FakeClock
) -> None:
    limiter = make_limiter(clock)

    grants = _grant_times(limiter, clock, 12)

    start = 1_772_427_561.0
    assert grants == [start] * 10 + [start + 1.0, start + 2.0]
    assert clock.sleeps == [1.0, 1.0]


@pytest.mark.timeout(20)
def test_it_never_grants_more_than_rpm_in_any_60_second_window(
    make_limiter: LimiterFactory, clock: FakeClock
) -> None:
    limiter = make_limiter(clock)

    grants = _grant_times(limiter, clock, 200)

    start = 1_772_427_561.0
    assert _max_in_any_window(grants) == 60
    assert sum(1 for g in grants if g < start + 60) == 60
    # the burst spent at t=0 leaves the window at t=60, the bucket has refilled by then
    assert grants[59:61] == [start + 50.0, start + 60.0]


@pytest.mark.timeout(20)
def test_it_holds_everyone_back_until_a_penalty_has_passed(
    make_limiter: LimiterFactory, clock: FakeClock
) -> None:
    limiter = make_limiter(clock)

    limiter.penalize(7.0)
    limiter.acquire()

    assert clock.sleeps == [7.0]


@pytest.mark.timeout(20)
def test_it_keeps_the_later_of_two_penalties(
    make_limiter: LimiterFactory, clock: FakeClock
) -> None:
    limiter = make_limiter(clock)

    limiter.penalize(30.0)
    limiter.penalize(5.0)

    assert limiter.usage() == BudgetUsage(
        used_last_minute=0, limit=60, blocked_until=1_772_427_561.0 + 30.0
    )


@pytest.mark.timeout(20)
def test_it_times_out_without_sleeping_when_the_wait_exceeds_max_wait(
    make_limiter: LimiterFactory, clock: FakeClock
) -> None:
    limiter = make_limiter(clock)
    limiter.penalize(100.0)

    with pytest.raises(RateLimitTimeout) as raised:
        limiter.acquire(max_wait=5.0)

    assert (raised.value.wait, raised.value.max_wait) == (100.0, 5.0)
    assert clock.sleeps == []


@pytest.mark.timeout(20)
def test_it_reports_the_requests_of_the_last_minute(
    make_limiter: LimiterFactory, clock: FakeClock
) -> None:
    limiter = make_limiter(clock)
    _grant_times(limiter, clock, 12)  # 10 at t=0, then t=1, t=2

    clock.now += 58.5  # t=60.5: the ten grants of t=0 have left the window
    usage = limiter.usage()

    assert usage == BudgetUsage(used_last_minute=2, limit=60, blocked_until=None)


@pytest.mark.timeout(20)
def test_it_shares_one_redis_budget_between_instances(
    redis_client: redis.Redis, redis_url: str, key_prefix: str, clock: FakeClock
) -> None:
    first = RedisTokenBucket(redis_client, key_prefix, 60, clock=clock, sleep=clock.sleep)
    other_connection = redis.Redis.from_url(redis_url)
    second = RedisTokenBucket(other_connection, key_prefix, 60, clock=clock, sleep=clock.sleep)

    grants = []
    for turn in range(150):
        (first if turn % 2 else second).acquire()
        grants.append(clock.now)

    assert _max_in_any_window(grants) == 60
    assert grants[:11] == [1_772_427_561.0] * 10 + [1_772_427_562.0]
    assert first.usage() == second.usage()
    other_connection.close()


@pytest.mark.timeout(20)
def test_it_makes_a_penalty_seen_by_one_instance_hold_back_the_other(
    redis_client: redis.Redis, key_prefix: str, clock: FakeClock
) -> None:
    first = RedisTokenBucket(redis_client, key_prefix, 60, clock=clock, sleep=clock.sleep)
    second = RedisTokenBucket(redis_client, key_prefix, 60, clock=clock, sleep=clock.sleep)

    first.penalize(12.0)

    assert second.usage().blocked_until == 1_772_427_561.0 + 12.0
    second.acquire()
    assert clock.sleeps == [12.0]


@pytest.mark.timeout(20)
def test_it_shares_the_redis_budget_between_threads_on_the_server_clock(
    redis_url: str, key_prefix: str
) -> None:
    granted: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        client = redis.Redis.from_url(redis_url)
        # burst == rpm: the 60-second window, not the refill, stops them, so timing can't matter
        bucket = RedisTokenBucket(client, key_prefix, 10, burst=10)
        for _ in range(15):
            try:
                bucket.acquire(max_wait=0)
            except RateLimitTimeout:
                continue
            with lock:
                granted.append(1)
        client.close()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(granted) == 10


@pytest.mark.timeout(20)
def test_it_shares_the_local_budget_between_threads() -> None:
    bucket = LocalTokenBucket(10, burst=10)
    granted: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(50):
            try:
                bucket.acquire(max_wait=0)
            except RateLimitTimeout:
                continue
            with lock:
                granted.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(granted) == 10
    assert bucket.usage().used_last_minute == 10


@pytest.mark.timeout(20)
def test_it_sleeps_out_a_penalty_on_the_redis_server_clock(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    sleeps: list[float] = []
    bucket = RedisTokenBucket(redis_client, key_prefix, 600, burst=1, sleep=sleeps.append)
    bucket.acquire()
    bucket.penalize(0.3)

    with pytest.raises(RateLimitTimeout):
        bucket.acquire(max_wait=0.1)

    assert sleeps == []
    started = time.monotonic()
    RedisTokenBucket(redis_client, key_prefix, 600, burst=1).acquire(max_wait=2.0)
    assert 0.2 <= time.monotonic() - started < 2.0


@pytest.mark.timeout(20)
def test_it_raises_unavailable_when_redis_is_down(closed_port: int) -> None:
    client = redis.Redis(host="127.0.0.1", port=closed_port, retry=Retry(NoBackoff(), 0))
    bucket = RedisTokenBucket(client, "moon-test:down", 60)

    with pytest.raises(RateLimiterUnavailable, match="redis rate limiter unavailable"):
        bucket.acquire()


@pytest.mark.timeout(20)
def test_it_builds_a_redis_bucket_when_redis_answers(
    redis_url: str, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ingestion.clients.ratelimit")

    limiter = build_rate_limiter(redis_url, 300, key_prefix=key_prefix)

    assert isinstance(limiter, RedisTokenBucket)
    assert (limiter.rpm, limiter.burst, limiter.key_prefix) == (300, 50, key_prefix)
    assert caplog.messages == [f"rate limiter: redis-shared budget of 300 rpm under {key_prefix}"]


@pytest.mark.timeout(20)
def test_it_falls_back_to_a_local_bucket_when_redis_is_unreachable(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = build_rate_limiter(f"redis://127.0.0.1:{closed_port}/0", 120)

    assert isinstance(limiter, LocalTokenBucket)
    assert (limiter.rpm, limiter.burst) == (120, 20)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "redis unreachable" in caplog.messages[0]


def test_it_builds_a_local_bucket_without_a_redis_url(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ingestion.clients.ratelimit")

    limiter = build_rate_limiter(None, 300)

    assert isinstance(limiter, LocalTokenBucket)
    assert caplog.messages == [
        "rate limiter: no redis url, using a process-local budget of 300 rpm"
    ]

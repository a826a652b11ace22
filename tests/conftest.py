import logging
import os
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings

from tests.rawhttp import Answer, serving

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + Playwright


# Tests of the pure modules: they need neither a database nor Redis (make test proves it by
# running them with both unreachable, tests/moon/test_pure_tests.py).
PURE_TESTS = (
    "tests/scoring/engine/",
    "tests/ingestion/clients/",
    "tests/scoring/backtest/test_stats.py",
    "tests/scoring/backtest/test_returns.py",
    "tests/scoring/backtest/test_results.py",
    "tests/scoring/backtest/test_charts.py",
    "tests/scoring/backtest/test_replay.py",
    "tests/push/test_rules.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = str(config.rootpath)
    for item in items:
        relative = str(item.path).removeprefix(root).lstrip("/")
        shares_redis = {"redis_url", "redis_client"} & set(getattr(item, "fixturenames", ()))
        if relative.startswith(PURE_TESTS) and not shares_redis:
            item.add_marker(pytest.mark.pure)


@pytest.fixture(autouse=True)
def _clean_redis(request: pytest.FixtureRequest) -> None:
    """Every test starts with an empty Redis database of its own worker (locks, budgets,
    counters). Pure tests (marked ``pure``: the engine, the clients, the pure backtest modules)
    need neither Redis nor a database, and are left alone."""
    if not settings.configured or request.node.get_closest_marker("pure"):
        return
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture(autouse=True)
def _root_log_level() -> Iterator[None]:
    """An in-process Celery worker (celery.contrib.testing) sets the root logger's level to its
    own: put it back, or later tests on the same worker would see no warning logged."""
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)


@pytest.fixture
def raw_server() -> Iterator[tuple[list[Answer], str]]:
    """A loopback HTTP server answering each connection with the next writer of the list."""
    with serving() as served:
        yield served


@pytest.fixture
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.fixture
def v1_settings(db: None) -> None:
    """The settings as moon first shipped them: version 1 alone, scoring spec v1 with 0.25
    weights. Tests of v1's exact numbers run on it; the migrations' move to v2 is undone."""
    from scoring.models import ScoringSettings

    ScoringSettings.objects.filter(version__gt=1).delete()
    # A transactional test starts from a flushed database, without the migrations' rows.
    ScoringSettings.objects.get_or_create(
        version=1,
        defaults={
            "scoring_model_active": "hybrid_momentum",
            **dict.fromkeys(("w_tx", "w_vol", "w_fresh", "w_oi"), 0.25),
            "note": "Defaults of the scoring spec v1.",
        },
    )

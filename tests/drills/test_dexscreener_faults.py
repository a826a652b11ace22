"""Drill: DexScreener answering 429, 5xx, garbage and partial batches, each for a sustained
stretch (the sandbox's fault knobs; a 5 s hot interval makes 15-30 s a dozen refresh cycles).

Every refresh still writes exactly one snapshot per token: a fallback one (EWMA untouched) when
the fetch failed, a real one when a token left out of a batch was asked alone; the rows written
match what the workers counted. /health/scheduler turns degraded (a batch DexScreener answered
for none of its tokens is a failed batch) or failing (tokens going stale behind the 429 back-off)
while it lasts, and ok once DexScreener answers again; partial batches are absorbed (re-asked),
so it stays ok through them. No process exits."""

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.drills.stack import DRILL, SLOW, Stack, running_stack, wait_for

pytestmark = [*DRILL, SLOW, pytest.mark.timeout(420)]
TOKENS = 35  # two batches: 30 + 5
COUNTERS_KEY = "moon:metrics:counters"
ONE_SECOND = timedelta(seconds=1)  # a batch fetched before the fault may be stored just after


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as stack:
        stack.start_system()
        mints = stack.migrate(TOKENS)
        wait_for(lambda: stack.scored(mints) == TOKENS, 60, "the tokens scored")
        wait_for(lambda: stack.scheduler() == (200, "ok"), 60, "/health/scheduler ok")
        yield stack


def sustained(stack: Stack, seconds: float, **faults: Any) -> tuple[set[str], Any, Any]:
    """Hold `faults` for `seconds`, watching /health/scheduler; then clear them. Answers the
    statuses seen and the stretch's start and end on the database's clock."""
    started = stack.now()
    stack.market.set_faults(reset=True, **faults)
    seen = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.add(stack.scheduler()[1])
        stack.assert_alive("web", "worker", "beat", "listener")
        time.sleep(0.5)
    ended = stack.now()
    stack.market.set_faults(reset=True)
    return seen, started, ended


def fallbacks(stack: Stack, since: Any, until: Any) -> dict[str, int]:
    """How the stretch's snapshots were made: fallback kind (or "ok") and the first issue."""
    rows = stack.postgres.rows(
        "SELECT coalesce(metrics->>'fallback', 'ok') AS kind, "
        "coalesce(split_part(metrics->'data_quality_issues'->0->>'message', ':', 1), '') "
        "AS cause, "
        "count(*) AS n FROM token_scores WHERE created_at > %s AND created_at <= %s "
        "GROUP BY 1, 2",
        [since, until],
    )
    return {f"{row['kind']}/{row['cause']}": row["n"] for row in rows}


def scores_counted(stack: Stack) -> int:
    counters = stack.redis.client().hgetall(COUNTERS_KEY)
    return sum(int(v) for k, v in counters.items() if json.loads(k)[0] == "moon_scores_written")


def assert_recovers(stack: Stack) -> None:
    """Scheduler ok, every token scored from real data again, nothing duplicated or lost."""
    wait_for(lambda: stack.scheduler() == (200, "ok"), 120, "/health/scheduler ok again")
    since = stack.now()
    wait_for(
        lambda: (
            stack.postgres.value(
                "SELECT count(DISTINCT token_id) FROM token_scores "
                "WHERE created_at > %s AND metrics->>'fallback' IS NULL",
                [since],
            )
            == TOKENS
        ),
        60,
        "every token scored from real data",
    )
    stack.assert_alive("web", "worker", "beat", "listener")
    stack.snapshots_consistent()
    wait_for(
        lambda: scores_counted(stack) == stack.postgres.value("SELECT count(*) FROM token_scores"),
        30,
        "one snapshot written per token refreshed",
    )


def test_sustained_5xx_write_fallback_snapshots_and_degrade_the_scheduler(stack: Stack) -> None:
    seen, started, ended = sustained(stack, 15, error_rate=1.0)

    assert "degraded" in seen, seen
    # After the first second, every fetch met a 5xx (retried, then given up).
    made = fallbacks(stack, started + ONE_SECOND, ended)
    assert set(made) == {"fallback/http_5xx"}, made
    assert made["fallback/http_5xx"] >= TOKENS
    assert_recovers(stack)


def test_sustained_garbage_writes_fallback_snapshots_and_degrades_the_scheduler(
    stack: Stack,
) -> None:
    seen, started, ended = sustained(stack, 15, malformed_rate=1.0)

    assert "degraded" in seen, seen
    made = fallbacks(stack, started + ONE_SECOND, ended)
    assert set(made) == {"fallback/malformed"}, made
    assert made["fallback/malformed"] >= TOKENS
    assert_recovers(stack)


def test_partial_batches_are_completed_token_by_token(stack: Stack) -> None:
    asked_alone = stack.market.stats()["requests"]["token_pairs"]

    seen, started, ended = sustained(stack, 15, omit_rate=0.5)

    assert seen == {"ok"}, seen
    made = fallbacks(stack, started, ended)
    # Real data every time ("degraded": scored, with a data warning).
    assert {key.split("/")[0] for key in made} <= {"ok", "degraded"}, made
    assert sum(made.values()) >= 2 * TOKENS
    assert stack.market.stats()["requests"]["token_pairs"] - asked_alone >= TOKENS
    assert_recovers(stack)


def test_sustained_429s_slow_refreshes_down_which_the_scheduler_reports(stack: Stack) -> None:
    limited = stack.market.stats()["rate_limited"]

    # One request per 10 s where the hot group needs two every 5 s.
    seen, started, ended = sustained(stack, 30, rate_limit_rpm=1, rate_limit_window_s=10)

    assert seen & {"degraded", "failing"}, seen
    assert stack.market.stats()["rate_limited"] > limited
    # Every process held back by the shared back-off: far fewer refreshes than the 6 per token
    # the interval asks for (those waiting on the budget too long end as rate_limited fallbacks).
    made = fallbacks(stack, started, ended)
    assert sum(made.values()) < 3 * TOKENS, made
    assert {key for key in made if key.startswith("fallback/")} <= {"fallback/rate_limited"}
    assert_recovers(stack)

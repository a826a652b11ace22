"""Which events fire which rules: the rule's event, then its filters."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from moon.lib.events import Event
from moon.push.rules import Rule, rule_fires

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
MINT = "So11111111111111111111111111111111111111112"


def token(**fields: Any) -> dict[str, Any]:
    base = {
        "smoothed_score": 50.0,
        "liquidity_usd": 20_000.0,
        "flags": [],
        "migrated_at": (NOW - timedelta(minutes=10)).isoformat(),
    }
    return {**base, **fields}


def fires(rule: Rule, kind: str, **data: Any) -> bool:
    return rule_fires(rule, Event(kind, MINT, data), now=NOW)


@pytest.mark.parametrize(
    ("rule", "kind", "fired_by"),
    [
        ("migration", "migration", True),
        ("migration", "hot", False),
        ("hot", "hot", True),
        ("hot", "cold", False),
    ],
)
def test_a_rule_fires_on_its_own_event(rule: str, kind: str, fired_by: bool) -> None:
    assert fires(Rule(rule), kind, token=token()) is fired_by


def test_score_at_least_fires_when_the_smoothed_score_crosses_the_threshold() -> None:
    rule = Rule("score_at_least", threshold=60)
    assert fires(rule, "score", token=token(smoothed_score=61), previous_smoothed=59)
    assert fires(rule, "score", token=token(smoothed_score=60), previous_smoothed=None)
    assert not fires(rule, "score", token=token(smoothed_score=70), previous_smoothed=65)
    assert not fires(rule, "score", token=token(smoothed_score=59), previous_smoothed=40)


def test_rugged_and_risk_flag_fire_on_added_flags_only() -> None:
    assert fires(Rule("rugged"), "flags", token=token(), added=["rugged"], removed=[])
    assert not fires(Rule("rugged"), "flags", token=token(), added=[], removed=["rugged"])
    any_risk = Rule("risk_flag")
    assert fires(any_risk, "flags", token=token(), added=["mint_authority"])
    assert not fires(any_risk, "flags", token=token(), added=["young"])  # not a risk flag
    only_freeze = Rule("risk_flag", flags=["freeze_authority"])
    assert not fires(only_freeze, "flags", token=token(), added=["mint_authority"])
    assert fires(only_freeze, "flags", token=token(), added=["freeze_authority", "young"])


def test_the_filters_hold_back_thin_old_and_excluded_tokens() -> None:
    rule = Rule("hot", min_liquidity_usd=10_000, max_age_minutes=30, exclude_flags=["thin"])
    assert fires(rule, "hot", token=token())
    assert not fires(rule, "hot", token=token(liquidity_usd=9_999))
    assert not fires(rule, "hot", token=token(liquidity_usd=None))  # not known: not passed
    old = (NOW - timedelta(minutes=31)).isoformat()
    assert not fires(rule, "hot", token=token(migrated_at=old))
    assert not fires(rule, "hot", token=token(flags=["thin"]))
    assert not fires(rule, "hot")  # an event without its token passes no filter

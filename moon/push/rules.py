"""Whether an event fires a rule: the rule's event, then its filters. Pure of the database."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

from moon.lib.events import Event
from scoring.engine import FLAGS, RUGGED
from scoring.engine.risk import RISK_FLAGS

KNOWN_FLAGS = (*FLAGS, *RISK_FLAGS)  # what a rule may name: the snapshot's and the risk check's


@dataclass(frozen=True)
class Rule:
    """What of an AlertRule the matching reads."""

    event: str
    threshold: float | None = None
    flags: Collection[str] = ()
    min_liquidity_usd: float | None = None
    max_age_minutes: int | None = None
    exclude_flags: Collection[str] = ()


def rule_fires(rule: Rule, event: Event, *, now: datetime) -> bool:
    return _event_matches(rule, event) and _filters_pass(rule, event.data.get("token") or {}, now)


def _event_matches(rule: Rule, event: Event) -> bool:
    data = event.data
    match rule.event:
        case "migration":
            return event.kind == "migration"
        case "hot":
            return event.kind == "hot"
        case "score_at_least":
            if event.kind != "score" or rule.threshold is None:
                return False
            smoothed = (data.get("token") or {}).get("smoothed_score")
            previous = data.get("previous_smoothed")
            reached = smoothed is not None and smoothed >= rule.threshold
            return reached and (previous is None or previous < rule.threshold)
        case "rugged":
            return event.kind == "flags" and RUGGED in data.get("added", ())
        case "risk_flag":
            wanted = set(rule.flags) or set(RISK_FLAGS)
            return event.kind == "flags" and bool(wanted & set(data.get("added", ())))
    return False


def _filters_pass(rule: Rule, token: Mapping[str, Any], now: datetime) -> bool:
    if rule.min_liquidity_usd is not None:
        liquidity = token.get("liquidity_usd")
        if liquidity is None or liquidity < rule.min_liquidity_usd:
            return False
    if rule.max_age_minutes is not None:
        migrated = token.get("migrated_at")
        migrated_at = parse_datetime(migrated) if isinstance(migrated, str) else migrated
        if migrated_at is None or now - migrated_at > timedelta(minutes=rule.max_age_minutes):
            return False
    return not (set(rule.exclude_flags) & set(token.get("flags") or ()))

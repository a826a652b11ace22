"""The detail page's risk panel: each fact of the latest check as a row a trader reads at a
glance (ok, risky or unknown), with where it came from and when."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from ingestion.models import RiskCheck
from moon.lib.templatetags.moon_format import share
from scoring.models import ScoringSettings

OK, RISKY, UNKNOWN = "ok", "risky", "unknown"
PROGRAMS = {"spl-token": "SPL Token", "spl-token-2022": "Token-2022"}


@dataclass(frozen=True)
class RiskRow:
    key: str
    label: str
    text: str
    state: str  # ok | risky | unknown
    source: str
    at: datetime | None
    error: str = ""
    address: str = ""  # a wallet the row names, linked on the page


def _authority(value: Any) -> tuple[str, str, str]:
    return ("revoked", OK, "") if not value else ("kept", RISKY, value)


def _share_above(limit: float) -> Callable[[Any], tuple[str, str, str]]:
    def judge(value: Any) -> tuple[str, str, str]:
        return f"{share(value)} (flag above {share(limit)})", RISKY if value > limit else OK, ""

    return judge


def _launches(limit: int) -> Callable[[Any], tuple[str, str, str]]:
    def judge(value: Any) -> tuple[str, str, str]:
        return f"{value} (flag at {limit})", RISKY if value >= limit else OK, ""

    return judge


def _extensions(value: Any) -> tuple[str, str, str]:
    return (", ".join(value), RISKY, "") if value else ("none", OK, "")


def risk_rows(check: RiskCheck | None, settings: ScoringSettings) -> list[RiskRow]:
    """The panel's rows, in the order a trader checks them; empty before the first check."""
    if check is None:
        return []
    judges: list[tuple[str, str, Callable[[Any], tuple[str, str, str]]]] = [
        ("mint_authority", "Mint authority", _authority),
        ("freeze_authority", "Freeze authority", _authority),
        ("token_program", "Token program", lambda v: (PROGRAMS.get(v, v), OK, "")),
        ("dangerous_extensions", "Dangerous extensions", _extensions),
        ("top10_share", "Top 10 holders", _share_above(settings.risk_top10_share)),
        ("creator", "Creator", lambda v: (v, OK, v)),
        ("creator_share", "Creator holds", _share_above(settings.risk_creator_share)),
        (
            "creator_launches_7d",
            "Creator's other launches (7 days)",
            _launches(settings.risk_serial_launches),
        ),
    ]
    rows = []
    for key, label, judge in judges:
        fact = check.facts.get(key)
        if fact is None:
            continue
        at = parse_datetime(fact.get("at") or "")
        if "error" in fact:
            rows.append(RiskRow(key, label, "unknown", UNKNOWN, fact["source"], at, fact["error"]))
            continue
        text, state, address = judge(fact["value"])
        rows.append(RiskRow(key, label, text, state, fact["source"], at, address=address))
    return rows


def top_holders(check: RiskCheck | None, limit: int = 12) -> list[dict[str, Any]]:
    """The largest token accounts the check read, each with what its owner is."""
    if check is None:
        return []
    fact = check.facts.get("top_holders") or {}
    return list(fact.get("value") or [])[:limit]

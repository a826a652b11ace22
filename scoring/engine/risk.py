"""Risk flags: what the chain says about a token's safety, judged against the settings.

The facts are read elsewhere (ingestion.services.risk); here they become flags and a penalty.
A fact that could not be read is None: it raises no flag, and the panel that shows it says
"unknown" (unknown is not safe, but it is not evidence either).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .params import ScoringParams

MINT_AUTHORITY = "mint_authority"
FREEZE_AUTHORITY = "freeze_authority"
TOKEN2022_DANGER = "token2022_danger"
TOP10_CONCENTRATED = "top10_concentrated"
CREATOR_HOLDS = "creator_holds"
SERIAL_CREATOR = "serial_creator"
RISK_FLAGS = (
    MINT_AUTHORITY,
    FREEZE_AUTHORITY,
    TOKEN2022_DANGER,
    TOP10_CONCENTRATED,
    CREATOR_HOLDS,
    SERIAL_CREATOR,
)
MEANINGS = {
    MINT_AUTHORITY: "Someone can still mint more of it.",
    FREEZE_AUTHORITY: "Someone can freeze holders' accounts.",
    TOKEN2022_DANGER: "An extension lets someone take, tax, block or lock holders' tokens.",
    TOP10_CONCENTRATED: "The 10 largest holders (pools, curve and burn left out) hold too much.",
    CREATOR_HOLDS: "Its creator still holds a large share.",
    SERIAL_CREATOR: "Its creator launched several other tokens in the last 7 days.",
}
# The ScoringParams field holding each flag's score penalty.
PENALTY_FIELDS = {flag: f"penalty_{flag}" for flag in RISK_FLAGS}

# Token-2022 extensions that give someone power over holders' tokens (jsonParsed names):
# take them (permanent delegate), run code on every transfer (hook), tax transfers (fee),
# freeze every new account (default state frozen) or forbid selling (non-transferable).
DANGEROUS_EXTENSIONS = (
    "permanentDelegate",
    "transferHook",
    "transferFeeConfig",
    "defaultAccountState",
    "nonTransferable",
)


@dataclass(frozen=True)
class RiskFacts:
    """What a check read; None where it could not tell."""

    mint_authority: str | None = None  # the authority's address; "" when revoked
    freeze_authority: str | None = None
    dangerous_extensions: tuple[str, ...] | None = None
    top10_share: float | None = None  # of the supply, pools, curve and burn left out
    creator_share: float | None = None
    creator_launches_7d: int | None = None  # other launches by the creator

    @property
    def complete(self) -> bool:
        return None not in (
            self.mint_authority,
            self.freeze_authority,
            self.dangerous_extensions,
            self.top10_share,
            self.creator_share,
            self.creator_launches_7d,
        )


def risk_flags(facts: RiskFacts, params: ScoringParams) -> tuple[str, ...]:
    """Every flag the facts prove, in RISK_FLAGS order."""
    holds = {
        MINT_AUTHORITY: bool(facts.mint_authority),
        FREEZE_AUTHORITY: bool(facts.freeze_authority),
        TOKEN2022_DANGER: bool(facts.dangerous_extensions),
        TOP10_CONCENTRATED: facts.top10_share is not None
        and facts.top10_share > params.risk_top10_share,
        CREATOR_HOLDS: facts.creator_share is not None
        and facts.creator_share > params.risk_creator_share,
        SERIAL_CREATOR: facts.creator_launches_7d is not None
        and facts.creator_launches_7d >= params.risk_serial_launches,
    }
    return tuple(flag for flag in RISK_FLAGS if holds[flag])


def dangerous(extensions: Iterable[str], default_state: str | None) -> tuple[str, ...]:
    """The dangerous ones among a mint's extensions; a default account state counts only
    when it is frozen."""
    found = []
    for name in extensions:
        if name not in DANGEROUS_EXTENSIONS:
            continue
        if name == "defaultAccountState" and default_state != "frozen":
            continue
        found.append(name)
    return tuple(found)


def risk_penalty(flags: Sequence[str], params: ScoringParams) -> dict[str, float]:
    """The settings' penalty of each risk flag in `flags` that has one (> 0)."""
    penalties = {}
    for flag in flags:
        field = PENALTY_FIELDS.get(flag)
        if field is not None and getattr(params, field) > 0:
            penalties[flag] = float(getattr(params, field))
    return penalties

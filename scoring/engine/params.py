"""The engine's copy of the scoring settings: one frozen value per refresh."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

ACTIVATION_RULES = ("arbitrage", "any_pool")

_NON_NEGATIVE = (
    "w_tx",
    "w_vol",
    "w_fresh",
    "w_oi",
    "weight_s",
    "weight_l",
    "weight_m",
    "weight_t",
    "freshness_threshold_hours",
    "min_pool_liquidity_usd",
    "activation_min_liquidity_usd",
)
_FLOATS = (*_NON_NEGATIVE, "ewma_alpha", "min_score")
_NAME_LISTS = ("excluded_dex_ids", "allowed_quote_symbols")


@dataclass(frozen=True)
class ScoringParams:
    """Runtime scoring settings (docs/scoring.md, "Settings").

    Scheduling fields (hot/cold intervals, timeouts, retention) stay in the database model:
    the math does not need them. Construction validates every value, so a bad settings row
    fails loudly at the start of a refresh instead of producing NaN scores.
    """

    scoring_model_active: str = "hybrid_momentum"
    w_tx: float = 0.25
    w_vol: float = 0.25
    w_fresh: float = 0.25
    w_oi: float = 0.25
    ewma_alpha: float = 0.3
    freshness_threshold_hours: float = 6.0
    min_score: float = 0.3
    min_pool_liquidity_usd: float = 500.0
    excluded_dex_ids: tuple[str, ...] = ("pumpfun", "launchlab")
    allowed_quote_symbols: tuple[str, ...] = ("SOL", "WSOL", "USDC", "USD1")
    activation_min_liquidity_usd: float = 200.0
    activation_rule: str = "arbitrage"
    weight_s: float = 0.35
    weight_l: float = 0.25
    weight_m: float = 0.20
    weight_t: float = 0.20

    def __post_init__(self) -> None:
        # Settings rows hand over Decimals and comma-separated strings; the math wants floats
        # and the dataclass wants hashable tuples.
        for name in _FLOATS:
            object.__setattr__(self, name, float(getattr(self, name)))
        for name in _NAME_LISTS:
            object.__setattr__(self, name, _names(getattr(self, name)))
        self._validate()

    def _validate(self) -> None:
        for name in _NON_NEGATIVE:
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not 0 < self.ewma_alpha <= 1:
            raise ValueError(f"ewma_alpha must be in (0, 1], got {self.ewma_alpha!r}")
        if not math.isfinite(self.min_score):
            raise ValueError(f"min_score must be finite, got {self.min_score!r}")
        if self.activation_rule not in ACTIVATION_RULES:
            raise ValueError(
                f"activation_rule must be one of {ACTIVATION_RULES}, got {self.activation_rule!r}"
            )


def _names(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"pumpfun, launchlab"`` or ``["pumpfun", "launchlab"]`` -> ``("pumpfun", "launchlab")``."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())

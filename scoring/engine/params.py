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
    "young_minutes",
    "thin_tx_5m",
    "rug_min_peak_usd",
    "risk_serial_launches",
)
# Scoring spec v2's constants that divide or scale: strictly positive.
_POSITIVE = (
    "full_activity_tx_5m",
    "full_activity_vol_5m_usd",
    "implausible_liquidity_factor",
)
_FRACTIONS = (  # in (0, 1]
    "rug_liquidity_fraction",
    "rug_price_drop",
    "risk_top10_share",
    "risk_creator_share",
)
# A risk flag's penalty, taken off the raw score: 0 (none) to 1.
_PENALTIES = (
    "penalty_mint_authority",
    "penalty_freeze_authority",
    "penalty_token2022_danger",
    "penalty_top10_concentrated",
    "penalty_creator_holds",
    "penalty_serial_creator",
)
_FLOATS = (
    *_NON_NEGATIVE,
    *_POSITIVE,
    *_FRACTIONS,
    *_PENALTIES,
    "ewma_alpha",
    "min_score",
    "accel_saturation",
)
_NAME_LISTS = ("excluded_dex_ids", "allowed_quote_symbols")


@dataclass(frozen=True)
class ScoringParams:
    """Runtime scoring settings (docs/scoring.md, "Settings").

    Scheduling fields (hot/cold intervals, timeouts, retention) stay in the database model:
    the math does not need them. Construction validates every value, so a bad settings row
    fails loudly at the start of a refresh instead of producing NaN scores.
    """

    scoring_model_active: str = "hybrid_momentum_v2"
    w_tx: float = 0.35
    w_vol: float = 0.35
    w_fresh: float = 0.15
    w_oi: float = 0.15
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
    # Scoring spec v2 (docs/scoring.md, "Hybrid momentum v2").
    young_minutes: float = 10.0
    full_activity_tx_5m: float = 50.0
    full_activity_vol_5m_usd: float = 5000.0
    thin_tx_5m: float = 5.0
    accel_saturation: float = 8.0
    implausible_liquidity_factor: float = 20.0
    rug_liquidity_fraction: float = 0.2
    rug_min_peak_usd: float = 5000.0
    rug_price_drop: float = 0.9
    # Risk panel (docs/risk.md): flag thresholds, and a penalty per flag (0: none).
    risk_top10_share: float = 0.5
    risk_creator_share: float = 0.1
    risk_serial_launches: float = 3.0
    penalty_mint_authority: float = 0.0
    penalty_freeze_authority: float = 0.0
    penalty_token2022_danger: float = 0.0
    penalty_top10_concentrated: float = 0.0
    penalty_creator_holds: float = 0.0
    penalty_serial_creator: float = 0.0

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
        for name in _POSITIVE:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        for name in _FRACTIONS:
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {value!r}")
        for name in _PENALTIES:
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if not (math.isfinite(self.accel_saturation) and self.accel_saturation > 1):
            raise ValueError(f"accel_saturation must be above 1, got {self.accel_saturation!r}")
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

"""The scoring model registry: a model turns metrics into named components and one score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from . import components as c
from .metrics import Metrics
from .params import ScoringParams


class ScoringModel(Protocol):
    """What ``evaluate`` needs of a model; ``name`` is the ``scoring_model_active`` value."""

    @property
    def name(self) -> str: ...

    def components(self, metrics: Metrics, params: ScoringParams) -> dict[str, float]: ...

    def combine(self, components: Mapping[str, float], params: ScoringParams) -> float: ...


class UnknownModelError(LookupError):
    """``scoring_model_active`` names no registered model."""

    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(MODELS))
        super().__init__(f"unknown scoring model {name!r}; registered models: {known}")
        self.name = name


@dataclass(frozen=True)
class HybridMomentum:
    """score = w_tx*tx_accel + w_vol*vol_momentum + w_fresh*token_freshness
    + w_oi*orderflow_imbalance."""

    name: str = "hybrid_momentum"

    def components(self, metrics: Metrics, params: ScoringParams) -> dict[str, float]:
        """tx_accel, vol_momentum in [0, 12]; token_freshness in [0, 1]; imbalance in [-1, 1]."""
        return {
            "tx_accel": c.tx_accel(metrics.tx_5m, metrics.tx_1h),
            "vol_momentum": c.vol_momentum(metrics.vol_5m, metrics.vol_1h),
            "token_freshness": c.token_freshness(
                metrics.hours_since_migration, params.freshness_threshold_hours
            ),
            "orderflow_imbalance": c.orderflow_imbalance(metrics.buys_5m, metrics.sells_5m),
        }

    def combine(self, components: Mapping[str, float], params: ScoringParams) -> float:
        """The weighted sum above."""
        return (
            params.w_tx * components["tx_accel"]
            + params.w_vol * components["vol_momentum"]
            + params.w_fresh * components["token_freshness"]
            + params.w_oi * components["orderflow_imbalance"]
        )


@dataclass(frozen=True)
class Legacy:
    """score = weight_s*s + weight_l*l + weight_m*m + weight_t*t, each component in [0, 1]."""

    name: str = "legacy"

    def components(self, metrics: Metrics, params: ScoringParams) -> dict[str, float]:
        """s price surge, l liquidity depth, m 5-minute vs hour move, t trade pace."""
        return {
            "s": c.legacy_price_surge(metrics.dp5),
            "l": c.legacy_liquidity(metrics.L_tot),
            "m": c.legacy_momentum(metrics.dp5, metrics.dp15),
            "t": c.legacy_trade_pace(metrics.tx_5m),
        }

    def combine(self, components: Mapping[str, float], params: ScoringParams) -> float:
        """The weighted sum above."""
        return (
            params.weight_s * components["s"]
            + params.weight_l * components["l"]
            + params.weight_m * components["m"]
            + params.weight_t * components["t"]
        )


MODELS: dict[str, ScoringModel] = {}


def register_model(model: ScoringModel, *, replace: bool = False) -> ScoringModel:
    """Add ``model`` under its name; re-registering a name needs ``replace=True``."""
    if model.name in MODELS and not replace:
        raise ValueError(f"a scoring model named {model.name!r} is already registered")
    MODELS[model.name] = model
    return model


def get_model(name: str) -> ScoringModel:
    """The registered model called ``name``, or UnknownModelError."""
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModelError(name) from None


register_model(HybridMomentum())
register_model(Legacy())

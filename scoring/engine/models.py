"""Scoring models, each declared once: its components (key, label, weight, formula) and math.

Everything that names a component elsewhere derives from these declarations: the settings
choices, the dashboard's columns and sort keys, the detail page's explanation, the API schema,
the admin and the backtest's tunable weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import components as c
from .flags import is_young
from .metrics import Metrics
from .params import ScoringParams

ComponentFormula = Callable[[Metrics, ScoringParams], float]
Explanation = Callable[[Metrics, ScoringParams], dict[str, float | None]]


@dataclass(frozen=True)
class Component:
    """One named part of a model's score."""

    key: str  # the name in raw_components / smoothed_components
    label: str  # a short column heading
    weight: str  # the ScoringParams field that weighs it
    formula: str  # the formula as the pages and the API describe it
    value: ComponentFormula
    explain: Explanation | None = None  # the evidence behind the value (ratio, confidence, ...)


@dataclass(frozen=True)
class ScoringModel:
    """A model turns metrics into its named components, then into one weighted score.

    ``name`` is the ``scoring_model_active`` value. score = sum of weight x component.
    """

    name: str
    label: str
    components: tuple[Component, ...]
    normalized: bool = False  # divide by the sum of the weights: a score in [0, 1] for any
    zero_when_rugged: bool = False  # a rug is a state: score and smoothed score are 0

    @property
    def weights(self) -> tuple[str, ...]:
        """The ScoringParams fields this model reads as weights, in component order."""
        return tuple(component.weight for component in self.components)

    def compute(self, metrics: Metrics, params: ScoringParams) -> dict[str, float]:
        """Every component's value for `metrics`."""
        return {component.key: component.value(metrics, params) for component in self.components}

    def combine(self, values: Mapping[str, float], params: ScoringParams) -> float:
        """score = sum over components of weight * value; divided by the sum of the weights
        for a normalized model (0 when every weight is 0)."""
        weights = [float(getattr(params, component.weight)) for component in self.components]
        total = sum(w * values[c.key] for w, c in zip(weights, self.components, strict=True))
        if not self.normalized:
            return total
        weight_sum = sum(weights)
        return min(1.0, max(0.0, total / weight_sum)) if weight_sum > 0 else 0.0

    def explain(
        self, metrics: Metrics, params: ScoringParams
    ) -> dict[str, dict[str, float | None]]:
        """Per component with an explanation: the evidence behind its value."""
        return {
            component.key: component.explain(metrics, params)
            for component in self.components
            if component.explain is not None
        }


class UnknownModelError(LookupError):
    """``scoring_model_active`` names no registered model."""

    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(MODELS))
        super().__init__(f"unknown scoring model {name!r}; registered models: {known}")
        self.name = name


# v1's freshness: hours since migration against freshness_threshold_hours (v2 weighs it by
# the token's momentum, below).
FRESHNESS = Component(
    "token_freshness",
    "Fresh",
    "w_fresh",
    "(T - hours) / T, 0-1",
    lambda m, p: c.token_freshness(m.hours_since_migration, p.freshness_threshold_hours),
)

HYBRID_MOMENTUM = ScoringModel(
    name="hybrid_momentum",
    label="Hybrid momentum",
    components=(
        Component(
            "tx_accel",
            "Tx accel",
            "w_tx",
            "(tx_5m/5) / (tx_1h/60), 0-12",
            lambda m, p: c.tx_accel(m.tx_5m, m.tx_1h),
        ),
        Component(
            "vol_momentum",
            "Vol mom",
            "w_vol",
            "vol_5m / (vol_1h/12), 0-12",
            lambda m, p: c.vol_momentum(m.vol_5m, m.vol_1h),
        ),
        FRESHNESS,
        Component(
            "orderflow_imbalance",
            "Flow",
            "w_oi",
            "(buys - sells) / (buys + sells), -1-1",
            lambda m, p: c.orderflow_imbalance(m.buys_5m, m.sells_5m),
        ),
    ),
)

LEGACY = ScoringModel(
    name="legacy",
    label="Legacy",
    components=(
        Component(
            "s",
            "Surge",
            "weight_s",
            "price surge over 5m, 0-1",
            lambda m, p: c.legacy_price_surge(m.dp5),
        ),
        Component(
            "l", "Liq", "weight_l", "liquidity depth, 0-1", lambda m, p: c.legacy_liquidity(m.L_tot)
        ),
        Component(
            "m",
            "Mom",
            "weight_m",
            "5m move vs the hour's, 0-1",
            lambda m, p: c.legacy_momentum(m.dp5, m.dp15),
        ),
        Component(
            "t", "Pace", "weight_t", "trade pace, 0-1", lambda m, p: c.legacy_trade_pace(m.tx_5m)
        ),
    ),
)


def _tx_accel_v2(m: Metrics, p: ScoringParams) -> float:
    if is_young(m, p):
        return 0.0
    return c.acceleration(
        m.tx_pace_5m,
        m.tx_pace_rest,
        activity=m.tx_5m,
        full_activity=p.full_activity_tx_5m,
        saturation=p.accel_saturation,
    )


def _vol_momentum_v2(m: Metrics, p: ScoringParams) -> float:
    if is_young(m, p):
        return 0.0
    return c.acceleration(
        m.vol_pace_5m,
        m.vol_pace_rest,
        activity=m.vol_5m,
        full_activity=p.full_activity_vol_5m_usd,
        saturation=p.accel_saturation,
    )


def _explain_tx(m: Metrics, p: ScoringParams) -> dict[str, float | None]:
    return _evidence(m, p, m.tx_pace_5m, m.tx_pace_rest, m.tx_5m, p.full_activity_tx_5m)


def _explain_vol(m: Metrics, p: ScoringParams) -> dict[str, float | None]:
    return _evidence(m, p, m.vol_pace_5m, m.vol_pace_rest, m.vol_5m, p.full_activity_vol_5m_usd)


def _explain_flow(m: Metrics, p: ScoringParams) -> dict[str, float | None]:
    return {"confidence": c.activity_confidence(m.buys_5m + m.sells_5m, p.full_activity_tx_5m)}


def _evidence(
    m: Metrics, p: ScoringParams, pace_5m: float, pace_rest: float, activity: float, full: float
) -> dict[str, float | None]:
    ratio_value = c.pace_ratio(pace_5m, pace_rest)
    return {
        "ratio": None if math.isinf(ratio_value) else ratio_value,
        "confidence": c.activity_confidence(activity, full),
        "window_5m_minutes": m.window_5m_minutes,
        "window_1h_minutes": m.window_1h_minutes,
        "history_minutes": m.history_minutes,
    }


def _freshness_v2(m: Metrics, p: ScoringParams) -> float:
    """Freshness of the momentum the token shows: age freshness x its strongest momentum
    component, so a fresh token with no sign of momentum scores 0 (spec v2, properties 1, 7)."""
    age = c.token_freshness(m.hours_since_migration, p.freshness_threshold_hours)
    if not age:
        return 0.0
    momentum = max(_tx_accel_v2(m, p), _vol_momentum_v2(m, p), _buy_pressure_v2(m, p))
    return age * momentum


def _buy_pressure_v2(m: Metrics, p: ScoringParams) -> float:
    return c.buy_pressure(m.buys_5m, m.sells_5m, full_activity=p.full_activity_tx_5m)


HYBRID_MOMENTUM_V2 = ScoringModel(
    name="hybrid_momentum_v2",
    label="Hybrid momentum v2",
    normalized=True,
    zero_when_rugged=True,
    components=(
        Component(
            "tx_accel",
            "Tx accel",
            "w_tx",
            "log-scaled pace ratio (last 5 min vs the rest of the hour) x activity, 0-1",
            _tx_accel_v2,
            _explain_tx,
        ),
        Component(
            "vol_momentum",
            "Vol mom",
            "w_vol",
            "log-scaled volume pace ratio x activity, 0-1",
            _vol_momentum_v2,
            _explain_vol,
        ),
        Component(
            "token_freshness",
            "Fresh",
            "w_fresh",
            "(T - hours) / T x the strongest of the other three, 0-1",
            _freshness_v2,
        ),
        Component(
            "orderflow_imbalance",
            "Buy press",
            "w_oi",
            "buy pressure (buys - sells) / trades, sell pressure 0, x activity, 0-1",
            _buy_pressure_v2,
            _explain_flow,
        ),
    ),
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


def component_keys() -> tuple[str, ...]:
    """Every registered model's component keys, each once, in declaration order."""
    return tuple(dict.fromkeys(comp.key for model in MODELS.values() for comp in model.components))


def weight_fields() -> tuple[str, ...]:
    """Every registered model's weight fields, each once."""
    return tuple(dict.fromkeys(weight for model in MODELS.values() for weight in model.weights))


register_model(HYBRID_MOMENTUM_V2)
register_model(HYBRID_MOMENTUM)
register_model(LEGACY)

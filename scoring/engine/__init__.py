"""moon's scoring engine: pure Python, no Django, no other project package.

DexScreener pairs -> ``aggregate`` -> ``Aggregation`` -> ``evaluate`` -> ``Evaluation``
(one TokenScore row). ``activation_passes`` decides the lifecycle's activation rule.
"""

from .activation import PUMPSWAP_DEX_IDS, activation_passes, is_pumpswap
from .aggregate import Aggregation, aggregate, hours_since_migration
from .components import (
    legacy_liquidity,
    legacy_momentum,
    legacy_price_surge,
    legacy_trade_pace,
    orderflow_imbalance,
    token_freshness,
    tx_accel,
    vol_momentum,
)
from .evaluate import DEGRADED, EMERGENCY, FALLBACK, Evaluation, evaluate
from .ewma import FINAL_SCORE, EwmaState, ewma, smooth_components
from .flags import FLAGS, IMPLAUSIBLE_LIQUIDITY, RUGGED, THIN, YOUNG, token_flags
from .issues import CRITICAL, WARNING, QualityIssue
from .metrics import Metrics, metrics_from_json
from .models import (
    HYBRID_MOMENTUM,
    HYBRID_MOMENTUM_V2,
    LEGACY,
    MODELS,
    Component,
    ScoringModel,
    UnknownModelError,
    component_keys,
    get_model,
    register_model,
    weight_fields,
)
from .params import ACTIVATION_RULES, ScoringParams
from .pools import PoolSnapshot, is_kept
from .quality import pool_count_jumped

__all__ = [
    "ACTIVATION_RULES",
    "CRITICAL",
    "DEGRADED",
    "EMERGENCY",
    "FALLBACK",
    "FINAL_SCORE",
    "FLAGS",
    "HYBRID_MOMENTUM",
    "HYBRID_MOMENTUM_V2",
    "IMPLAUSIBLE_LIQUIDITY",
    "LEGACY",
    "MODELS",
    "PUMPSWAP_DEX_IDS",
    "RUGGED",
    "THIN",
    "WARNING",
    "YOUNG",
    "Aggregation",
    "Component",
    "Evaluation",
    "EwmaState",
    "Metrics",
    "PoolSnapshot",
    "QualityIssue",
    "ScoringModel",
    "ScoringParams",
    "UnknownModelError",
    "activation_passes",
    "aggregate",
    "component_keys",
    "evaluate",
    "ewma",
    "get_model",
    "hours_since_migration",
    "is_kept",
    "is_pumpswap",
    "legacy_liquidity",
    "legacy_momentum",
    "legacy_price_surge",
    "legacy_trade_pace",
    "metrics_from_json",
    "orderflow_imbalance",
    "pool_count_jumped",
    "register_model",
    "smooth_components",
    "token_flags",
    "token_freshness",
    "tx_accel",
    "vol_momentum",
    "weight_fields",
]

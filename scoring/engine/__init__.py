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
from .issues import CRITICAL, WARNING, QualityIssue
from .metrics import Metrics
from .models import (
    MODELS,
    HybridMomentum,
    Legacy,
    ScoringModel,
    UnknownModelError,
    get_model,
    register_model,
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
    "MODELS",
    "PUMPSWAP_DEX_IDS",
    "WARNING",
    "Aggregation",
    "Evaluation",
    "EwmaState",
    "HybridMomentum",
    "Legacy",
    "Metrics",
    "PoolSnapshot",
    "QualityIssue",
    "ScoringModel",
    "ScoringParams",
    "UnknownModelError",
    "activation_passes",
    "aggregate",
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
    "orderflow_imbalance",
    "pool_count_jumped",
    "register_model",
    "smooth_components",
    "token_freshness",
    "tx_accel",
    "vol_momentum",
]

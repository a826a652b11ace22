"""Flags: short codes for what a snapshot's data says about the token, beside its score."""

from __future__ import annotations

from .metrics import Metrics
from .params import ScoringParams

YOUNG = "young"  # too little history for an acceleration signal
THIN = "thin"  # a handful of trades in the last 5 minutes
RUGGED = "rugged"  # liquidity pulled or price collapsed
IMPLAUSIBLE_LIQUIDITY = "implausible_liquidity"  # a pool was left out for fake liquidity
FLAGS = (YOUNG, THIN, RUGGED, IMPLAUSIBLE_LIQUIDITY)
MEANINGS = {
    YOUNG: "Too little history for an acceleration signal yet.",
    THIN: "A handful of trades in the last 5 minutes: its ratios count for little.",
    RUGGED: "Liquidity pulled or the price collapsed: scored 0 while it lasts.",
    IMPLAUSIBLE_LIQUIDITY: "A pool claimed liquidity its reserve cannot back; it was left out.",
}


def is_young(metrics: Metrics, params: ScoringParams) -> bool:
    """Under young_minutes of history (since migration, or the primary pool's creation when
    that is later). An unknown history is not called young."""
    return metrics.history_minutes is not None and metrics.history_minutes < params.young_minutes


def is_thin(metrics: Metrics, params: ScoringParams) -> bool:
    """Fewer than thin_tx_5m trades in the last 5 minutes."""
    return metrics.tx_5m < params.thin_tx_5m


def is_rugged(metrics: Metrics, params: ScoringParams) -> bool:
    """Kept liquidity below rug_liquidity_fraction of its peak (a peak of at least
    rug_min_peak_usd), or the primary price down by rug_price_drop or more within the hour."""
    peak = metrics.peak_liquidity_usd or 0.0
    pulled = (
        peak >= params.rug_min_peak_usd and metrics.L_tot < params.rug_liquidity_fraction * peak
    )
    collapsed = metrics.dp60 is not None and metrics.dp60 <= -params.rug_price_drop
    return pulled or collapsed


def token_flags(metrics: Metrics, params: ScoringParams) -> tuple[str, ...]:
    """Every flag that holds, in FLAGS order."""
    holds = {
        YOUNG: is_young(metrics, params),
        THIN: is_thin(metrics, params),
        RUGGED: is_rugged(metrics, params),
        IMPLAUSIBLE_LIQUIDITY: metrics.implausible_pools > 0,
    }
    return tuple(flag for flag in FLAGS if holds[flag])

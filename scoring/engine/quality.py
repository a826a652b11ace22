"""Warning rules on aggregated metrics (docs/scoring.md, "Data quality"); critical rules live in
the pair reader, where the offending raw value is still at hand."""

from __future__ import annotations

from .issues import QualityIssue, warning
from .metrics import Metrics

LIQUIDITY_WITHOUT_TRADES_USD = 10_000.0
BUSY_TX_5M = 200
FLAT_DP5 = 0.001
EXTREME_DP5 = 0.5


def metric_warnings(metrics: Metrics, previous_pool_count: int | None) -> tuple[QualityIssue, ...]:
    """Every warning ``metrics`` deserve, in a fixed order."""
    found = (
        _no_kept_pools(metrics),
        _implausible_liquidity(metrics),
        _liquidity_without_trades(metrics),
        _trades_without_price_move(metrics),
        _extreme_price_change(metrics),
        _tx_5m_exceeds_1h(metrics),
        _volume_5m_exceeds_1h(metrics),
        _pool_count_jump(metrics, previous_pool_count),
    )
    return tuple(issue for issue in found if issue is not None)


def pool_count_jumped(previous: int, current: int) -> bool:
    """A jump: the kept pool count changed by >= 2 AND at least doubled or halved.

    1 -> 2 (the usual first external pool) and 10 -> 12 (steady growth) are not jumps;
    1 -> 3, 4 -> 8, 3 -> 1, 2 -> 0 and 0 -> 2 are.
    """
    low, high = sorted((previous, current))
    return high - low >= 2 and high >= 2 * low


def _no_kept_pools(metrics: Metrics) -> QualityIssue | None:
    if metrics.pool_count > 0:
        return None
    return warning("no_kept_pools", "no pool passes the kept-pool filter; scored on freshness only")


def _implausible_liquidity(metrics: Metrics) -> QualityIssue | None:
    if not metrics.implausible_pools:
        return None
    return warning(
        "implausible_liquidity",
        f"{metrics.implausible_pools} pool(s) left out: liquidity.usd is far beyond what their "
        "quote reserve backs",
    )


def _liquidity_without_trades(metrics: Metrics) -> QualityIssue | None:
    if not (metrics.L_tot > LIQUIDITY_WITHOUT_TRADES_USD and metrics.tx_5m == 0):
        return None
    return warning(
        "liquidity_without_trades",
        f"L_tot = {metrics.L_tot:.2f} USD > {LIQUIDITY_WITHOUT_TRADES_USD:.0f} with tx_5m = 0",
    )


def _trades_without_price_move(metrics: Metrics) -> QualityIssue | None:
    # An absent m5 price change on a busy pair reports no move either: same warning.
    dp5 = metrics.dp5
    if not (metrics.tx_5m > BUSY_TX_5M and (dp5 is None or abs(dp5) < FLAT_DP5)):
        return None
    return warning(
        "trades_without_price_move",
        f"tx_5m = {metrics.tx_5m} > {BUSY_TX_5M} with |dp5| = {_abs(dp5)} < {FLAT_DP5}",
    )


def _extreme_price_change(metrics: Metrics) -> QualityIssue | None:
    if metrics.dp5 is None or abs(metrics.dp5) <= EXTREME_DP5:
        return None
    return warning(
        "extreme_price_change", f"|dp5| = {abs(metrics.dp5)} > {EXTREME_DP5} in 5 minutes"
    )


def _tx_5m_exceeds_1h(metrics: Metrics) -> QualityIssue | None:
    if metrics.tx_5m <= metrics.tx_1h:
        return None
    return warning("tx_5m_exceeds_1h", f"tx_5m = {metrics.tx_5m} > tx_1h = {metrics.tx_1h}")


def _volume_5m_exceeds_1h(metrics: Metrics) -> QualityIssue | None:
    if metrics.vol_5m <= metrics.vol_1h:
        return None
    return warning("volume_5m_exceeds_1h", f"vol_5m = {metrics.vol_5m} > vol_1h = {metrics.vol_1h}")


def _pool_count_jump(metrics: Metrics, previous: int | None) -> QualityIssue | None:
    if previous is None or not pool_count_jumped(previous, metrics.pool_count):
        return None
    return warning(
        "pool_count_jump", f"kept pool count jumped from {previous} to {metrics.pool_count}"
    )


def _abs(value: float | None) -> str:
    return "absent" if value is None else repr(abs(value))

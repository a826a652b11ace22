"""Snapshot rows and metrics for backtest tests: plain values, no surprises."""

from dataclasses import replace
from typing import Any

from scoring.backtest.replay import SnapshotRow
from scoring.engine import Metrics

# tx_accel = (10/5) / (60/60) = 2, vol_momentum = 100 / (1200/12) = 1,
# token_freshness = (6 - 3) / 6 = 0.5, orderflow_imbalance = (6 - 4) / 10 = 0.2:
# the default hybrid score is 0.25 * (2 + 1 + 0.5 + 0.2) = 0.925.
BUSY = Metrics(
    L_tot=20_000.0,
    tx_5m=10,
    tx_1h=60,
    vol_5m=100.0,
    vol_1h=1200.0,
    buys_5m=6,
    sells_5m=4,
    pool_count=1,
    primary_pair_address=None,
    primary_dex_id=None,
    price_usd=0.001,
    dp5=0.02,
    dp15=0.01,
    hours_since_migration=3.0,
)
BUSY_SCORE = 0.925
# No trades: only freshness scores, 0.25 * 0.5 = 0.125.
QUIET = replace(BUSY, tx_5m=0, vol_5m=0.0, buys_5m=0, sells_5m=0)
QUIET_SCORE = 0.125


def metrics(**changes: Any) -> Metrics:
    return replace(BUSY, **changes)


def row(
    at: float, m: Metrics | None = BUSY, *, token: int = 1, fallback: str | None = None
) -> SnapshotRow:
    return SnapshotRow(token, at, fallback, m)


def priced(
    token: int, prices: list[float], *, scores: list[Metrics], step: float = 60.0
) -> list[SnapshotRow]:
    """One token's rows, one a `step` apart, with these prices and metrics."""
    return [
        row(i * step, replace(m, price_usd=price), token=token)
        for i, (price, m) in enumerate(zip(prices, scores, strict=True))
    ]

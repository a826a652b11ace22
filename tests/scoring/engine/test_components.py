import math

import pytest

from scoring.engine import (
    legacy_liquidity,
    legacy_momentum,
    legacy_price_surge,
    legacy_trade_pace,
    orderflow_imbalance,
    token_freshness,
    tx_accel,
    vol_momentum,
)


def test_tx_accel_compares_the_5m_pace_with_the_hour_pace() -> None:
    # (953/5) / (8880/60) = 190.6 / 148 = 1.2878378378...
    assert tx_accel(953, 8880) == pytest.approx(190.6 / 148)


def test_tx_accel_is_one_at_the_hours_average_pace() -> None:
    # (10/5) / (120/60) = 2 / 2 = 1
    assert tx_accel(10, 120) == pytest.approx(1.0)


def test_tx_accel_is_clamped_at_12() -> None:
    # (100/5) / (100/60) = 20 / 1.667 = 12 exactly (all trades in the last 5 minutes) ...
    assert tx_accel(100, 100) == pytest.approx(12.0)
    # ... and (500/5) / (100/60) = 60 would exceed it (inconsistent windows)
    assert tx_accel(500, 100) == 12.0


def test_tx_accel_is_zero_without_trades_in_the_hour() -> None:
    assert tx_accel(5, 0) == 0.0
    assert tx_accel(0, 0) == 0.0


def test_tx_accel_is_zero_when_the_last_5_minutes_are_quiet() -> None:
    assert tx_accel(0, 600) == 0.0


def test_vol_momentum_compares_5m_volume_with_the_hours_5m_average() -> None:
    # 54232.17 / (305644.82/12) = 650786.04 / 305644.82 = 2.12922319...
    assert vol_momentum(54232.17, 305644.82) == pytest.approx(650786.04 / 305644.82)
    # 100 / (600/12) = 100 / 50 = 2
    assert vol_momentum(100.0, 600.0) == pytest.approx(2.0)


def test_vol_momentum_is_clamped_to_0_and_12() -> None:
    # 1000 / (10/12) = 1200 -> 12
    assert vol_momentum(1000.0, 10.0) == 12.0
    assert vol_momentum(0.0, 10.0) == 0.0


def test_vol_momentum_is_zero_without_volume_in_the_hour() -> None:
    assert vol_momentum(50.0, 0.0) == 0.0


def test_vol_momentum_is_zero_when_the_hours_volume_underflows_to_zero() -> None:
    # 5e-324 / 12 rounds to 0.0: still a zero denominator, not a ZeroDivisionError
    assert vol_momentum(1.0, 5e-324) == 0.0


def test_token_freshness_falls_linearly_over_the_threshold() -> None:
    # (6 - 1.5) / 6 = 0.75 ; (6 - 0) / 6 = 1 ; (6 - 6) / 6 = 0
    assert token_freshness(1.5, 6.0) == pytest.approx(0.75)
    assert token_freshness(0.0, 6.0) == 1.0
    assert token_freshness(6.0, 6.0) == 0.0


def test_token_freshness_is_clamped_to_0_and_1() -> None:
    # (6 - 9) / 6 = -0.5 -> 0 ; (6 - (-1)) / 6 = 1.167 -> 1
    assert token_freshness(9.0, 6.0) == 0.0
    assert token_freshness(-1.0, 6.0) == 1.0


def test_token_freshness_is_zero_with_a_zero_threshold_or_an_unknown_age() -> None:
    assert token_freshness(1.0, 0.0) == 0.0
    assert token_freshness(None, 6.0) == 0.0


def test_orderflow_imbalance_is_the_net_share_of_buys() -> None:
    # (529 - 424) / (529 + 424) = 105 / 953 = 0.1101783...
    assert orderflow_imbalance(529, 424) == pytest.approx(105 / 953)
    assert orderflow_imbalance(10, 0) == 1.0
    assert orderflow_imbalance(0, 10) == -1.0
    assert orderflow_imbalance(5, 5) == 0.0


def test_orderflow_imbalance_is_zero_without_trades() -> None:
    assert orderflow_imbalance(0, 0) == 0.0


def test_legacy_price_surge_is_log_scaled() -> None:
    # dp5 = 0.035: ln(1 + 0.35) / ln 11 = 0.3001046 / 2.3978953 = 0.1251533...
    assert legacy_price_surge(0.035) == pytest.approx(math.log(1.35) / math.log(11))
    # dp5 = -0.1: ln 2 / ln 11 = 0.2890648... (the sign does not matter)
    assert legacy_price_surge(-0.1) == pytest.approx(0.2890648263)
    # dp5 = 1: ln 11 / ln 11 = 1 ; dp5 = 3: ln 31 / ln 11 = 1.43 -> 1
    assert legacy_price_surge(1.0) == pytest.approx(1.0)
    assert legacy_price_surge(3.0) == 1.0


def test_legacy_price_surge_is_zero_without_a_5m_change() -> None:
    assert legacy_price_surge(None) == 0.0
    assert legacy_price_surge(0.0) == 0.0


def test_legacy_liquidity_scales_between_10k_and_1m() -> None:
    # (log10 36295.05 - 4) / 2 = (4.5598474 - 4) / 2 = 0.2799237...
    assert legacy_liquidity(36295.05) == pytest.approx((math.log10(36295.05) - 4) / 2)
    # log10 100000 = 5 -> (5 - 4) / 2 = 0.5
    assert legacy_liquidity(100_000.0) == pytest.approx(0.5)
    assert legacy_liquidity(10_000.0) == 0.0
    assert legacy_liquidity(1_000_000.0) == pytest.approx(1.0)


def test_legacy_liquidity_is_clamped_and_zero_without_liquidity() -> None:
    assert legacy_liquidity(500.0) == 0.0  # (2.699 - 4) / 2 < 0
    assert legacy_liquidity(1e9) == 1.0  # (9 - 4) / 2 = 2.5 -> 1
    assert legacy_liquidity(0.0) == 0.0  # log10 0 is undefined


def test_legacy_momentum_compares_5m_with_a_quarter_hour() -> None:
    # |0.035| / max(|1.045|, 0.01) = 0.0334928...
    assert legacy_momentum(0.035, 1.045) == pytest.approx(0.035 / 1.045)
    # |0.02| / max(|-0.04|, 0.01) = 0.5
    assert legacy_momentum(0.02, -0.04) == pytest.approx(0.5)


def test_legacy_momentum_floors_a_flat_hour_at_one_percent() -> None:
    # |0.004| / max(0, 0.01) = 0.4 ; |0.05| / 0.01 = 5 -> 1
    assert legacy_momentum(0.004, 0.0) == pytest.approx(0.4)
    assert legacy_momentum(0.05, 0.0) == 1.0


def test_legacy_momentum_is_zero_when_a_window_is_absent() -> None:
    assert legacy_momentum(None, 0.5) == 0.0
    assert legacy_momentum(0.5, None) == 0.0


def test_legacy_trade_pace_is_full_at_300_trades_a_minute() -> None:
    # (953/5) / 300 = 190.6 / 300 = 0.635333...
    assert legacy_trade_pace(953) == pytest.approx(190.6 / 300)
    assert legacy_trade_pace(1500) == pytest.approx(1.0)
    assert legacy_trade_pace(5000) == 1.0
    assert legacy_trade_pace(0) == 0.0

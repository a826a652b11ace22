"""Score components: pure functions of metrics, each with the formula of the scoring spec.

Rule for every ratio: a zero, negative or missing denominator gives 0, never NaN or inf.
"""

from __future__ import annotations

import math

MAX_RATIO = 12.0  # tx_accel and vol_momentum: a 5-minute window can be at most 12x its hour
LEGACY_LIQUIDITY_FLOOR_LOG10 = 4.0  # $10k scores 0 ...
LEGACY_LIQUIDITY_SPAN_LOG10 = 2.0  # ... and $1M scores 1
LEGACY_MIN_DP15 = 0.01
LEGACY_FULL_TX_PER_MINUTE = 300.0


def clamp(value: float, low: float, high: float) -> float:
    """min(max(value, low), high)."""
    return min(max(value, low), high)


def ratio(numerator: float, denominator: float | None) -> float:
    """numerator / denominator, or 0 when the denominator is missing or not positive."""
    if denominator is None or not denominator > 0:
        return 0.0
    return numerator / denominator


def tx_accel(tx_5m: float, tx_1h: float) -> float:
    """tx_accel = clamp((tx_5m/5) / (tx_1h/60), 0, 12); 0 when tx_1h = 0.

    1 means the last 5 minutes trade at the hour's average pace per minute.
    """
    return clamp(ratio(tx_5m / 5, tx_1h / 60), 0.0, MAX_RATIO)


def vol_momentum(vol_5m: float, vol_1h: float) -> float:
    """vol_momentum = clamp(vol_5m / (vol_1h/12), 0, 12); 0 when vol_1h = 0."""
    return clamp(ratio(vol_5m, vol_1h / 12), 0.0, MAX_RATIO)


def token_freshness(hours: float | None, threshold_hours: float) -> float:
    """token_freshness = clamp((T - hours) / T, 0, 1), T = freshness_threshold_hours.

    0 when T = 0 or the age is unknown: an unknown age earns no freshness bonus.
    """
    if hours is None:
        return 0.0
    return clamp(ratio(threshold_hours - hours, threshold_hours), 0.0, 1.0)


def orderflow_imbalance(buys_5m: float, sells_5m: float) -> float:
    """orderflow_imbalance = (buys_5m - sells_5m) / (buys_5m + sells_5m), in [-1, 1].

    0 with no trades. Counts, not volumes: DexScreener gives no buy/sell volume split.
    """
    return clamp(ratio(buys_5m - sells_5m, buys_5m + sells_5m), -1.0, 1.0)


def legacy_price_surge(dp5: float | None) -> float:
    """s = clip(ln(1 + 10|dp5|) / ln 11, 0, 1); 0 when dp5 is absent.

    A 10% move in 5 minutes scores ln 2 / ln 11 = 0.289; a 100% move scores 1.
    """
    if dp5 is None:
        return 0.0
    return clamp(math.log1p(10 * abs(dp5)) / math.log(11), 0.0, 1.0)


def legacy_liquidity(l_tot: float) -> float:
    """l = clip((log10 L_tot - 4) / 2, 0, 1); 0 when L_tot <= 0 (log undefined)."""
    if not l_tot > 0:
        return 0.0
    scaled = (math.log10(l_tot) - LEGACY_LIQUIDITY_FLOOR_LOG10) / LEGACY_LIQUIDITY_SPAN_LOG10
    return clamp(scaled, 0.0, 1.0)


def legacy_momentum(dp5: float | None, dp15: float | None) -> float:
    """m = clip(|dp5| / max(|dp15|, 0.01), 0, 1); 0 when dp5 or dp15 is absent.

    A missing dp15 is a missing denominator (the 0.01 floor only guards a flat hour).
    """
    if dp5 is None or dp15 is None:
        return 0.0
    return clamp(abs(dp5) / max(abs(dp15), LEGACY_MIN_DP15), 0.0, 1.0)


def legacy_trade_pace(tx_5m: float) -> float:
    """t = clip((tx_5m / 5) / 300, 0, 1): 300 trades a minute is full marks."""
    return clamp((tx_5m / 5) / LEGACY_FULL_TX_PER_MINUTE, 0.0, 1.0)


# --- Scoring spec v2: every component in [0, 1] ----------------------------------------------


def pace_ratio(pace_5m: float, pace_rest: float) -> float:
    """r = pace of the last 5 minutes / pace of the rest of the covered hour.

    0 without trading in the last 5 minutes; infinite when the rest of the hour was silent and
    the last 5 minutes were not (a dead token waking up saturates, weighed by its activity).
    """
    if not pace_5m > 0:
        return 0.0
    if not pace_rest > 0:
        return math.inf
    return pace_5m / pace_rest


def log_scale(ratio_value: float, saturation: float) -> float:
    """clamp(ln r / ln saturation, 0, 1): r <= 1 gives 0, r = saturation gives 1."""
    if not ratio_value > 1:
        return 0.0
    if math.isinf(ratio_value):
        return 1.0
    return clamp(math.log(ratio_value) / math.log(saturation), 0.0, 1.0)


def activity_confidence(activity: float, full_activity: float) -> float:
    """clamp(activity / full_activity, 0, 1): a ratio earned on a handful of trades or dollars
    counts for little, one earned on full_activity or more counts whole."""
    return clamp(ratio(activity, full_activity), 0.0, 1.0)


def acceleration(
    pace_5m: float, pace_rest: float, *, activity: float, full_activity: float, saturation: float
) -> float:
    """log_scale(pace_ratio) x activity_confidence, in [0, 1]."""
    scaled = log_scale(pace_ratio(pace_5m, pace_rest), saturation)
    return scaled * activity_confidence(activity, full_activity)


def buy_pressure(buys_5m: float, sells_5m: float, *, full_activity: float) -> float:
    """max(0, orderflow_imbalance) x activity_confidence(buys + sells): sell pressure gives 0."""
    imbalance = max(0.0, orderflow_imbalance(buys_5m, sells_5m))
    return imbalance * activity_confidence(buys_5m + sells_5m, full_activity)

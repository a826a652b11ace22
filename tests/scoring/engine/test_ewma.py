import math
from decimal import Decimal

import pytest

from scoring.engine import ewma, smooth_components


def test_it_takes_the_first_value_as_is() -> None:
    assert ewma(1.0, None, 0.3) == 1.0


def test_it_smooths_over_several_steps() -> None:
    first = ewma(1.0, None, 0.3)  # 1.0
    second = ewma(0.0, first, 0.3)  # 0.3*0 + 0.7*1.0 = 0.7
    third = ewma(1.0, second, 0.3)  # 0.3*1 + 0.7*0.7 = 0.79
    fourth = ewma(1.0, third, 0.3)  # 0.3*1 + 0.7*0.79 = 0.853

    assert (first, second, third, fourth) == pytest.approx((1.0, 0.7, 0.79, 0.853))


def test_alpha_one_follows_the_raw_value() -> None:
    assert ewma(0.2, 0.9, 1.0) == pytest.approx(0.2)


def test_it_restarts_from_a_non_finite_previous_value() -> None:
    assert ewma(0.4, math.nan, 0.3) == 0.4
    assert ewma(0.4, math.inf, 0.3) == 0.4


def test_it_accepts_a_previous_value_read_from_a_numeric_column() -> None:
    # 0.3*1 + 0.7*0.5 = 0.65
    assert ewma(1.0, Decimal("0.5"), 0.3) == pytest.approx(0.65)  # type: ignore[arg-type]


def test_smooth_components_smooths_each_name_against_its_own_history() -> None:
    raw = {"tx_accel": 2.0, "vol_momentum": 0.0, "token_freshness": 0.5}
    previous = {"tx_accel": 1.0, "vol_momentum": 1.0, "final_score": 9.0}

    smoothed = smooth_components(raw, previous, 0.3)

    # tx: 0.3*2 + 0.7*1 = 1.3; vol: 0.3*0 + 0.7*1 = 0.7; freshness is new: 0.5 as is
    assert smoothed == pytest.approx({"tx_accel": 1.3, "vol_momentum": 0.7, "token_freshness": 0.5})

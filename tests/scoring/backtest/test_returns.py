"""Forward returns: the first priced snapshot at or after t + h, within a tolerance."""

import pytest

from scoring.backtest.returns import forward_returns

TIMES = [0.0, 60.0, 120.0, 300.0, 330.0, 600.0, 660.0, 1200.0]
PRICES: list[float | None] = [1.0, 2.0, 4.0, 1.5, 3.0, 3.0, 0.5, 1.0]


def test_it_takes_the_first_snapshot_at_or_after_the_horizon() -> None:
    returns = forward_returns(TIMES, PRICES, horizon=300, tolerance=150)

    assert returns == pytest.approx(
        [
            1.5 / 1.0 - 1,  # t=0 -> t=300, exactly at the horizon
            None,  # t=60 -> first at >= 360 is t=600, later than 360 + 150
            None,  # t=120 -> t=600 > 570
            3.0 / 1.5 - 1,  # t=300 -> t=600
            0.5 / 3.0 - 1,  # t=330 -> t=660 (the first at or after 630)
            None,  # t=600 -> t=1200 > 1050
            None,  # t=660 -> t=1200 > 1110
            None,  # t=1200 -> nothing later
        ]
    )


def test_a_snapshot_without_a_price_is_skipped_as_a_target_and_gives_no_return() -> None:
    prices = list(PRICES)
    prices[3] = None

    returns = forward_returns(TIMES, prices, horizon=300, tolerance=150)

    assert returns[0] == pytest.approx(3.0 / 1.0 - 1)  # t=300 has no price: t=330 stands in
    assert returns[3] is None


@pytest.mark.parametrize("origin", [0.0, None])
def test_no_return_from_a_missing_or_zero_price(origin: float | None) -> None:
    assert forward_returns([0.0, 60.0], [origin, 2.0], horizon=60, tolerance=0) == [None, None]


@pytest.mark.parametrize(("later", "expected"), [(450.0, 1.0), (450.5, None)])
def test_the_tolerance_is_inclusive(later: float, expected: float | None) -> None:
    returns = forward_returns([0.0, later], [1.0, 2.0], horizon=300, tolerance=150)

    assert returns == [expected, None]


def test_a_price_that_falls_to_zero_is_a_total_loss() -> None:
    assert forward_returns([0.0, 300.0], [2.0, 0.0], horizon=300, tolerance=0) == [-1.0, None]


def test_an_empty_history_has_no_returns() -> None:
    assert forward_returns([], [], horizon=300, tolerance=150) == []

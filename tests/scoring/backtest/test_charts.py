"""Bar chart geometry for the lab page: values in, pixel boxes out."""

import pytest

from scoring.backtest.charts import grouped_bars, lab_charts, percent_label
from scoring.backtest.replay import BacktestOptions, Variant, backtest
from scoring.backtest.results import Confidence
from scoring.backtest.stats import Interval
from scoring.engine import ScoringParams
from tests.scoring.backtest.builders import BUSY, QUIET, priced
from tests.scoring.backtest.test_text import HYBRID, twelve_tokens


def test_bars_grow_from_the_zero_line_by_hand() -> None:
    chart = grouped_bars(
        "t",
        ["a", "b"],
        [("A", [1.0, -0.5]), ("B", [None, 0.5])],
        width=200,
        height=100,
        margin=(10, 10, 10, 10),
    )

    # ticks -0.5, 0, 0.5, 1 map onto y 90 .. 10; 0 sits at 90 - 80/3.
    assert [(t.label, t.position) for t in chart.y_ticks] == [
        ("-0.5", pytest.approx(90.0)),
        ("0", pytest.approx(190 / 3)),
        ("0.5", pytest.approx(110 / 3)),
        ("1", pytest.approx(10.0)),
    ]
    assert chart.zero_y == pytest.approx(190 / 3)
    # groups are 90 px wide, their bars 0.8 of that: 36 px each, starting 9 px in.
    boxes = [(b.name, b.group, b.x, b.y, b.width, b.height) for b in chart.bars]
    assert boxes == [
        ("A", "a", 19.0, 10.0, 36.0, pytest.approx(160 / 3)),
        ("A", "b", 109.0, pytest.approx(190 / 3), 36.0, pytest.approx(80 / 3)),
        ("B", "b", 145.0, pytest.approx(110 / 3), 36.0, pytest.approx(80 / 3)),
    ]
    assert [(g.label, g.position) for g in chart.groups] == [("a", 55.0), ("b", 145.0)]
    assert chart.missing == 1
    assert chart.series == ("A", "B")


def test_an_interval_draws_a_whisker_over_its_bar_by_hand() -> None:
    chart = grouped_bars(
        "t",
        ["a", "b"],
        [("A", [0.5, None])],
        intervals=[[Interval(0.25, 1.0), Interval(0.1, 0.2)]],
        width=200,
        height=100,
        margin=(10, 10, 10, 10),
    )

    # The axis reaches the interval's 1.0 (ticks 0 .. 1 over y 90 .. 10); nothing is drawn
    # for the interval of a missing value.
    (bar,) = chart.bars
    assert [t.label for t in chart.y_ticks][-1] == "1"
    assert (bar.low_y, bar.high_y) == (pytest.approx(70.0), pytest.approx(10.0))
    assert bar.middle == pytest.approx(19.0 + 72.0 / 2)
    assert bar.text == "0.5 [0.25, 1]"


def test_a_chart_without_values_still_has_an_axis() -> None:
    chart = grouped_bars("t", ["a"], [("A", [None])])

    assert chart.bars == ()
    assert [t.label for t in chart.y_ticks] == ["0", "1"]


@pytest.mark.parametrize(
    ("value", "text"), [(0.025, "+2.5%"), (-0.5, "-50%"), (0.0, "0%"), (1.234, "+123%")]
)
def test_percent_labels(value: float, text: str) -> None:
    assert percent_label(value) == text


def test_the_lab_draws_the_horizons_with_enough_history_and_flagged_tokens() -> None:
    results = backtest(
        twelve_tokens(),
        [Variant("A", HYBRID), Variant("B", ScoringParams(w_tx=1.0))],
        BacktestOptions(horizons=(5, 15), thresholds=(1.0,), confidence=Confidence(resamples=50)),
    )

    charts = lab_charts(results)

    # 15 min has too little history (12 samples): no empty correlation bar, no decile chart.
    assert [c.title for c in charts] == [
        "Rank correlation (Spearman) of score and forward return, 95% intervals",
        "Mean forward return after 5 min, by score decile",
        "Tokens flagged at least once, by hot threshold",
    ]
    assert [g.label for g in charts[0].groups] == ["5 min"]
    assert all(bar.low_y is not None for bar in charts[0].bars)
    assert [g.label for g in charts[1].groups] == [f"D{d}" for d in range(1, 11)]
    # Only the top decile's bar carries an interval.
    assert {bar.group for bar in charts[1].bars if bar.low_y is not None} <= {"D10"}
    assert [g.label for g in charts[2].groups] == ["≥0.3", "≥1"]
    assert lab_charts([]) == []


def test_with_too_little_history_only_the_flagged_tokens_are_drawn() -> None:
    rows = priced(1, [1.0, 2.0, 1.0, 1.5], scores=[BUSY, QUIET, BUSY, BUSY], step=300)
    results = backtest(rows, [Variant("A", HYBRID)], BacktestOptions(horizons=(5, 15)))

    charts = lab_charts(results)

    assert [c.title for c in charts] == ["Tokens flagged at least once, by hot threshold"]

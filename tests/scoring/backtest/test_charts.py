"""Bar chart geometry for the lab page: values in, pixel boxes out."""

import pytest

from scoring.backtest.charts import grouped_bars, lab_charts, percent_label
from scoring.backtest.replay import BacktestOptions, Variant, backtest
from scoring.engine import ScoringParams
from tests.scoring.backtest.builders import BUSY, QUIET, priced


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


def test_a_chart_without_values_still_has_an_axis() -> None:
    chart = grouped_bars("t", ["a"], [("A", [None])])

    assert chart.bars == ()
    assert [t.label for t in chart.y_ticks] == ["0", "1"]


@pytest.mark.parametrize(
    ("value", "text"), [(0.025, "+2.5%"), (-0.5, "-50%"), (0.0, "0%"), (1.234, "+123%")]
)
def test_percent_labels(value: float, text: str) -> None:
    assert percent_label(value) == text


def test_the_lab_draws_correlation_each_horizon_and_flagged_tokens() -> None:
    rows = priced(1, [1.0, 2.0, 1.0, 1.5], scores=[BUSY, QUIET, BUSY, BUSY], step=300)
    results = backtest(
        rows,
        [Variant("A", ScoringParams()), Variant("B", ScoringParams(w_tx=1.0))],
        BacktestOptions(horizons=(5, 15), thresholds=(1.0,)),
    )

    charts = lab_charts(results)

    assert [c.title for c in charts] == [
        "Rank correlation (Spearman) of score and forward return",
        "Mean forward return after 5 min, by score decile",
        "Mean forward return after 15 min, by score decile",
        "Tokens flagged at least once, by hot threshold",
    ]
    assert [g.label for g in charts[0].groups] == ["5 min", "15 min"]
    assert [g.label for g in charts[1].groups] == [f"D{d}" for d in range(1, 11)]
    assert [g.label for g in charts[3].groups] == ["≥0.3", "≥1"]
    assert lab_charts([]) == []

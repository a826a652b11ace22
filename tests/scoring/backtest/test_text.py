"""The command's progress bar and the comparison rows the command and the page show."""

from scoring.backtest.replay import BacktestOptions, Variant, backtest
from scoring.backtest.text import comparison_rows, percent, progress_bar, results_table
from scoring.engine import ScoringParams
from tests.scoring.backtest.builders import BUSY, QUIET, priced


def test_the_progress_bar_by_hand() -> None:
    assert progress_bar(520_000, 1_000_000, width=10) == (
        "[#####     ]  52% 520,000/1,000,000 snapshots"
    )
    assert progress_bar(0, 0, width=4) == "[####] 100% 0/0 snapshots"
    assert progress_bar(7, 5, width=4) == "[####] 100% 7/5 snapshots"


def test_percentages() -> None:
    assert (percent(0.0842), percent(-0.5, 1), percent(0.5, 0, signed=False)) == (
        "+8.42%",
        "-50.0%",
        "50%",
    )
    assert percent(None) == "—"


def test_the_comparison_rows_side_by_side() -> None:
    rows = priced(1, [1.0, 2.0, 1.0, 1.5], scores=[BUSY, QUIET, BUSY, BUSY], step=300)
    results = backtest(
        rows,
        [Variant("A", ScoringParams()), Variant("B", ScoringParams(scoring_model_active="legacy"))],
        BacktestOptions(horizons=(5,), thresholds=()),
    )

    table = {row.label: row.cells for row in comparison_rows(results)}

    assert table["settings"] == ("hybrid_momentum", "legacy")
    assert table[""] == (  # the last of the settings lines
        "alpha=0.3 min_score=0.3 fresh_h=6",
        "alpha=0.3 min_score=0.3 fresh_h=6",
    )
    assert table["snapshots (tokens)"] == ("4 (1)", "4 (1)")
    assert table["forward return after 5 min"] == ()
    assert table["samples"] == ("3", "3")
    assert table["hit rate of hot calls"] == ("66.7%", "—")  # smoothed: all 3 are hot
    assert table["score >= 0.3"] == ("1 · 4 · 67%", "0 · 0 · —")
    lines = results_table(results)
    assert lines[0].split() == ["A", "B"]
    assert "  rank correlation (Spearman)" in "\n".join(lines)

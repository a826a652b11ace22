"""The command's progress bar and the comparison rows the command and the page show."""

from dataclasses import replace

import pytest

from scoring.backtest.replay import BacktestOptions, SnapshotRow, Variant, backtest
from scoring.backtest.results import BacktestResult, Confidence
from scoring.backtest.stats import Interval
from scoring.backtest.text import (
    comparison_rows,
    counted,
    history_notes,
    percent,
    progress_bar,
    results_table,
    spearman_verdicts,
    too_little_history,
    with_interval,
)
from scoring.engine import ScoringParams
from tests.scoring.backtest.builders import BUSY, QUIET, priced, row

HYBRID = ScoringParams(
    scoring_model_active="hybrid_momentum", w_tx=0.25, w_vol=0.25, w_fresh=0.25, w_oi=0.25
)


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


def test_the_comparison_rows_say_when_there_is_too_little_history() -> None:
    rows = priced(1, [1.0, 2.0, 1.0, 1.5], scores=[BUSY, QUIET, BUSY, BUSY], step=300)
    results = backtest(
        rows,
        [Variant("A", HYBRID), Variant("B", ScoringParams(scoring_model_active="legacy"))],
        BacktestOptions(horizons=(5,), thresholds=()),
    )

    rows_ = comparison_rows(results)

    table = {row.label: row.cells for row in rows_}
    assert table["settings"] == ("hybrid_momentum", "legacy")
    assert table[""] == (  # the last of the settings lines
        "alpha=0.3 min_score=0.3 fresh_h=6",
        "alpha=0.3 min_score=0.3 fresh_h=6",
    )
    assert table["snapshots (tokens)"] == ("4 (1)", "4 (1)")
    # A's smoothed scores 0.925, 0.685, 0.757, 0.808: every snapshot hot, all minute long.
    assert table["hot snapshots (smoothed >= min_score)"][0] == "4 (100.0%)"
    assert table["live tokens hot, mean over minutes"][0] == "100.0% of 16 min"
    assert table["forward return after 5 min"] == ()
    note = rows_[[r.label for r in rows_].index("forward return after 5 min") + 1]
    assert (note.label, note.note, note.heading) == (
        "too little history at 5 min: 3 samples from 1 token",
        True,
        False,
    )
    assert "rank correlation (Spearman) [95%]" not in table  # no numbers to misread
    assert table["every snapshot (base rate)"] == ("1 · 4 · —", "1 · 4 · —")
    assert table["score >= 0.3"][0] == "1 · 4 · —"
    lines = results_table(results)
    assert lines[0].split() == ["A", "B"]
    assert "  too little history at 5 min: 3 samples from 1 token" in lines
    assert history_notes(results) == ["too little history at 5 min: 3 samples from 1 token"]


def twelve_tokens() -> list[SnapshotRow]:
    """12 tokens, 4 snapshots 5 minutes apart: the 6 busy ones rise 10% a step, the 6 quiet
    ones slip; at 5 min, 36 samples from 12 tokens (enough), at 15 min 12 (too few)."""
    rows = []
    for token in range(1, 13):
        busy = token % 2 == 0
        for step in range(4):
            price = 1.0 + (0.1 * step if busy else -0.01 * step * token)
            metrics = replace(BUSY if busy else QUIET, price_usd=price)
            rows.append(row(300.0 * step, metrics, token=token))
    return rows


def compared(b: ScoringParams) -> list[BacktestResult]:
    options = BacktestOptions(horizons=(5, 15), thresholds=(), confidence=Confidence(resamples=200))
    return backtest(twelve_tokens(), [Variant("A", HYBRID), Variant("B: given", b)], options)


def test_the_comparison_rows_show_intervals_rates_and_shares() -> None:
    results = compared(replace(HYBRID, w_tx=1.0))

    rows = comparison_rows(results)

    table = {row.label: row.cells for row in rows}
    five = [h.horizon(5) for h in results]
    assert table["samples (tokens)"] == ("36 (12)", "36 (12)")
    assert table["rank correlation (Spearman) [95%]"] == tuple(
        with_interval(h.rho, h.rho_interval, lambda v: f"{v:+.3f}") for h in five
    )
    assert five[0].rho_interval is not None
    # Busy tokens are hot and always rise, quiet ones slip: every call a hit, half the base.
    assert table["hot calls (score >= min_score)"] == ("18 (>= 0.3)", "18 (>= 0.3)")
    assert table["share of samples hot"] == ("50.0%", "50.0%")
    assert table["hit rate of hot calls vs base rate"] == ("100.0% vs 50.0%", "100.0% vs 50.0%")
    assert table["intervals: samples · tokens · resamples"] == ("36 · 12 · 200", "36 · 12 · 200")
    assert table["every snapshot (base rate)"] == ("12 · 48 · 50%/—", "12 · 48 · 50%/—")
    notes = [r.label for r in rows if r.note]
    # B ranks the samples exactly as A does (busy above quiet), resample for resample.
    assert notes == [
        "the Spearman intervals of A and B overlap at 5 min",
        "B minus A at 5 min, resample by resample: +0.000 [+0.000, +0.000]: no clear difference",
        "too little history at 15 min: 12 samples from 12 tokens",
    ]


def test_a_variant_without_a_ranking_has_nothing_to_compare() -> None:
    only_freshness = replace(HYBRID, w_tx=0.0, w_vol=0.0, w_oi=0.0, w_fresh=1.0)

    a, b = compared(only_freshness)  # every token equally fresh: B's scores are all equal

    assert b.horizon(5).rho is None
    assert spearman_verdicts(a, b, 0) == ["no Spearman interval for B at 5 min: nothing to compare"]
    assert spearman_verdicts(a, b, 1) == []  # too little history at 15 min: the cells say so


def with_rho(result: BacktestResult, interval: Interval, rhos: list[float]) -> BacktestResult:
    five = replace(result.horizons[0], rho_interval=interval, rho_resamples=tuple(rhos))
    return replace(result, horizons=(five, *result.horizons[1:]))


@pytest.mark.parametrize(
    ("b_interval", "shift", "expected"),
    [
        (
            Interval(0.25, 0.45),
            0.05,
            [
                "the Spearman intervals of A and B overlap at 5 min",
                "B minus A at 5 min, resample by resample: +0.050 [+0.050, +0.050]: B ranks better",
            ],
        ),
        (
            Interval(0.45, 0.6),
            -0.02,
            [
                "the Spearman intervals of A and B do not overlap at 5 min: "
                "B ranks forward returns better",
                "B minus A at 5 min, resample by resample: +0.050 [-0.020, -0.020]: A ranks better",
            ],
        ),
    ],
)
def test_spearman_verdicts(b_interval: Interval, shift: float, expected: list[str]) -> None:
    a, b = compared(replace(HYBRID, w_tx=1.0))
    rhos = [0.2 + k / 1000 for k in range(200)]
    a = replace(a, horizons=(replace(a.horizons[0], rho=0.3), *a.horizons[1:]))
    b = replace(b, horizons=(replace(b.horizons[0], rho=0.35), *b.horizons[1:]))

    verdicts = spearman_verdicts(
        with_rho(a, Interval(0.2, 0.4), rhos),
        with_rho(b, b_interval, [r + shift for r in rhos]),
        0,
    )

    assert verdicts == expected


def test_figures_with_their_intervals() -> None:
    assert with_interval(0.0842, Interval(0.031, 0.12), percent) == "+8.42% [+3.10%, +12.00%]"
    assert with_interval(0.0842, None, percent) == "+8.42%"
    assert with_interval(None, None, percent) == "—"
    assert (counted(1, "token"), counted(1200, "sample")) == ("1 token", "1,200 samples")


def test_too_little_history_by_hand() -> None:
    (result,) = backtest(
        priced(3, [1.0, 1.1, 1.2], scores=[BUSY, BUSY, BUSY], step=3600),
        [Variant("A", HYBRID)],
        BacktestOptions(horizons=(60,)),
    )

    assert too_little_history(result.horizon(60)) == (
        "too little history at 60 min: 2 samples from 1 token"
    )

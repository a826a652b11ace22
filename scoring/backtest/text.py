"""Backtest results as text: the progress bar, and the comparison rows that both the command's
table and the lab page's table show. Pure Python."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scoring.engine import get_model

from .results import BacktestResult, HorizonResult
from .stats import Interval, paired_difference

BAR_WIDTH = 30
LABEL_WIDTH = 44
GAP = 3  # spaces between columns
MISSING = "—"
TOO_LITTLE = "too little history"


@dataclass(frozen=True)
class Row:
    """One line of the comparison: a label and one cell per variant. Without cells it is a
    heading, or with ``note`` a sentence about the variants together."""

    label: str
    cells: tuple[str, ...] = ()
    note: bool = False

    @property
    def heading(self) -> bool:
        return not self.cells and not self.note


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#####     ]  52% 520,000/1,000,000 snapshots`` (no carriage return)."""
    share = min(1.0, done / total) if total else 1.0
    filled = round(share * width)
    return f"[{'#' * filled}{' ' * (width - filled)}] {share:4.0%} {done:,}/{total:,} snapshots"


def percent(value: float | None, digits: int = 2, signed: bool = True) -> str:
    """0.0842 -> "+8.42%" (or "8.42%" unsigned); None -> "—"."""
    if value is None:
        return MISSING
    return f"{value * 100:{'+' if signed else ''}.{digits}f}%"


def correlation(value: float | None) -> str:
    """0.2461 -> "+0.246"; None (undefined) -> "—"."""
    return MISSING if value is None else f"{value:+.3f}"


def with_interval(
    value: float | None, interval: Interval | None, text: Callable[[float | None], str]
) -> str:
    """A figure and its interval, each written by ``text``: "+0.246 [+0.190, +0.301]"."""
    if interval is None:
        return text(value)
    return f"{text(value)} [{text(interval.low)}, {text(interval.high)}]"


def counted(count: int, noun: str) -> str:
    """(1, "token") -> "1 token"; (12, "token") -> "12 tokens"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def too_little_history(horizon: HorizonResult) -> str:
    """Why a horizon shows no figures: "too little history at 60 min: 12 samples from 3 tokens"."""
    return (
        f"{TOO_LITTLE} at {horizon.minutes} min: {counted(horizon.samples, 'sample')} "
        f"from {counted(horizon.tokens, 'token')}"
    )


def history_notes(results: Sequence[BacktestResult]) -> list[str]:
    """``too_little_history`` for each horizon no variant has enough history at."""
    if not results:
        return []
    return [
        too_little_history(horizon)
        for position, horizon in enumerate(results[0].horizons)
        if not any(r.horizons[position].enough for r in results)
    ]


def short_name(label: str) -> str:
    """The variant's name before a colon: "B: w_tx=0.4" -> "B"."""
    return label.partition(":")[0].strip() or label


def spearman_verdicts(first: BacktestResult, other: BacktestResult, position: int) -> list[str]:
    """Plain lines on whether ``other`` ranks forward returns differently from ``first`` at
    one horizon (none when either has too little history there: its cells say so).

    First whether their Spearman intervals overlap: the cautious reading, since intervals
    can overlap while one variant beats the other on nearly every resample. Then, as both
    variants resample the same samples with the same seed (the same tokens each time), the
    interval of the difference resample by resample, which asks that directly.
    """
    a, b = first.horizons[position], other.horizons[position]
    one, two = short_name(first.label), short_name(other.label)
    at = f"at {a.minutes} min"
    if not (a.enough and b.enough):
        return []
    missing = [name for name, h in ((one, a), (two, b)) if h.rho_interval is None]
    if a.rho_interval is None or b.rho_interval is None:
        return [f"no Spearman interval for {' and '.join(missing)} {at}: nothing to compare"]
    if a.rho_interval.overlaps(b.rho_interval):
        lines = [f"the Spearman intervals of {one} and {two} overlap {at}"]
    else:
        better = two if b.rho_interval.low > a.rho_interval.high else one
        lines = [
            f"the Spearman intervals of {one} and {two} do not overlap {at}: "
            f"{better} ranks forward returns better"
        ]
    same = (a.samples, a.interval_samples) == (b.samples, b.interval_samples)
    difference = paired_difference(a.rho_resamples, b.rho_resamples) if same else None
    if difference is not None and a.rho is not None and b.rho is not None:
        if difference.low > 0:
            verdict = f"{two} ranks better"
        elif difference.high < 0:
            verdict = f"{one} ranks better"
        else:
            verdict = "no clear difference"
        lines.append(
            f"{two} minus {one} {at}, resample by resample: "
            f"{with_interval(b.rho - a.rho, difference, correlation)}: {verdict}"
        )
    return lines


def settings_text(result: BacktestResult) -> tuple[str, str, str]:
    """The model, the weights it reads, then alpha, min_score and the freshness horizon."""
    params = result.params
    names = get_model(params.scoring_model_active).weights
    return (
        params.scoring_model_active,
        " ".join(f"{name}={getattr(params, name):g}" for name in names),
        f"alpha={params.ewma_alpha:g} min_score={params.min_score:g} "
        f"fresh_h={params.freshness_threshold_hours:g}",
    )


def comparison_rows(results: Sequence[BacktestResult]) -> list[Row]:
    """The variants side by side: settings, hot shares, each horizon's figures (or why there
    are none) with the comparison of the variants, then the thresholds."""
    settings = [settings_text(r) for r in results]
    rows = [Row("settings" if i == 0 else "", tuple(s[i] for s in settings)) for i in range(3)]
    rows += [
        Row("snapshots (tokens)", tuple(f"{r.snapshots:,} ({r.tokens:,})" for r in results)),
        Row("held (fallback, emergency)", tuple(f"{r.held:,}" for r in results)),
        Row(
            "hot snapshots (smoothed >= min_score)",
            tuple(f"{r.hot_snapshots:,} ({percent(r.hot_share, 1, False)})" for r in results),
        ),
        Row(
            "live tokens hot, mean over minutes",
            tuple(f"{percent(r.hot_token_share, 1, False)} of {r.moments:,} min" for r in results),
        ),
    ]
    for position, horizon in enumerate(results[0].horizons):
        rows.append(Row(f"forward return after {horizon.minutes} min"))
        horizons = [r.horizons[position] for r in results]
        if not any(h.enough for h in horizons):
            rows.append(Row(too_little_history(horizon), note=True))
            continue
        rows += _horizon_rows(horizons)
        for other in results[1:]:
            rows += [
                Row(line, note=True) for line in spearman_verdicts(results[0], other, position)
            ]
    return rows + _threshold_rows(results)


def _threshold_rows(results: Sequence[BacktestResult]) -> list[Row]:
    """Per hot threshold: tokens flagged, snapshots, and the hit rate at each horizon, under
    the base rate (every snapshot called) for comparison."""
    minutes = "/".join(f"{h.minutes}m" for h in results[0].horizons)
    rows = [Row(f"hot threshold: tokens flagged · snapshots · hit rate {minutes}")]
    rows.append(
        Row(
            "every snapshot (base rate)",
            tuple(
                f"{r.tokens:,} · {r.snapshots:,} · "
                + _rates(r.horizons, [h.base_rate for h in r.horizons])
                for r in results
            ),
        )
    )
    for position, row in enumerate(results[0].thresholds):
        cells = []
        for result in results:
            mine = result.thresholds[position]
            rates = _rates(result.horizons, mine.hit_rates)
            cells.append(f"{mine.tokens:,} · {mine.snapshots:,} · {rates}")
        rows.append(Row(f"score >= {row.threshold:g}", tuple(cells)))
    return rows


def _rates(horizons: Sequence[HorizonResult], rates: Sequence[float | None]) -> str:
    """A rate per horizon, none where the horizon has too little history: "67%/50%/—"."""
    return "/".join(
        percent(rate if h.enough else None, 0, signed=False)
        for h, rate in zip(horizons, rates, strict=True)
    )


def results_table(results: Sequence[BacktestResult]) -> list[str]:
    """``comparison_rows`` as text columns (as wide as their widest cell) under the labels."""
    rows = comparison_rows(results)
    header = Row("", tuple(r.label for r in results))
    rule = Row("", tuple("-" * len(r.label) for r in results))
    widths = [
        max(len(row.cells[i]) for row in (header, *rows) if row.cells) + GAP
        for i in range(len(results))
    ]
    lines = [_line(header, widths), _line(rule, widths)]
    for row in rows:
        if row.heading:
            lines += ["", row.label]
        else:
            lines.append(f"  {row.label}" if row.note else _line(row, widths))
    return lines


def _drawn(horizon: HorizonResult) -> str:
    if not horizon.resamples:
        return MISSING
    return f"{horizon.interval_samples:,} · {horizon.interval_tokens:,} · {horizon.resamples:,}"


HORIZON_ROWS: tuple[tuple[str, Callable[[HorizonResult], str]], ...] = (
    ("samples (tokens)", lambda h: f"{h.samples:,} ({h.tokens:,})"),
    (
        "rank correlation (Spearman) [95%]",
        lambda h: with_interval(h.rho, h.rho_interval, correlation),
    ),
    (
        "mean return, top decile [95%]",
        lambda h: with_interval(h.top_decile_mean, h.top_decile_interval, percent),
    ),
    ("mean return, other deciles", lambda h: percent(h.rest_mean)),
    ("top decile minus the rest", lambda h: percent(h.spread)),
    ("hot calls (score >= min_score)", lambda h: f"{h.calls:,} (>= {h.hot_threshold:g})"),
    ("share of samples hot", lambda h: percent(h.hot_share, 1, False)),
    (
        "hit rate of hot calls vs base rate",
        lambda h: f"{percent(h.hit_rate, 1, False)} vs {percent(h.base_rate, 1, False)}",
    ),
    ("intervals: samples · tokens · resamples", _drawn),
)


def _horizon_rows(horizons: Sequence[HorizonResult]) -> list[Row]:
    """The figures of one horizon per variant; a variant with too little history says so."""
    return [
        Row(label, tuple(cell(h) if h.enough else TOO_LITTLE for h in horizons))
        for label, cell in HORIZON_ROWS
    ]


def _line(row: Row, widths: Sequence[int]) -> str:
    label = f"  {row.label}" if row.label else ""
    cells = "".join(f"{cell:<{width}}" for cell, width in zip(row.cells, widths, strict=True))
    return f"{label:<{LABEL_WIDTH}}{cells}".rstrip()

"""Backtest results as text: the progress bar, and the comparison rows that both the command's
table and the lab page's table show. Pure Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scoring.engine import get_model

from .results import BacktestResult, HorizonResult

BAR_WIDTH = 30
LABEL_WIDTH = 36
GAP = 3  # spaces between columns
MISSING = "—"


@dataclass(frozen=True)
class Row:
    """One line of the comparison: a label and one cell per variant; a heading has no cells."""

    label: str
    cells: tuple[str, ...] = ()

    @property
    def heading(self) -> bool:
        return not self.cells


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
    """The variants side by side: settings, each horizon's figures, then the thresholds."""
    settings = [settings_text(r) for r in results]
    rows = [Row("settings" if i == 0 else "", tuple(s[i] for s in settings)) for i in range(3)]
    rows.append(
        Row("snapshots (tokens)", tuple(f"{r.snapshots:,} ({r.tokens:,})" for r in results))
    )
    rows.append(Row("held (fallback, emergency)", tuple(f"{r.held:,}" for r in results)))
    for position, horizon in enumerate(results[0].horizons):
        rows.append(Row(f"forward return after {horizon.minutes} min"))
        rows += _horizon_rows([r.horizons[position] for r in results])
    minutes = "/".join(f"{h.minutes}m" for h in results[0].horizons)
    rows.append(Row(f"hot threshold: tokens flagged · snapshots · hit rate {minutes}"))
    for position, row in enumerate(results[0].thresholds):
        cells = []
        for result in results:
            mine = result.thresholds[position]
            rates = "/".join(percent(rate, 0, signed=False) for rate in mine.hit_rates)
            cells.append(f"{mine.tokens:,} · {mine.snapshots:,} · {rates}")
        rows.append(Row(f"score >= {row.threshold:g}", tuple(cells)))
    return rows


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
        lines += ["", row.label] if row.heading else [_line(row, widths)]
    return lines


def _horizon_rows(horizons: Sequence[HorizonResult]) -> list[Row]:
    return [
        Row("samples", tuple(f"{h.samples:,}" for h in horizons)),
        Row("rank correlation (Spearman)", tuple(correlation(h.rho) for h in horizons)),
        Row("mean return, top decile", tuple(percent(h.top_decile_mean) for h in horizons)),
        Row("mean return, other deciles", tuple(percent(h.rest_mean) for h in horizons)),
        Row("top decile minus the rest", tuple(percent(h.spread) for h in horizons)),
        Row(
            "hot calls (score >= min_score)",
            tuple(f"{h.calls:,} (>= {h.hot_threshold:g})" for h in horizons),
        ),
        Row("hit rate of hot calls", tuple(percent(h.hit_rate, 1, False) for h in horizons)),
        Row("base rate (any snapshot)", tuple(percent(h.base_rate, 1, False) for h in horizons)),
    ]


def _line(row: Row, widths: Sequence[int]) -> str:
    label = f"  {row.label}" if row.label else ""
    cells = "".join(f"{cell:<{width}}" for cell, width in zip(row.cells, widths, strict=True))
    return f"{label:<{LABEL_WIDTH}}{cells}".rstrip()

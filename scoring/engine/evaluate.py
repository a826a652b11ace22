"""One refresh of one token: an Aggregation (or a failed fetch) -> the TokenScore to write."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .aggregate import Aggregation
from .ewma import FINAL_SCORE, EwmaState, ewma, smooth_components
from .flags import RUGGED, token_flags
from .issues import QualityIssue, critical
from .metrics import Metrics
from .models import ScoringModel, get_model
from .params import ScoringParams
from .risk import risk_penalty

FALLBACK = "fallback"
EMERGENCY = "emergency"
DEGRADED = "degraded"
FALLBACK_FACTOR = 0.7
EMERGENCY_FACTOR = 0.5
HISTORY = 10  # how many recent good smoothed scores a fallback looks at


@dataclass(frozen=True)
class Evaluation:
    """What one refresh writes as a TokenScore row."""

    score: float
    smoothed_score: float
    raw_components: dict[str, float]
    smoothed_components: dict[str, float]
    scoring_model: str
    metrics: dict[str, Any]
    fallback: str | None
    advances_ewma: bool
    carried_state: EwmaState | None = field(default=None, repr=False)
    flags: tuple[str, ...] = ()

    def ewma_state(self) -> EwmaState | None:
        """The state the next refresh smooths against.

        This snapshot's smoothed values when it advances the EWMA; otherwise the previous
        state, unchanged (None when the token never had good data). So a loop can always do
        ``previous = evaluation.ewma_state()``.
        """
        if not self.advances_ewma:
            return self.carried_state
        components = {k: v for k, v in self.smoothed_components.items() if k != FINAL_SCORE}
        return EwmaState(components, self.smoothed_score, self.scoring_model)


def evaluate(
    aggregation: Aggregation | None,
    params: ScoringParams,
    *,
    previous: EwmaState | None,
    recent_good_smoothed: Sequence[float],
    fetch_error: str | None = None,
    risk_flags: Sequence[str] = (),
) -> Evaluation:
    """Score one snapshot, or fall back (docs/scoring.md, "Data quality").

    ``recent_good_smoothed``: smoothed scores of the token's good snapshots (those whose
    ``advances_ewma`` was True: fallback null or "degraded"), NEWEST FIRST; the first 10 count.

    - no aggregation, or a fetch_error: ``fallback``, score = 0.7 x mean(recent[:10]), 0 with none
    - critical issues: ``emergency``, score = 0.5 x median(recent[:10]), 0 with none
    - warnings only: ``degraded``, the normal score, flagged with its warnings
    - no issue: the normal score, fallback None

    ``risk_flags``: the token's risk flags; each with a penalty in the settings takes it off the
    raw score (never below 0), before smoothing. The metrics record the flags and penalties.

    Fallback and emergency rows store score = smoothed_score = the fallback value (so hot/cold
    and archival see the penalty), keep the previous smoothed components, and leave the EWMA
    state as it was (advances_ewma False). A degraded row DOES advance the EWMA: its data is
    real and free of critical issues, and a warning is a reason to look, not to distrust the
    numbers; freezing the EWMA on warnings would freeze every token whose pools look unusual.
    """
    model = get_model(params.scoring_model_active)
    if aggregation is None or fetch_error is not None:
        issue = critical("fetch_failed", fetch_error or "DexScreener gave no answer for the token")
        score = FALLBACK_FACTOR * _mean(recent_good_smoothed)
        return _held(FALLBACK, score, model, previous, (issue,))
    if aggregation.critical or aggregation.metrics is None:
        score = EMERGENCY_FACTOR * _median(recent_good_smoothed)
        return _held(EMERGENCY, score, model, previous, aggregation.issues)
    return _scored(aggregation.metrics, aggregation.issues, model, params, previous, risk_flags)


def _scored(
    metrics: Metrics,
    issues: tuple[QualityIssue, ...],
    model: ScoringModel,
    params: ScoringParams,
    previous: EwmaState | None,
    risk_flags: Sequence[str] = (),
) -> Evaluation:
    raw = model.compute(metrics, params)
    penalties = risk_penalty(risk_flags, params)
    score = max(0.0, model.combine(raw, params) - sum(penalties.values()))
    state = _same_model(previous, model)
    smoothed = smooth_components(raw, state.components if state else {}, params.ewma_alpha)
    # The smoothed score is the EWMA of the raw score, not the weighted sum of smoothed parts.
    smoothed_score = ewma(score, state.score if state else None, params.ewma_alpha)
    flags = token_flags(metrics, params)
    if model.zero_when_rugged and RUGGED in flags:
        # A rug is a state, not noise to smooth: 0 while it lasts, and from 0 once it ends.
        score = smoothed_score = 0.0
    kind = DEGRADED if issues else None
    return Evaluation(
        score=score,
        smoothed_score=smoothed_score,
        raw_components={**raw, FINAL_SCORE: score},
        smoothed_components={**smoothed, FINAL_SCORE: smoothed_score},
        scoring_model=model.name,
        metrics={**_metrics_json(metrics, issues, kind), **_risk_json(risk_flags, penalties)},
        fallback=kind,
        advances_ewma=True,
        flags=flags,
    )


def _held(
    kind: str,
    score: float,
    model: ScoringModel,
    previous: EwmaState | None,
    issues: tuple[QualityIssue, ...],
) -> Evaluation:
    """A fallback or emergency row: nothing computed, the EWMA state carried unchanged."""
    state = _same_model(previous, model)
    carried = {k: float(v) for k, v in (state.components if state else {}).items()}
    carried.pop(FINAL_SCORE, None)
    return Evaluation(
        score=score,
        smoothed_score=score,
        raw_components={FINAL_SCORE: score},
        smoothed_components={**carried, FINAL_SCORE: score},
        scoring_model=model.name,
        metrics=_metrics_json(None, issues, kind),
        fallback=kind,
        advances_ewma=False,
        carried_state=previous,
    )


def _same_model(previous: EwmaState | None, model: ScoringModel) -> EwmaState | None:
    """``previous`` unless it was smoothed under another model (scores on another scale)."""
    if previous is None or previous.scoring_model not in (None, model.name):
        return None
    return previous


def _metrics_json(
    metrics: Metrics | None, issues: tuple[QualityIssue, ...], kind: str | None
) -> dict[str, Any]:
    """Metrics.to_json() plus the quality verdict; data_quality_ok means no issue at all."""
    data = metrics.to_json() if metrics else {}
    data["data_quality_ok"] = not issues
    data["data_quality_issues"] = [issue.to_json() for issue in issues]
    data["fallback"] = kind
    return data


def _risk_json(flags: Sequence[str], penalties: dict[str, float]) -> dict[str, Any]:
    """The risk flags the score saw and what they cost; nothing when there were none."""
    return {"risk_flags": list(flags), "risk_penalty": penalties} if flags else {}


def _recent(values: Sequence[float]) -> list[float]:
    # float(): scores read back from NUMERIC columns are Decimals; NaN rows are skipped.
    return [float(v) for v in values[:HISTORY] if math.isfinite(v)]


def _mean(values: Sequence[float]) -> float:
    """mean = sum(x / n): dividing first keeps a sum of huge scores from overflowing."""
    recent = _recent(values)
    return math.fsum(value / len(recent) for value in recent) if recent else 0.0


def _median(values: Sequence[float]) -> float:
    """The middle value, or for an even count lower/2 + upper/2 (halved first, as in _mean)."""
    recent = sorted(_recent(values))
    if not recent:
        return 0.0
    middle = len(recent) // 2
    if len(recent) % 2:
        return recent[middle]
    return recent[middle - 1] / 2 + recent[middle] / 2

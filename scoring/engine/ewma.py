"""Exponentially weighted moving averages of components and scores."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

FINAL_SCORE = "final_score"


@dataclass(frozen=True)
class EwmaState:
    """The smoothed values of a token's last snapshot computed from good data.

    Build it from that ``TokenScore`` row: ``EwmaState(row.smoothed_components,
    row.smoothed_score, row.scoring_model)``; a "final_score" key in ``components`` is
    ignored (``score`` holds it). With ``scoring_model`` set and different from the active
    model, smoothing starts afresh: scores of different models are on different scales.
    """

    components: Mapping[str, float]
    score: float
    scoring_model: str | None = None


def ewma(value: float, previous: float | None, alpha: float) -> float:
    """s = alpha*x + (1 - alpha)*s_prev; s = x when there is no (finite) s_prev."""
    if previous is None or not math.isfinite(previous):
        return value
    # float(): a smoothed score read back from a NUMERIC column arrives as a Decimal.
    return alpha * value + (1 - alpha) * float(previous)


def smooth_components(
    raw: Mapping[str, float], previous: Mapping[str, float], alpha: float
) -> dict[str, float]:
    """ewma() of each raw component against the previous smoothed value of the same name."""
    return {name: ewma(value, previous.get(name), alpha) for name, value in raw.items()}

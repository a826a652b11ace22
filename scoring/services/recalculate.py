"""Re-score every refreshable token from its latest stored metrics under the current settings.

What staff run after changing weights: nothing is fetched; each token's latest observation
(``Token.metrics``) is scored again and written as a new snapshot (``metrics.recalculated``).

The EWMA is not advanced twice by one observation: a recalculated snapshot smooths against
the state *before* that observation (the newest good snapshot older than it), so running a
recalculation twice gives the same numbers. Tokens whose latest snapshot holds no inputs
(never scored, or a fallback/emergency snapshot) are skipped.
"""

import copy as copy_module
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from moon.lib.bulk import bulk_insert, bulk_update
from moon.lib.events import Event, publish
from scoring.engine import (
    DEGRADED,
    FINAL_SCORE,
    Aggregation,
    EwmaState,
    QualityIssue,
    ScoringParams,
    evaluate,
    metrics_from_json,
)
from scoring.models import ScoringSettings, TokenScore
from scoring.services.refresh import _apply, _snapshot
from tokens.models import Token, token_is_hot
from tokens.services.events import TokenState, token_changes

CHUNK_SIZE = 500
RECALCULATED = "recalculated"  # metrics key marking a snapshot this service wrote

# A recalculation rewrites the score and the EWMA state, nothing the refresh path owns
# (status, lease, last_updated_at, pools): a refresh running alongside keeps its schedule.
TOKEN_FIELDS = [
    "score",
    "smoothed_score",
    "scored_at",
    "scoring_model",
    "raw_components",
    "smoothed_components",
    "metrics",
    "flags",
    "ewma_state",
    "recent_good_scores",
]
# Snapshots that advanced the EWMA: normal ones and degraded ones (scoring.engine.evaluate).
GOOD = Q(metrics__fallback=None) | Q(metrics__fallback=DEGRADED)

Progress = Callable[[int, int], None]


@dataclass
class RecalculateReport:
    tokens: int = 0  # refreshable tokens looked at
    rescored: int = 0
    skipped: int = 0  # no stored inputs to score
    settings_version: int | None = None
    seconds: float = 0.0


def issues_from_json(data: Mapping[str, Any]) -> tuple[QualityIssue, ...]:
    return tuple(
        QualityIssue(code=item["code"], message=item["message"], severity=item["severity"])
        for item in data.get("data_quality_issues") or ()
    )


def tokens_recalculate(
    *,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    now: datetime | None = None,
) -> RecalculateReport:
    """Re-score every refreshable token from its stored metrics with the active settings.

    Works in chunks of `chunk_size` tokens, each in one transaction with its rows locked
    (so a refresh never interleaves with a half-written chunk); `progress(done, total)` is
    called after each chunk.
    """
    started = time.monotonic()
    now = now or timezone.now()
    settings = ScoringSettings.objects.active()
    params = settings.to_params()
    ids = list(Token.objects.refreshable().order_by("pk").values_list("pk", flat=True))
    report = RecalculateReport(tokens=len(ids), settings_version=settings.version)
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        rescored = _recalculate_chunk(chunk, params, settings.version, now)
        report.rescored += rescored
        report.skipped += len(chunk) - rescored
        if progress is not None:
            progress(start + len(chunk), len(ids))
    report.seconds = time.monotonic() - started
    return report


def _recalculate_chunk(
    ids: Sequence[int], params: ScoringParams, version: int | None, now: datetime
) -> int:
    with transaction.atomic():
        # Locked in id order, the order a refresh's bulk UPDATE meets them: no deadlock.
        tokens = list(
            Token.objects.refreshable().filter(pk__in=ids).order_by("pk").select_for_update()
        )
        previous = _previous_good_snapshots(ids)
        snapshots = []
        rescored = []
        events: list[Event] = []
        for token in tokens:
            before = TokenState.of(token)
            snapshot = _rescore(token, params, previous.get(token.pk), version, now)
            if snapshot is not None:
                snapshots.append(snapshot)
                rescored.append(token)
                events += token_changes(before, token, min_score=params.min_score)
        bulk_insert(TokenScore, snapshots)
        bulk_update(Token, rescored, TOKEN_FIELDS)
        publish(events)
    return len(rescored)


def _previous_good_snapshots(ids: Sequence[int]) -> dict[int, TokenScore]:
    """Token id -> the snapshot whose EWMA state its latest observation was smoothed against."""
    pairs = (
        Token.objects.filter(pk__in=ids)
        .annotate(previous=Subquery(_previous_good_snapshot()))
        .filter(previous__isnull=False)
        .order_by()
        .values_list("pk", "previous")
    )
    snapshot_of = dict(pairs)
    snapshots = TokenScore.objects.in_bulk(list(snapshot_of.values()))
    return {token_id: snapshots[pk] for token_id, pk in snapshot_of.items()}


def _previous_good_snapshot() -> Any:
    """For the outer token: the newest good snapshot older than its latest observation.

    The latest observation is its newest good snapshot that a recalculation did not write;
    the one before it is the EWMA state that observation was smoothed against.
    """
    observed_at = (
        TokenScore.objects.filter(GOOD, token=OuterRef(OuterRef("pk")))
        .filter(**{f"metrics__{RECALCULATED}__isnull": True})
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return (
        TokenScore.objects.filter(GOOD, token=OuterRef("pk"), created_at__lt=Subquery(observed_at))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )


def _rescore(
    token: Token,
    params: ScoringParams,
    previous: TokenScore | None,
    version: int | None,
    now: datetime,
) -> TokenScore | None:
    stored = token.metrics or {}
    metrics = metrics_from_json(stored)
    if metrics is None or stored.get("fallback") not in (None, DEGRADED):
        return None
    aggregation = Aggregation(
        pools=(),
        metrics=metrics,
        issues=issues_from_json(stored),
        name=None,
        symbol=None,
        image_url=None,
    )
    # The latest good smoothed score is the observation being replaced: drop it.
    recent = list(token.recent_good_scores[1:])
    evaluation = evaluate(
        aggregation,
        params,
        previous=_state(previous),
        recent_good_smoothed=recent,
        risk_flags=token.risk_flags,
    )
    evaluation = dataclasses.replace(evaluation, metrics={**evaluation.metrics, RECALCULATED: True})
    token.recent_good_scores = recent
    _apply(token, evaluation, aggregation, now)
    return _snapshot(token, evaluation, version, now)


def _state(snapshot: TokenScore | None) -> EwmaState | None:
    """The EWMA state a good snapshot left behind (as Evaluation.ewma_state() builds it)."""
    if snapshot is None:
        return None
    components = {
        name: float(value)
        for name, value in snapshot.smoothed_components.items()
        if name != FINAL_SCORE
    }
    return EwmaState(components, snapshot.smoothed_score, snapshot.scoring_model)


# --- What a settings change would do -----------------------------------------------------------


@dataclass(frozen=True)
class HotPreview:
    live: int  # refreshable tokens
    hot_now: int  # hot under the active settings
    hot_after: int  # hot once every live token is scored again under the candidate settings
    rescored: int  # those with stored inputs to score again (the rest keep their score)

    @property
    def delta(self) -> int:
        return self.hot_after - self.hot_now


def hot_previews(
    candidates: Sequence[ScoringParams], *, current_line: float, now: datetime | None = None
) -> list[HotPreview]:
    """How many live tokens each of `candidates` would make hot: each token is scored again
    from its stored metrics as a recalculation would, in memory (its row and the state it is
    smoothed against read once for every candidate); nothing is written."""
    now = now or timezone.now()
    tokens = list(Token.objects.refreshable().order_by("pk"))
    previous: dict[int, TokenScore] = {}
    for start in range(0, len(tokens), CHUNK_SIZE):
        previous |= _previous_good_snapshots([t.pk for t in tokens[start : start + CHUNK_SIZE]])
    hot_now = sum(token_is_hot(t.smoothed_score, current_line) for t in tokens)
    previews = []
    for params in candidates:
        hot_after = rescored = 0
        for token in tokens:
            copy = copy_module.copy(token)  # _rescore writes its results onto the token
            if _rescore(copy, params, previous.get(token.pk), None, now) is not None:
                rescored += 1
            hot_after += token_is_hot(copy.smoothed_score, params.min_score)
        previews.append(HotPreview(len(tokens), hot_now, hot_after, rescored))
    return previews

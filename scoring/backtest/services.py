"""Running backtests on stored history, and applying a winner as a new settings version."""

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from scoring.engine import ScoringParams, get_model
from scoring.models import ScoringSettings
from scoring.services.settings import scoring_settings_save

from .history import CHUNK_SIZE, Window, snapshot_count, snapshot_stream
from .replay import BacktestOptions, Variant, backtest
from .results import TUNABLE_FIELDS, BacktestResult


@dataclass(frozen=True)
class BacktestRun:
    """Every variant's result over one window of stored history."""

    window: Window
    options: BacktestOptions
    results: list[BacktestResult]
    snapshots: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "horizons": list(self.options.horizons),
            "signal": self.options.signal,
            "tolerance": self.options.tolerance,
            "confidence": self.options.confidence.to_json(),
            "snapshots": self.snapshots,
            "seconds": round(self.seconds, 3),
            "results": [result.to_json() for result in self.results],
        }


def current_variant(label: str = "current") -> Variant:
    """The active settings, labelled with their version."""
    active = ScoringSettings.objects.active()
    version = f"v{active.version}" if active.version else "defaults"
    return Variant(f"{label} ({version})", active.to_params())


def variant_params(base: ScoringParams, changes: Mapping[str, Any]) -> ScoringParams:
    """``base`` with ``changes`` applied; ValueError for a field a replay cannot change, a bad
    value (ScoringParams validates) or an unknown model."""
    untunable = sorted(set(changes) - set(TUNABLE_FIELDS))
    if untunable:
        raise ValueError(
            f"cannot backtest {', '.join(untunable)}: stored snapshots were filtered and "
            f"aggregated with it already; tunable: {', '.join(TUNABLE_FIELDS)}"
        )
    params = dataclasses.replace(base, **changes)
    get_model(params.scoring_model_active)  # UnknownModelError is a LookupError, not ValueError
    return params


def backtest_run(
    *,
    variants: Sequence[Variant],
    window: Window,
    options: BacktestOptions | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestRun:
    """Replay the stored snapshots of ``window`` through every variant in one streamed pass.

    ``progress(done, total)`` follows the stream (total is counted first).
    """
    if not variants:
        raise ValueError("a backtest needs at least one variant")
    options = options or BacktestOptions()
    started = time.perf_counter()
    report: Callable[[int], None] | None = None
    if progress is not None:
        total = snapshot_count(window)
        on_progress = progress

        def report(done: int) -> None:
            on_progress(done, total)

    rows = snapshot_stream(window, chunk_size=chunk_size, progress=report)
    results = backtest(rows, variants, options)
    return BacktestRun(
        window=window,
        options=options,
        results=results,
        snapshots=results[0].snapshots,
        seconds=time.perf_counter() - started,
    )


def backtest_apply(
    *,
    params: ScoringParams,
    user: AbstractBaseUser | AnonymousUser | None = None,
    note: str = "",
) -> ScoringSettings | None:
    """Store the tunable settings of ``params`` as a new settings version (through
    scoring_settings_save); None when they equal the active ones (no version is stored)."""
    active = ScoringSettings.objects.active().to_params()
    changes = {
        name: getattr(params, name)
        for name in TUNABLE_FIELDS
        if getattr(params, name) != getattr(active, name)
    }
    if not changes:
        return None
    return scoring_settings_save(changes=changes, user=user, note=note)

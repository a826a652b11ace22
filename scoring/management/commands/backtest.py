"""Replay stored snapshots through a model and weights: does the score predict the price?"""

import json
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scoring.backtest.history import ALL_TOKENS, CHUNK_SIZE, TOKEN_SETS, Window
from scoring.backtest.replay import SIGNALS, THRESHOLDS, BacktestOptions, Variant
from scoring.backtest.results import (
    BOOTSTRAP_SAMPLES,
    MIN_SAMPLES,
    MIN_TOKENS,
    RESAMPLES,
    SEED,
    TUNABLE_FIELDS,
    Confidence,
)
from scoring.backtest.returns import TOLERANCE_FRACTION
from scoring.backtest.services import BacktestRun, backtest_run, current_variant, variant_params
from scoring.backtest.text import counted, progress_bar, results_table
from scoring.engine import MODELS, weight_fields

WEIGHTS = weight_fields()


class Command(BaseCommand):
    help = (
        "Replay stored snapshots through the current settings, or given ones (--model, "
        "--weights, --set), and measure how well each score predicted the forward price: "
        "rank correlation and the top decile's return with 95% intervals resampled by token, "
        "hit rate of hot calls against the base rate, the share hot, tokens flagged."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--model", choices=sorted(MODELS), help="scoring model to replay")
        parser.add_argument(
            "--weights",
            action="append",
            default=[],
            metavar="W=V,...",
            help=f"weights, e.g. w_tx=0.4,w_vol=0.2 (of {', '.join(WEIGHTS)})",
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            dest="assignments",
            metavar="FIELD=VALUE",
            help=f"any tunable setting (repeat): {', '.join(TUNABLE_FIELDS)}",
        )
        parser.add_argument(
            "--compare",
            action="store_true",
            help="replay the current settings and the given ones side by side",
        )
        parser.add_argument(
            "--horizons", default="5,15,60", help="forward-return horizons in minutes"
        )
        parser.add_argument("--hours", type=float, help="only the last HOURS of history")
        parser.add_argument(
            "--tokens",
            choices=sorted(TOKEN_SETS),
            default=ALL_TOKENS,
            help="unflagged: only tokens whose risk check is complete and raised no flag",
        )
        parser.add_argument(
            "--signal",
            choices=SIGNALS,
            default="smoothed",
            help="judge the smoothed score (what the hot line reads) or the raw score",
        )
        parser.add_argument(
            "--thresholds",
            default=",".join(f"{t:g}" for t in THRESHOLDS),
            help="hot thresholds to count flagged tokens at (each min_score is added)",
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=TOLERANCE_FRACTION,
            help="how late a forward price may be, as a fraction of the horizon",
        )
        parser.add_argument(
            "--resamples",
            type=int,
            default=RESAMPLES,
            help="bootstrap resamples by token per horizon (0: no intervals)",
        )
        parser.add_argument(
            "--bootstrap-samples",
            type=int,
            default=BOOTSTRAP_SAMPLES,
            help="at most this many of a horizon's samples are resampled (an even stride); "
            "more narrows the intervals toward the whole history's, and takes longer",
        )
        parser.add_argument("--seed", type=int, default=SEED, help="the bootstrap's seed")
        parser.add_argument(
            "--min-samples",
            type=int,
            default=MIN_SAMPLES,
            help="a horizon needs this many samples with a forward return to be judged",
        )
        parser.add_argument(
            "--min-tokens", type=int, default=MIN_TOKENS, help="... from at least this many tokens"
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
        parser.add_argument("--json", action="store_true", help="print the results as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        variants = self._variants(options)
        run = backtest_run(
            variants=variants,
            window=self._window(options["hours"], options["tokens"]),
            options=self._options(options),
            chunk_size=options["chunk_size"],
            progress=self._progress if options["verbosity"] > 0 else None,
        )
        if options["verbosity"] > 0:
            self.stderr.write("", style_func=_plain)  # ends the progress line
        if options["json"]:
            self.stdout.write(json.dumps(run.to_json(), indent=2))
        else:
            self._print(run, options["hours"])

    def _variants(self, options: dict[str, Any]) -> list[Variant]:
        current = current_variant("A: current" if options["compare"] else "current")
        changes = self._changes(options)
        if not changes:
            return [current]
        try:
            given = variant_params(current.params, changes)
        except (ValueError, LookupError) as error:
            raise CommandError(str(error)) from error
        label = ", ".join(f"{k}={v}" for k, v in changes.items())
        if options["compare"]:
            return [current, Variant(f"B: {label}", given)]
        return [Variant(f"given: {label}", given)]

    def _changes(self, options: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if options["model"]:
            changes["scoring_model_active"] = options["model"]
        for text in options["weights"]:
            for name, value in _assignments(text.split(",")).items():
                if name not in WEIGHTS:
                    raise CommandError(f"--weights takes {', '.join(WEIGHTS)}; got {name!r}")
                changes[name] = value
        changes.update(_assignments(options["assignments"]))
        return changes

    def _window(self, hours: float | None, tokens: str) -> Window:
        if hours is None:
            return Window(tokens=tokens)
        if not hours > 0:
            raise CommandError("--hours must be positive")
        now = timezone.now()
        return Window(since=now - timedelta(hours=hours), until=now, tokens=tokens)

    def _options(self, options: dict[str, Any]) -> BacktestOptions:
        try:
            return BacktestOptions(
                horizons=tuple(int(h) for h in _items(options["horizons"])),
                signal=options["signal"],
                tolerance=options["tolerance"],
                thresholds=tuple(float(t) for t in _items(options["thresholds"])),
                confidence=Confidence(
                    resamples=options["resamples"],
                    seed=options["seed"],
                    max_samples=options["bootstrap_samples"],
                    min_samples=options["min_samples"],
                    min_tokens=options["min_tokens"],
                ),
            )
        except ValueError as error:
            raise CommandError(f"bad option: {error}") from error

    def _progress(self, done: int, total: int) -> None:
        # Plain text (stderr is styled as errors), redrawn in place by the carriage return.
        self.stderr.write("\r" + progress_bar(done, total), style_func=_plain, ending="")
        self.stderr.flush()

    def _print(self, run: BacktestRun, hours: float | None) -> None:
        span = f"the last {hours:g} h" if hours else "all stored history"
        self.stdout.write(
            f"Backtest of {run.snapshots:,} snapshots from {span}, judging the "
            f"{run.options.signal} score, in {run.seconds:.1f} s"
        )
        self.stdout.write(_confidence_text(run.options.confidence) + "\n")
        for line in results_table(run.results):
            self.stdout.write(line)


def _plain(text: str) -> str:
    return text


def _confidence_text(confidence: Confidence) -> str:
    if not confidence.resamples:
        return "No intervals (--resamples 0)."
    return (
        f"[low, high]: 95% intervals from {counted(confidence.resamples, 'resample')} by token "
        f"(seed {confidence.seed}) of at most {counted(confidence.max_samples, 'sample')} "
        f"per horizon; a horizon needs {counted(confidence.min_samples, 'sample')} "
        f"from {counted(confidence.min_tokens, 'token')}."
    )


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _assignments(items: list[str]) -> dict[str, Any]:
    """["w_tx=0.4", "scoring_model_active=legacy"] -> {"w_tx": 0.4, ...}, typed."""
    out: dict[str, Any] = {}
    for item in (item.strip() for item in items):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise CommandError(f"expected FIELD=VALUE, got {item!r}")
        if name not in TUNABLE_FIELDS:
            raise CommandError(
                f"cannot backtest {name!r}: tunable settings are {', '.join(TUNABLE_FIELDS)}"
            )
        if name == "scoring_model_active":
            out[name] = value
            continue
        try:
            out[name] = float(value)
        except ValueError:
            raise CommandError(f"{name} needs a number, got {value!r}") from None
    return out

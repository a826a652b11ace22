"""Scoring models on a simulated market day: does each model's score rank what the price does
next, and is its hot list selective?

    .venv/bin/python -m scripts.bench.models [--seed 11] [--hours 24] [--rate 12] [--workers 2]

In process, without HTTP or a database: a seeded `ingestion.sandbox.Market` is asked for every
live token's pairs once a simulated minute (the 30 s hot / 120 s cold cadence, approximated);
each answer is aggregated and evaluated by `scoring.engine` for v1 (`hybrid_momentum`, equal
weights) and v2 (`hybrid_momentum_v2`, the defaults), each model keeping its EWMA state and
recent good scores, the token its pool count and peak liquidity, as a refresh keeps them.

A token is live for its first 12 hours after migration (the archival horizon, one set for both
models); the day starts with 12 hours of graduates live. The price is the PumpSwap pair's
priceUsd: the pool the migration made, there through a rug, whichever pools a model keeps.
Per model and horizon: Spearman's rho of smoothed score against forward return with a 95%
interval resampling tokens, the hot-call hit rate beside the base rate of positive returns,
and the share of live tokens hot at each minute.
"""

import argparse
import math
import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a file: the repository, not scripts/bench, comes first
    sys.path[0] = str(ROOT)

from ingestion.sandbox import Market  # noqa: E402
from ingestion.sandbox.life import TokenSpec  # noqa: E402
from scoring.backtest.returns import forward_returns  # noqa: E402
from scoring.backtest.stats import (  # noqa: E402
    Bootstrap,
    Interval,
    cluster_bootstrap,
    paired_difference,
    spearman,
    thinned,
)
from scoring.engine import Aggregation, EwmaState, ScoringParams, aggregate, evaluate  # noqa: E402
from scripts.bench.figures import Figure, print_table, write_json  # noqa: E402

RESULTS = ROOT / "var" / "bench" / "models.json"
START_MS = 1_772_427_561_000  # 2026-03-02 04:59:21 UTC, the sandbox tests' start
MINUTE_MS = 60_000
HORIZONS = (5, 15, 60)
LIVE_HOURS = 12.0
HISTORY = 10
MODELS = {
    "v1": ScoringParams(
        scoring_model_active="hybrid_momentum", w_tx=0.25, w_vol=0.25, w_fresh=0.25, w_oi=0.25
    ),
    "v2": ScoringParams(),
}
# The intervals resample at most this many samples (every k-th of a token's minutes): the
# bootstrap re-ranks the whole sample on each of its 1,000 resamples.
BOOTSTRAP_SAMPLES = 8_000
RESAMPLES = 1_000
TARGET_HIT_POINTS = 10.0
TARGET_HOT_SHARE = (5.0, 30.0)
LIMIT_SECONDS = 120.0


@dataclass(frozen=True)
class Day:
    """One simulated day: its market and how many minutes of it are scored."""

    seed: int = 11
    hours: float = 24.0
    rate: float = 12.0  # graduations an hour

    @property
    def minutes(self) -> int:
        return round(self.hours * 60)

    def market(self) -> Market:
        preseed = round(self.rate * LIVE_HOURS)
        return Market(
            seed=self.seed,
            start_ms=START_MS,
            migrations_per_hour=self.rate,
            creates_per_minute=0,
            preseed_tokens=preseed,
            preseed_hours=LIVE_HOURS,
        )


@dataclass
class Track:
    """What a refresh keeps on the token row for one model between refreshes."""

    params: ScoringParams
    previous: EwmaState | None = None
    recent: list[float] = field(default_factory=list)

    def score(self, aggregation: Aggregation) -> tuple[float, tuple[str, ...]]:
        """(smoothed score, flags) of one refresh; the state moves on as refresh.py moves it."""
        evaluation = evaluate(
            aggregation, self.params, previous=self.previous, recent_good_smoothed=self.recent
        )
        if evaluation.advances_ewma:
            self.previous = evaluation.ewma_state()
            self.recent = [evaluation.smoothed_score, *self.recent][:HISTORY]
        return evaluation.smoothed_score, evaluation.flags


def pool_settings() -> ScoringParams:
    """The settings aggregation reads: the models differ only in the model and its weights,
    which it does not read, so one aggregation a refresh serves both (refused otherwise)."""
    v1, v2 = MODELS["v1"], MODELS["v2"]
    weights = {name: getattr(v2, name) for name in ("w_tx", "w_vol", "w_fresh", "w_oi")}
    if replace(v1, scoring_model_active=v2.scoring_model_active, **weights) != v2:
        raise ValueError("the models' settings differ beyond the model and its weights")
    return v2


@dataclass
class TokenRun:
    """One token's day: its first live minute, each model's smoothed score at every live
    minute, and the price from then until the longest horizon after its last live minute."""

    first: int
    smoothed: dict[str, list[float]]
    prices: list[float | None]
    flags: Counter[str]


_DAY: Day | None = None
_MARKET: Market | None = None
_TOKENS: list[TokenSpec] = []


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _start_worker(day: Day) -> None:
    global _DAY, _MARKET, _TOKENS
    _DAY, _MARKET = day, day.market()
    _TOKENS = live_tokens(_MARKET, day)


def live_tokens(market: Market, day: Day) -> list[TokenSpec]:
    """Tokens live at some minute of the day, oldest first."""
    end_ms = START_MS + day.minutes * MINUTE_MS
    earliest = START_MS - LIVE_HOURS * 3_600_000
    return [spec for spec in market.tokens(end_ms - 1) if spec.migrated_ms > earliest]


def market_price(pairs: Sequence[dict[str, Any]]) -> float | None:
    """priceUsd of the PumpSwap pair: the token's market, for every model alike."""
    for pair in pairs:
        if pair["dexId"] == "pumpswap":
            return float(pair["priceUsd"])
    return None


def _run_token(index: int) -> TokenRun:
    day, market = _DAY, _MARKET
    assert day is not None
    assert market is not None
    spec = _TOKENS[index]
    first = max(0, -(-(spec.migrated_ms - START_MS) // MINUTE_MS))
    until_ms = spec.migrated_ms + int(LIVE_HOURS * 3_600_000)
    last = min(day.minutes - 1, (until_ms - 1 - START_MS) // MINUTE_MS)
    settings, migrated_at = pool_settings(), _at(spec.migrated_ms)
    tracks = {name: Track(params) for name, params in MODELS.items()}
    run = TokenRun(first, {name: [] for name in MODELS}, [], Counter())
    pool_count: int | None = None
    peak: float | None = None
    for minute in range(first, last + max(HORIZONS) + 1):
        at_ms = START_MS + minute * MINUTE_MS
        pairs = market.token_pairs(spec.mint, at_ms)
        run.prices.append(market_price(pairs))
        if minute > last:
            continue
        aggregation = aggregate(
            spec.mint,
            pairs,
            settings,
            migrated_at=migrated_at,
            now=_at(at_ms),
            previous_pool_count=pool_count,
            previous_peak_usd=peak,
        )
        if aggregation.metrics is not None:
            pool_count = aggregation.metrics.pool_count
            peak = aggregation.metrics.peak_liquidity_usd
        for name, track in tracks.items():
            smoothed, flags = track.score(aggregation)
            run.smoothed[name].append(smoothed)
            if name == "v2":
                run.flags.update(flags)
    return run


def simulate(day: Day, workers: int) -> list[TokenRun]:
    """Every live token's day, in token order (the same for any number of workers)."""
    count = len(live_tokens(day.market(), day))
    if workers <= 1:
        _start_worker(day)
        return [_run_token(i) for i in range(count)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_start_worker, initargs=(day,)) as pool:
        return list(pool.imap(_run_token, range(count), chunksize=4))


@dataclass(frozen=True)
class Samples:
    """One horizon's samples, grouped by token and in time order."""

    tokens: list[int]
    scores: dict[str, list[float]]
    returns: list[float]


def samples_at(runs: Sequence[TokenRun], horizon: int) -> Samples:
    out = Samples([], {name: [] for name in MODELS}, [])
    for number, run in enumerate(runs):
        times = [60.0 * i for i in range(len(run.prices))]
        ahead = forward_returns(times, run.prices, 60.0 * horizon, 0.0)
        for i, value in enumerate(ahead[: len(run.smoothed["v1"])]):
            if value is None:
                continue
            out.tokens.append(number)
            out.returns.append(value)
            for name in MODELS:
                out.scores[name].append(run.smoothed[name][i])
    return out


def _bootstrap(job: tuple[list[float], list[float], list[int], str]) -> Bootstrap:
    return cluster_bootstrap(*job[:3], resamples=RESAMPLES, seed=job[3])


def hot_shares(runs: Sequence[TokenRun], minutes: int, name: str) -> list[float]:
    """Per minute of the day with a live token: the share of live tokens that are hot."""
    live, hot = [0] * minutes, [0] * minutes
    min_score = MODELS[name].min_score
    for run in runs:
        for i, smoothed in enumerate(run.smoothed[name]):
            live[run.first + i] += 1
            hot[run.first + i] += smoothed >= min_score
    return [h / n for h, n in zip(hot, live, strict=True) if n]


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the value at rank ceil(share x n)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Measure:
    rho: float | None
    interval: Interval | None
    hit_rate: float | None
    base_rate: float
    hot_samples: int
    samples: int


def measure(samples: Samples, name: str, boot: Bootstrap) -> Measure:
    scores, returns = samples.scores[name], samples.returns
    min_score = MODELS[name].min_score
    hot = [r for s, r in zip(scores, returns, strict=True) if s >= min_score]
    return Measure(
        rho=spearman(scores, returns),
        interval=boot.rho,
        hit_rate=sum(r > 0 for r in hot) / len(hot) if hot else None,
        base_rate=sum(r > 0 for r in returns) / len(returns),
        hot_samples=len(hot),
        samples=len(returns),
    )


def run(day: Day | None = None, workers: int = 2) -> list[Figure]:
    """Simulate, score, measure: the figures, with the design's targets as limits."""
    day = day or Day()
    started = time.perf_counter()
    runs = simulate(day, workers)
    simulated = time.perf_counter() - started
    by_horizon = {h: samples_at(runs, h) for h in HORIZONS}
    jobs = []
    for h, samples in by_horizon.items():
        cut = thinned(len(samples.returns), BOOTSTRAP_SAMPLES)
        # One seed per horizon for both models: their resamples draw the same tokens.
        seed = f"bench-models:{day.seed}:{h}"
        for name in MODELS:
            jobs.append(
                (samples.scores[name][cut], samples.returns[cut], samples.tokens[cut], seed)
            )
    with multiprocessing.get_context("fork").Pool(max(1, workers)) as pool:
        boots = iter(pool.map(_bootstrap, jobs))
    measures: dict[tuple[str, int], Measure] = {}
    paired: dict[int, Interval | None] = {}
    for h, samples in by_horizon.items():
        found = {name: next(boots) for name in MODELS}
        for name in MODELS:
            measures[name, h] = measure(samples, name, found[name])
        paired[h] = paired_difference(list(found["v1"].rhos), list(found["v2"].rhos))
    shares = {name: hot_shares(runs, day.minutes, name) for name in MODELS}
    seconds = time.perf_counter() - started
    print_summary(measures, paired, shares, runs)
    print(f"simulated in {simulated:.1f} s, {seconds:.1f} s in all\n")
    section = f"models (seed {day.seed}, {day.hours:g} h, {len(runs)} tokens)"
    return figures(section, measures, paired, shares, seconds)


def _interval(interval: Interval | None) -> str:
    return f"[{interval.low:+.3f}, {interval.high:+.3f}]" if interval else "-"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def print_summary(
    measures: dict[tuple[str, int], Measure],
    paired: dict[int, Interval | None],
    shares: dict[str, list[float]],
    runs: Sequence[TokenRun],
) -> None:
    refreshes = sum(len(r.smoothed["v1"]) for r in runs)
    print(f"{len(runs)} tokens, {refreshes:,} refreshes per model (one a simulated minute)")
    print("model  h   rho     95% interval       hit     base    hot samples")
    for (name, h), m in measures.items():
        rho = "-" if m.rho is None else f"{m.rho:+.3f}"
        rates = f"{_percent(m.hit_rate):>6}  {_percent(m.base_rate):>6}"
        hot = f"{m.hot_samples:,}/{m.samples:,}"
        print(f"{name:<5} {h:>2}  {rho:>6}  {_interval(m.interval):<17}  {rates}  {hot}")
    for h, interval in paired.items():
        print(f"v2 - v1 rho at {h} min, paired 95% interval: {_interval(interval)}")
    for name, values in shares.items():
        mean, (low, high) = sum(values) / len(values), _spread(values)
        spread = f"5th-95th {_percent(low)} - {_percent(high)}"
        print(f"{name} hot share of live tokens: mean {_percent(mean)}, {spread}")
    flags = sum((r.flags for r in runs), Counter[str]())
    listed = ", ".join(f"{flag} {_percent(n / refreshes)}" for flag, n in flags.most_common())
    print(f"v2 flags, share of refreshes: {listed}")


def _spread(values: Sequence[float]) -> tuple[float, float]:
    return percentile(values, 0.05), percentile(values, 0.95)


def figures(
    section: str,
    measures: dict[tuple[str, int], Measure],
    paired: dict[int, Interval | None],
    shares: dict[str, list[float]],
    seconds: float,
) -> list[Figure]:
    out: list[Figure] = []

    def add(name: str, value: float, unit: str, limit: str = "", ok: bool | None = None) -> None:
        out.append(Figure(section, name, value, unit, limit, ok))

    for (name, h), m in measures.items():
        add(f"{name} Spearman at {h} min", m.rho or 0.0, "rho")
        if m.interval:
            add(f"{name} Spearman at {h} min, 95% low", m.interval.low, "rho")
            add(f"{name} Spearman at {h} min, 95% high", m.interval.high, "rho")
        add(f"{name} base rate at {h} min", 100 * m.base_rate, "%")
        hit, target = 100 * (m.hit_rate or 0.0), 100 * m.base_rate + TARGET_HIT_POINTS
        limit, ok = (f">= {target:.1f}", hit >= target) if name == "v2" else ("", None)
        add(f"{name} hot-call hit rate at {h} min", hit, "%", limit, ok)
    for h in (15, 60):
        v1, v2 = measures["v1", h].interval, measures["v2", h].interval
        gap = v2.low - v1.high if v1 and v2 else -1.0
        add(f"v2 low - v1 high at {h} min", gap, "rho", "> 0", gap > 0)
        difference = paired[h]
        if difference:
            add(f"v2 - v1 paired low at {h} min", difference.low, "rho")
    low, high = TARGET_HOT_SHARE
    for name, values in shares.items():
        mean = 100 * sum(values) / len(values)
        limit, ok = (f"{low:g}-{high:g} %", low <= mean <= high) if name == "v2" else ("", None)
        add(f"{name} hot share, mean", mean, "%", limit, ok)
        p5, p95 = _spread(values)
        add(f"{name} hot share, 5th pct", 100 * p5, "%")
        add(f"{name} hot share, 95th pct", 100 * p95, "%")
    limit = f"< {LIMIT_SECONDS:g} s"
    add("simulate + score + measure", seconds, "s", limit, seconds < LIMIT_SECONDS)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=Day.seed)
    parser.add_argument("--hours", type=float, default=Day.hours)
    parser.add_argument("--rate", type=float, default=Day.rate, help="graduations an hour")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=RESULTS, help="where figures go")
    args = parser.parse_args()
    found = run(Day(args.seed, args.hours, args.rate), args.workers)
    print_table(found)
    write_json(found, args.json)
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()

"""manage.py backtest: options, the progress bar, the table and the JSON."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scoring.backtest.text import progress_bar
from scoring.models import ScoringSettings
from scoring.services.settings import scoring_settings_save
from tests.factories import TokenFactory
from tests.scoring.backtest.builders import BUSY, QUIET, metrics
from tests.scoring.backtest.stored import T0, stored

pytestmark = pytest.mark.django_db
HYBRID = {
    "scoring_model_active": "hybrid_momentum",
    **dict.fromkeys(("w_tx", "w_vol", "w_fresh", "w_oi"), 0.25),
    "ewma_alpha": 0.3,
    "min_score": 0.3,
}


def hybrid_settings(**changes: float) -> str:
    """Store the hybrid model with equal weights (what the builders' scores are worked out
    for) as the active settings; the label the command gives them."""
    saved = scoring_settings_save(changes={**HYBRID, **changes})
    return f"current (v{saved.version})"


def active_label(prefix: str = "current") -> str:
    return f"{prefix} (v{ScoringSettings.objects.active().version})"


@pytest.fixture
def history() -> None:
    """Two tokens, a snapshot every 5 minutes for 15 minutes; the busy one rises. Scored by
    the hybrid model with equal weights."""
    hybrid_settings()
    rising, flat = TokenFactory(), TokenFactory()
    for minute, price in zip((0, 5, 10, 15), (1.0, 1.2, 1.5, 1.6), strict=True):
        stored(rising, minute, BUSY, price=price)
        stored(flat, minute, QUIET, price=2.0 - minute / 100)


def backtest(*args: str, verbosity: int = 1) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("backtest", *args, stdout=out, stderr=err, verbosity=verbosity)
    return out.getvalue(), err.getvalue()


def backtest_json(*args: str) -> dict:
    out, _ = backtest("--json", *args, verbosity=0)
    return json.loads(out)


@pytest.fixture
def twelve_tokens() -> None:
    """12 tokens, a snapshot every 5 minutes for 15 minutes: at 5 min, 36 samples from 12
    tokens; at 15 min 12; at 60 min none. Scored by the hybrid model, equal weights, without
    smoothing. Busy token n (even) trades 2n + step times in 5 minutes and its price rises
    0.1 a step; score 0.25 x (tx_5m / 5 + 1 + 0.5 + 0.2), >= 1 from tx_5m 12 on: tokens 6,
    8, 10 and 12. The quiet ones score 0.125 and slip.
    """
    hybrid_settings(ewma_alpha=1.0)
    for number in range(1, 13):
        token = TokenFactory()
        busy = number % 2 == 0
        for step in range(4):
            shape = metrics(tx_5m=2 * number + step) if busy else QUIET
            price = 1.0 + 0.1 * step if busy else 1.0 - 0.01 * step * number
            stored(token, 5 * step, shape, price=price)


def table(out: str) -> dict[str, list[str]]:
    """The table's rows (the first of each label) as label -> cells."""
    rows: dict[str, list[str]] = {}
    for line in out.splitlines():
        if line.startswith("  "):
            label, *cells = re.split(r" {3,}", line.strip())
            rows.setdefault(label, cells)
    return rows


def test_it_prints_a_progress_bar_then_the_table(history: None) -> None:
    out, err = backtest()

    assert err == "\r" + progress_bar(8, 8) + "\n"
    lines = out.splitlines()
    assert lines[0].startswith(
        "Backtest of 8 snapshots from all stored history, judging the smoothed"
    )
    assert lines[1] == (
        "[low, high]: 95% intervals from 1,000 resamples by token (seed 7) of at most "
        "3,000 samples per horizon; a horizon needs 30 samples from 10 tokens."
    )
    assert lines[2].strip() == active_label()
    assert "forward return after 5 min" in lines
    assert "forward return after 60 min" in lines
    # Two tokens are too few to judge any horizon: no figures, a plain sentence instead.
    assert [line for line in lines if "too little history" in line] == [
        "  too little history at 5 min: 6 samples from 2 tokens",
        "  too little history at 15 min: 2 samples from 2 tokens",
        "  too little history at 60 min: 0 samples from 0 tokens",
    ]
    assert not any("rank correlation" in line for line in lines)


def test_compare_prints_intervals_rates_shares_and_whether_they_overlap(
    twelve_tokens: None,
) -> None:
    args = ("--compare", "--set", "min_score=1", "--resamples", "300", "--horizons", "5,15,60")
    out, _ = backtest(*args, verbosity=0)
    data = backtest_json(*args)

    rows = table(out)
    a, b = (result["horizons"][0] for result in data["results"])
    assert rows["snapshots (tokens)"] == ["48 (12)", "48 (12)"]
    assert rows["samples (tokens)"] == ["36 (12)", "36 (12)"]
    # B only moves the hot line: the same ranking, the same resamples, the same intervals.
    rho = f"{a['rho']:+.3f} [{a['rho_interval']['low']:+.3f}, {a['rho_interval']['high']:+.3f}]"
    assert rows["rank correlation (Spearman) [95%]"] == [rho, rho]
    assert a["rho_interval"] == b["rho_interval"]
    assert a["rho_interval"]["low"] < a["rho"] < a["rho_interval"]["high"]
    top = a["top_decile_interval"]
    assert rows["mean return, top decile [95%]"][0] == (
        f"{a['top_decile_mean'] * 100:+.2f}% [{top['low'] * 100:+.2f}%, {top['high'] * 100:+.2f}%]"
    )
    # Every busy token is hot for A and rises; B calls only the four busiest (score >= 1).
    assert rows["hot calls (score >= min_score)"] == ["18 (>= 0.3)", "12 (>= 1)"]
    assert rows["share of samples hot"] == ["50.0%", "33.3%"]
    assert rows["hit rate of hot calls vs base rate"] == ["100.0% vs 50.0%", "100.0% vs 50.0%"]
    assert rows["hot snapshots (smoothed >= min_score)"] == ["24 (50.0%)", "16 (33.3%)"]
    assert rows["live tokens hot, mean over minutes"] == ["50.0% of 16 min", "33.3% of 16 min"]
    assert rows["intervals: samples · tokens · resamples"] == ["36 · 12 · 300", "36 · 12 · 300"]
    assert rows["every snapshot (base rate)"] == ["12 · 48 · 50%/—/—", "12 · 48 · 50%/—/—"]
    notes = [line for line in out.splitlines() if line.startswith("  ") and "   " not in line[2:]]
    assert notes == [
        "  the Spearman intervals of A and B overlap at 5 min",
        "  B minus A at 5 min, resample by resample: +0.000 [+0.000, +0.000]: no clear difference",
        "  too little history at 15 min: 12 samples from 12 tokens",
        "  too little history at 60 min: 0 samples from 0 tokens",
    ]


def test_the_intervals_are_the_same_on_every_run_of_one_seed(twelve_tokens: None) -> None:
    first = backtest_json("--resamples", "200", "--seed", "3")["results"][0]["horizons"][0]
    again = backtest_json("--resamples", "200", "--seed", "3")["results"][0]["horizons"][0]
    other = backtest_json("--resamples", "200", "--seed", "4")["results"][0]["horizons"][0]

    assert first["rho_interval"] == again["rho_interval"]
    assert first["top_decile_interval"] == again["top_decile_interval"]
    assert first["rho_interval"] != other["rho_interval"]


def test_the_json_says_how_the_intervals_were_drawn(twelve_tokens: None) -> None:
    data = backtest_json("--resamples", "100", "--bootstrap-samples", "20", "--min-tokens", "4")

    five = data["results"][0]["horizons"][0]
    assert data["confidence"] == {
        "resamples": 100,
        "seed": 7,
        "max_samples": 20,
        "min_samples": 30,
        "min_tokens": 4,
    }
    # Every 2nd of the 36 samples (ceil(36 / 20)): 18 of them, from all 12 tokens.
    assert (five["interval_samples"], five["interval_tokens"], five["resamples"]) == (18, 12, 100)
    assert (five["enough"], five["tokens"], five["hot_share"]) == (True, 12, 0.5)
    assert data["results"][0]["hot_token_share"] == 0.5


def test_verbosity_zero_draws_no_progress(history: None) -> None:
    _, err = backtest(verbosity=0)

    assert err == ""


def test_the_json_holds_every_figure(history: None) -> None:
    data = backtest_json("--horizons", "5,15")

    (result,) = data["results"]
    assert (data["snapshots"], data["horizons"], data["signal"]) == (8, [5, 15], "smoothed")
    assert data["window"] == {"since": None, "until": None, "tokens": "all"}
    assert (result["label"], result["tokens"], result["held"]) == (active_label(), 2, 0)
    assert result["settings"]["w_tx"] == 0.25
    five = result["horizons"][0]
    # The busy token rises after each snapshot (+20%, +25%, +6.67%), the quiet one slips.
    assert (five["minutes"], five["samples"], five["calls"], five["hits"]) == (5, 6, 3, 3)
    assert five["hit_rate"] == 1.0
    assert five["base_rate"] == 0.5
    assert five["rho"] == pytest.approx(0.8783100656536799)
    assert [row["threshold"] for row in result["thresholds"]][:3] == [0.1, 0.2, 0.3]


def test_it_replays_the_newest_settings_version(history: None) -> None:
    label = hybrid_settings(w_tx=2.0, min_score=1.0)

    (result,) = backtest_json()["results"]

    assert result["label"] == label
    assert (result["settings"]["w_tx"], result["horizons"][0]["hot_threshold"]) == (2.0, 1.0)


def test_compare_puts_the_current_and_the_given_settings_side_by_side(history: None) -> None:
    data = backtest_json(
        "--compare", "--weights", "w_tx=1,w_oi=0", "--set", "ewma_alpha=0.5", "--model", "legacy"
    )

    a, b = data["results"]
    assert a["label"] == active_label("A: current")
    assert b["label"] == ("B: scoring_model_active=legacy, w_tx=1.0, w_oi=0.0, ewma_alpha=0.5")
    assert a["settings"]["scoring_model_active"] == "hybrid_momentum"
    assert {
        k: b["settings"][k] for k in ("scoring_model_active", "w_tx", "w_oi", "ewma_alpha")
    } == {
        "scoring_model_active": "legacy",
        "w_tx": 1.0,
        "w_oi": 0.0,
        "ewma_alpha": 0.5,
    }


def test_given_settings_alone_replace_the_current_ones(history: None) -> None:
    (result,) = backtest_json("--set", "min_score=0.5")["results"]

    assert result["label"] == "given: min_score=0.5"
    assert result["horizons"][0]["hot_threshold"] == 0.5


def test_hours_keep_only_recent_history(history: None) -> None:
    token = TokenFactory()
    now_minute = (timezone.now() - T0).total_seconds() / 60
    stored(token, now_minute - 30, price=1.0)

    data = backtest_json("--hours", "1")

    assert data["snapshots"] == 1
    assert data["window"]["since"] is not None


def test_raw_signal_and_thresholds(history: None) -> None:
    data = backtest_json("--signal", "raw", "--thresholds", "0.5,2", "--horizons", "5")

    (result,) = data["results"]
    assert data["signal"] == "raw"
    assert [(r["threshold"], r["tokens"], r["snapshots"]) for r in result["thresholds"]] == [
        (0.3, 1, 4),
        (0.5, 1, 4),
        (2.0, 0, 0),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "min_pool_liquidity_usd=1"], "cannot backtest 'min_pool_liquidity_usd'"),
        (["--weights", "ewma_alpha=0.5"], "--weights takes w_tx"),
        (["--set", "ewma_alpha=0"], r"ewma_alpha must be in \(0, 1\]"),
        (["--set", "w_tx=-1"], "w_tx must be a finite number >= 0"),
        (["--set", "w_tx=lots"], "w_tx needs a number"),
        (["--set", "w_tx"], "expected FIELD=VALUE"),
        (["--set", "scoring_model_active=magic"], "unknown scoring model 'magic'"),
        (["--horizons", "5,soon"], "bad option"),
        (["--horizons", "0"], "horizons must be positive"),
        (["--hours", "0"], "--hours must be positive"),
        (["--resamples", "-1"], "resamples must be a whole number >= 0"),
        (["--bootstrap-samples", "0"], "max_samples must be a whole number >= 1"),
    ],
)
def test_it_refuses_what_it_cannot_replay(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        backtest(*args, verbosity=0)

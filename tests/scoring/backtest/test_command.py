"""manage.py backtest: options, the progress bar, the table and the JSON."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scoring.backtest.text import progress_bar
from scoring.services.settings import scoring_settings_save
from tests.factories import TokenFactory
from tests.scoring.backtest.builders import BUSY, QUIET
from tests.scoring.backtest.stored import T0, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def history() -> None:
    """Two tokens, a snapshot every 5 minutes for 15 minutes; the busy one rises."""
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


def test_it_prints_a_progress_bar_then_the_table(history: None) -> None:
    out, err = backtest()

    assert err == "\r" + progress_bar(8, 8) + "\n"
    lines = out.splitlines()
    assert lines[0].startswith(
        "Backtest of 8 snapshots from all stored history, judging the smoothed"
    )
    assert lines[1].split() == ["current", "(v1)"]
    assert "forward return after 5 min" in lines
    assert "forward return after 60 min" in lines
    samples = [line.split() for line in lines if line.startswith("  samples")]
    assert samples == [["samples", "6"], ["samples", "2"], ["samples", "0"]]


def test_verbosity_zero_draws_no_progress(history: None) -> None:
    _, err = backtest(verbosity=0)

    assert err == ""


def test_the_json_holds_every_figure(history: None) -> None:
    data = backtest_json("--horizons", "5,15")

    (result,) = data["results"]
    assert (data["snapshots"], data["horizons"], data["signal"]) == (8, [5, 15], "smoothed")
    assert data["window"] == {"since": None, "until": None}
    assert (result["label"], result["tokens"], result["held"]) == ("current (v1)", 2, 0)
    assert result["settings"]["w_tx"] == 0.25
    five = result["horizons"][0]
    # The busy token rises after each snapshot (+20%, +25%, +6.67%), the quiet one slips.
    assert (five["minutes"], five["samples"], five["calls"], five["hits"]) == (5, 6, 3, 3)
    assert five["hit_rate"] == 1.0
    assert five["base_rate"] == 0.5
    assert five["rho"] == pytest.approx(0.8783100656536799)
    assert [row["threshold"] for row in result["thresholds"]][:3] == [0.1, 0.2, 0.3]


def test_it_replays_the_newest_settings_version(history: None) -> None:
    scoring_settings_save(changes={"w_tx": 2.0, "min_score": 1.0})

    (result,) = backtest_json()["results"]

    assert result["label"] == "current (v2)"
    assert (result["settings"]["w_tx"], result["horizons"][0]["hot_threshold"]) == (2.0, 1.0)


def test_compare_puts_the_current_and_the_given_settings_side_by_side(history: None) -> None:
    data = backtest_json(
        "--compare", "--weights", "w_tx=1,w_oi=0", "--set", "ewma_alpha=0.5", "--model", "legacy"
    )

    a, b = data["results"]
    assert a["label"] == "A: current (v1)"
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
    ],
)
def test_it_refuses_what_it_cannot_replay(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        backtest(*args, verbosity=0)

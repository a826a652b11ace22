"""Streaming stored snapshots: grouped by token, in time order, rebuilt as Metrics."""

from dataclasses import fields, replace
from datetime import timedelta

import pytest

from scoring.backtest.history import (
    COUNTS,
    FLOATS,
    UNREAD,
    Window,
    recent_window,
    snapshot_count,
    snapshot_stream,
)
from scoring.engine import Metrics
from tests.factories import TokenFactory
from tests.scoring.backtest.builders import BUSY, metrics
from tests.scoring.backtest.stored import T0, stored

pytestmark = pytest.mark.django_db


def test_it_streams_by_token_then_time_and_rebuilds_the_metrics() -> None:
    first, second = TokenFactory(), TokenFactory()
    stored(second, 1, price=2.0)
    stored(first, 5, metrics(tx_5m=7, buys_5m=7, sells_5m=0, dp15=None), price=0.5)
    stored(first, 0, price=0.25)
    stored(first, 3, None, fallback="fallback")
    stored(second, 0, BUSY, price=1.5, fallback="degraded")

    rows = list(snapshot_stream(Window()))

    assert [(r.token_id, r.at - T0.timestamp(), r.fallback) for r in rows] == [
        (first.pk, 0.0, None),
        (first.pk, 180.0, "fallback"),
        (first.pk, 300.0, None),
        (second.pk, 0.0, "degraded"),
        (second.pk, 60.0, None),
    ]
    expected = replace(BUSY, primary_pair_address=None, primary_dex_id=None)
    assert rows[0].metrics == replace(expected, price_usd=0.25)
    assert rows[1].metrics is None
    assert rows[2].metrics == replace(
        expected, tx_5m=7, buys_5m=7, sells_5m=0, dp15=None, price_usd=0.5
    )
    assert rows[3].metrics == replace(expected, price_usd=1.5)


def test_it_reads_every_input_of_scoring_spec_v2_back() -> None:
    token = TokenFactory()
    v2 = metrics(
        history_minutes=42.0,
        tx_pace_5m=3.5,
        tx_pace_rest=1.25,
        vol_pace_5m=120.0,
        vol_pace_rest=40.0,
        window_5m_minutes=5.0,
        window_1h_minutes=42.0,
        dp60=-0.25,
        implausible_pools=2,
        peak_liquidity_usd=35_000.0,
    )
    stored(token, 0, v2, price=0.5)

    (row,) = list(snapshot_stream(Window()))

    assert row.metrics == replace(v2, price_usd=0.5, primary_pair_address=None, primary_dex_id=None)


def test_every_metrics_field_is_read_or_knowingly_left() -> None:
    assert sorted((*FLOATS, *COUNTS, *UNREAD)) == sorted(f.name for f in fields(Metrics))


def test_a_window_keeps_since_and_drops_until() -> None:
    token = TokenFactory()
    for minute in range(5):
        stored(token, minute)
    window = Window(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=4))

    rows = list(snapshot_stream(window))

    assert [r.at - T0.timestamp() for r in rows] == [60.0, 120.0, 180.0]
    assert snapshot_count(window) == 3


def test_it_reports_progress_after_every_chunk_and_at_the_end() -> None:
    token = TokenFactory()
    for minute in range(5):
        stored(token, minute)
    seen: list[int] = []

    rows = list(snapshot_stream(Window(), chunk_size=2, progress=seen.append))

    assert len(rows) == 5
    assert seen == [2, 4, 5]


def test_a_recent_window_is_shortened_to_the_newest_snapshots() -> None:
    token = TokenFactory()
    for minute in range(6):
        stored(token, minute)
    now = T0 + timedelta(minutes=10)

    short, truncated = recent_window(hours=1, max_snapshots=4, now=now)
    whole, untouched = recent_window(hours=1, max_snapshots=6, now=now)

    assert truncated is True
    assert [r.at - T0.timestamp() for r in snapshot_stream(short)] == [120.0, 180.0, 240.0, 300.0]
    assert (untouched, whole) == (False, Window(since=now - timedelta(hours=1), until=now))
    assert snapshot_count(whole) == 6


def test_it_reports_a_whole_last_chunk_once_and_an_empty_stream_at_zero() -> None:
    token = TokenFactory()
    for minute in range(4):
        stored(token, minute)
    whole: list[int] = []
    empty: list[int] = []

    list(snapshot_stream(Window(), chunk_size=2, progress=whole.append))
    list(snapshot_stream(Window(until=T0), chunk_size=2, progress=empty.append))

    assert (whole, empty) == ([2, 4], [0])

"""tokens/charts.py: the score chart's geometry, exact to the pixel."""

from datetime import UTC, datetime, timedelta

import pytest

from moon.lib.svg import Scale, nice_step, time_ticks, value_ticks
from moon.web.charts import Snapshot, price_chart, price_ticks, robust_domain, runs, score_chart

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_scale_maps_its_domain_linearly_onto_pixels() -> None:
    y = Scale(0.0, 2.0, 200.0, 0.0)

    assert (y(0.0), y(0.5), y(2.0), y(3.0)) == (200.0, 150.0, 0.0, -100.0)


def test_a_flat_domain_maps_onto_the_middle() -> None:
    assert Scale(1.0, 1.0, 0.0, 100.0)(1.0) == 50.0


@pytest.mark.parametrize(
    ("span", "count", "step"),
    [(1.0, 4, 0.25), (0.9, 4, 0.25), (0.3, 4, 0.1), (7.0, 4, 2.0), (12.0, 4, 5.0), (100, 4, 25)],
)
def test_nice_steps_are_1_2_2_5_or_5_times_a_power_of_ten(
    span: float, count: int, step: float
) -> None:
    assert nice_step(span, count) == pytest.approx(step)


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (0.0, 1.0, [0.0, 0.25, 0.5, 0.75, 1.0]),
        (0.0, 0.62, [0.0, 0.2, 0.4, 0.6, 0.8]),
        (-0.3, 1.1, [-0.5, 0.0, 0.5, 1.0, 1.5]),
        (0.0, 0.0, [0.0, 0.25, 0.5, 0.75, 1.0]),  # flat: widened to [lo, lo + 1]
    ],
)
def test_value_ticks_cover_the_range_with_round_numbers(
    lo: float, hi: float, ticks: list[float]
) -> None:
    assert value_ticks(lo, hi) == ticks


def test_time_ticks_fall_on_round_utc_boundaries() -> None:
    ticks = time_ticks(at(3), at(58))

    assert ticks == [at(15), at(30), at(45)]


def test_time_ticks_widen_with_the_span() -> None:
    ticks = time_ticks(T0 - timedelta(hours=1), T0 + timedelta(hours=20))

    assert [t.hour for t in ticks] == [12, 18, 0, 6]


def test_each_snapshot_becomes_one_point_placed_on_both_axes() -> None:
    snapshots = [Snapshot(at(0), 0.5, 0.5), Snapshot(at(1), 1.0, 0.65), Snapshot(at(3), 0.0, 0.4)]

    chart = score_chart(snapshots, width=340, height=136, margin=(10, 20, 26, 20))

    # plot area: x 20..320 over 3 minutes, y 110..10 over [0, 1] (ticks 0..1 by 0.25)
    assert [(p.x, p.y_score, p.y_smoothed) for p in chart.points] == [
        (20.0, 60.0, 60.0),
        (120.0, 10.0, 45.0),
        (320.0, 110.0, 70.0),
    ]
    assert chart.score_lines == ["20.0,60.0 120.0,10.0 320.0,110.0"]
    assert chart.smoothed_lines == ["20.0,60.0 120.0,45.0 320.0,70.0"]
    assert [(t.position, t.label) for t in chart.y_ticks] == [
        (110.0, "0"),
        (85.0, "0.25"),
        (60.0, "0.5"),
        (35.0, "0.75"),
        (10.0, "1"),
    ]
    assert [(t.position, t.label) for t in chart.x_ticks] == [
        (20.0, "12:00"),
        (120.0, "12:01"),
        (220.0, "12:02"),
        (320.0, "12:03"),
    ]


def test_each_point_hovers_the_band_halfway_to_its_neighbours() -> None:
    snapshots = [Snapshot(at(0), 0.5, 0.5), Snapshot(at(1), 1.0, 0.65), Snapshot(at(3), 0.0, 0.4)]

    chart = score_chart(snapshots, width=340, height=136, margin=(10, 20, 26, 20))

    assert [(p.band_left, p.band_width) for p in chart.points] == [
        (20.0, 50.0),
        (70.0, 150.0),
        (220.0, 100.0),
    ]


def test_a_lone_snapshot_sits_in_the_middle_and_owns_the_whole_width() -> None:
    chart = score_chart([Snapshot(at(0), 0.4, 0.4)], width=340, height=136, margin=(10, 20, 26, 20))

    (point,) = chart.points
    assert (point.x, point.band_left, point.band_width) == (170.0, 20.0, 300.0)
    assert [t.label for t in chart.x_ticks] == ["12:00"]


def test_negative_scores_extend_the_axis_below_zero() -> None:
    chart = score_chart([Snapshot(at(0), -0.3, 0.1), Snapshot(at(5), 1.1, 0.5)])

    assert [t.label for t in chart.y_ticks] == ["-0.5", "0", "0.5", "1", "1.5"]


def test_the_hot_line_is_drawn_only_inside_the_value_range() -> None:
    snapshots = [Snapshot(at(0), 0.0, 0.0), Snapshot(at(1), 1.0, 1.0)]

    inside = score_chart(snapshots, width=340, height=136, margin=(10, 20, 26, 20), threshold=0.3)
    outside = score_chart(snapshots, threshold=5.0)

    assert inside.threshold_y == pytest.approx(80.0)
    assert outside.threshold_y is None


def test_a_span_beyond_a_day_labels_the_date() -> None:
    chart = score_chart([Snapshot(T0, 0.1, 0.1), Snapshot(T0 + timedelta(days=3), 0.2, 0.2)])

    assert [t.label for t in chart.x_ticks] == [
        "03-01 12:00",
        "03-02 00:00",
        "03-02 12:00",
        "03-03 00:00",
        "03-03 12:00",
        "03-04 00:00",
        "03-04 12:00",
    ]


def test_no_snapshot_no_point() -> None:
    chart = score_chart([])

    assert (chart.points, chart.x_ticks, chart.score_lines) == ((), (), [])


def priced(minutes: float, value: float | None) -> Snapshot:
    return Snapshot(at(minutes), 0.5, 0.5, price=value)


def test_a_pause_longer_than_the_gap_cuts_the_lines() -> None:
    snapshots = [priced(m, 1.0) for m in (0, 1, 2, 10, 11)]  # refreshes stopped for 8 minutes

    chart = score_chart(snapshots, width=340, height=136, margin=(10, 20, 26, 20),
                        gap_seconds=240)  # fmt: skip

    assert runs(snapshots, 240) == ((0, 1, 2), (3, 4))
    assert runs(snapshots, None) == ((0, 1, 2, 3, 4),)
    assert len(chart.score_lines) == len(chart.smoothed_lines) == 2
    after = chart.points[3:]
    assert chart.score_lines[1] == " ".join(f"{p.x:.1f},{p.y_score:.1f}" for p in after)


def test_the_price_chart_shares_the_score_chart_s_time_axis() -> None:
    snapshots = [priced(0, 2e-5), priced(1, None), priced(2, 4e-5), priced(3, 3e-5)]

    prices = price_chart(snapshots, label=str, width=340, height=136, margin=(10, 20, 26, 20))
    scores = score_chart(snapshots, width=340, height=136, margin=(10, 20, 26, 20))

    by_time = {p.snapshot.at: p.x for p in scores.points}
    assert [(p.x, by_time[p.snapshot.at]) for p in prices.points] == [
        (20.0, 20.0),
        (220.0, 220.0),
        (320.0, 320.0),
    ]  # the snapshot without a price has no point: a gap in the line
    assert prices.segments == ((0,), (1, 2))
    assert prices.lines == ["220.0,10.0 320.0,60.0"]  # a lone point is drawn, not joined
    assert [t.label for t in prices.x_ticks] == [t.label for t in scores.x_ticks]
    assert prices.domain == (2e-5, 4e-5)
    assert [p.y for p in prices.points] == pytest.approx([110.0, 10.0, 60.0])


def test_a_one_off_spike_does_not_flatten_the_price_scale() -> None:
    values = [1e-5 * (1 + i / 100) for i in range(40)]
    values[20] = 1e-3  # a 100x print on one snapshot

    chart = price_chart([priced(i, v) for i, v in enumerate(values)], label=str)

    assert chart.domain[1] < 2e-5  # the axis follows the other 39 prices
    assert chart.clipped == 1
    spike = chart.points[20]
    assert (spike.clipped, spike.y) == ("high", chart.top)
    others = [p.y for i, p in enumerate(chart.points) if i != 20]
    assert max(others) - min(others) > 0.5 * (chart.bottom - chart.top)  # they use the height


def test_a_robust_domain_needs_enough_prices() -> None:
    assert robust_domain([1.0, 50.0, 2.0]) == (1.0, 50.0)
    assert robust_domain([3.0] * 20) == (3.0, 3.0)


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (6.5e-8, 7.2e-8, [6.4e-08, 6.6e-08, 6.8e-08, 7e-08, 7.2e-08]),
        (0.5, 2.0, [0.5, 1.0, 1.5, 2.0]),
    ],
)
def test_price_ticks_are_round_at_any_magnitude(lo: float, hi: float, ticks: list[float]) -> None:
    assert price_ticks(lo, hi) == ticks


def test_a_breakout_in_progress_stays_on_the_scale() -> None:
    values = [1e-5] * 36 + [2e-5, 5e-5, 1e-4, 3e-4]  # the newest prices climbing

    chart = price_chart([priced(i, v) for i, v in enumerate(values)], label=str)

    assert [p.clipped for p in chart.points[-3:]] == ["", "", ""]
    assert chart.domain[1] >= 3e-4

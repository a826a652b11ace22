"""tokens/templatetags/moon_format.py: how numbers, money and ages read in dense tables."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict

from moon.lib.templatetags.moon_format import (
    DexBadge,
    age,
    clock,
    count,
    dex_badges,
    num,
    plain,
    price,
    signed_pct,
    trend,
    usd,
    with_query,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.91234, 3, "0.912"),
        (-0.1, 2, "-0.10"),
        (-0.0001, 3, "0.000"),
        (None, 3, "—"),
        (2, 1, "2.0"),
    ],
)
def test_num(value: float | None, digits: int, text: str) -> None:
    assert num(value, digits) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (36295.05, "$36.3K"),
        (305644.82, "$306K"),
        (1_234_567, "$1.23M"),
        (2.5e9, "$2.50B"),
        (999.7, "$1.00K"),
        (512.4, "$512"),
        (0, "$0"),
        (None, "—"),
    ],
)
def test_usd_is_compact_with_three_significant_digits(value: float | None, text: str) -> None:
    assert usd(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (6.541e-05, "$0.0₄6541"),  # DexScreener's style: four zeros, counted
        (0.00020351, "$0.0₃2035"),
        (1.2e-12, "$0.0₁₁1200"),
        (0.0012, "$0.001200"),
        (0.5, "$0.5000"),
        (1.5, "$1.500"),
        (123.456, "$123.5"),
        (12345.6, "$12,350"),  # four significant digits throughout
        (0.99996, "$1.000"),  # rounding carries into the next unit
        (9999.99, "$10,000"),
        (0.0, "$0"),
        (None, "—"),
    ],
)
def test_prices_read_without_exponents(value: float | None, text: str) -> None:
    assert price(value) == text


def test_a_change_is_up_down_or_flat() -> None:
    assert [trend(v) for v in (12.3, -0.01, 0, None)] == ["up", "down", "", ""]


def test_counts_and_percentages() -> None:
    assert (count(8880), count(None)) == ("8,880", "—")
    assert (signed_pct(3.5), signed_pct(-12.25, 2), signed_pct(None)) == ("+3.5%", "-12.25%", "—")


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=42), "42s"),
        (timedelta(minutes=12, seconds=5), "12m"),
        (timedelta(hours=3, minutes=4), "3h 04m"),
        (timedelta(days=2, hours=5, minutes=59), "2d 05h"),
        (timedelta(seconds=-5), "0s"),  # a clock a little ahead is not the future
    ],
)
def test_age_shows_two_units_at_most(delta: timedelta, text: str) -> None:
    assert age(NOW - delta, NOW) == text


def test_plain_status_values() -> None:
    assert [plain(v) for v in (None, True, False, 912.5, 3.0, 12, "ok", NOW)] == [
        "—", "yes", "no", "912.5", "3", "12", "ok", "2026-03-01 12:00:00 UTC",
    ]  # fmt: skip


def test_clock_reads_the_time_of_an_iso_timestamp() -> None:
    assert clock("2026-03-01T12:00:05.123+00:00") == "12:00:05.123"
    assert (clock(None), clock("yesterday")) == ("—", "yesterday")


class FakePool:
    def __init__(self, dex_id: str, kept: bool) -> None:
        self.dex_id, self.kept = dex_id, kept


def test_dex_badges_group_pools_per_dex_in_order() -> None:
    pools = [FakePool("pumpswap", True), FakePool("meteora", False), FakePool("pumpswap", False)]

    assert dex_badges(pools) == [DexBadge("pumpswap", 2, True), DexBadge("meteora", 1, False)]


@pytest.mark.parametrize(
    ("query", "changes", "url"),
    [
        ("sort=score&page=3", {"page": None}, "/?sort=score"),
        ("sort=score", {"sort": "-liquidity"}, "/?sort=-liquidity"),
        ("search=&min_score=&hot=on", {}, "/?hot=on"),  # empty values dropped
        ("status=active", {"status": None}, "/"),
        ("", {"page": 2}, "/?page=2"),
    ],
)
def test_with_query_changes_the_current_parameters(
    query: str, changes: dict[str, object], url: str
) -> None:
    assert with_query("/", QueryDict(query), changes) == url

"""Formatting of scores, money, counts and ages for dense tables; "—" stands for no value."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import timezone

register = template.Library()
MISSING = "—"


@register.filter
def num(value: float | str | None, digits: int = 3) -> str:
    """A fixed-point number: 0.4231 -> "0.423"; None -> "—"."""
    if value is None or value == "":
        return MISSING
    text = f"{float(value):.{int(digits)}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


@register.filter
def usd(value: float | None) -> str:
    """Compact dollars with three significant digits: 36295.05 -> "$36.3K"."""
    if value is None:
        return MISSING
    amount = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= size * 0.9995:
            return f"${_three_digits(amount / size)}{suffix}"
    return f"${amount:.0f}"


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
PRICE_DIGITS = 4


@register.filter
def price(value: float | None) -> str:
    """A token price with four significant digits, never in exponent form. Three or more zeros
    after the point are counted in a subscript, as DexScreener writes them:
    0.00006541 -> "$0.0₄6541", 0.0012 -> "$0.001200", 1.5 -> "$1.500", 12345 -> "$12,350"."""
    if value is None:
        return MISSING
    amount = float(value)
    sign, amount = ("-" if amount < 0 else ""), float(f"{abs(amount):.{PRICE_DIGITS}g}")
    if amount == 0:
        return "$0"
    if amount >= 10**PRICE_DIGITS:
        return f"{sign}${amount:,.0f}"
    if amount >= 1:
        whole = len(str(int(amount)))
        return f"{sign}${amount:.{PRICE_DIGITS - whole}f}"
    digits = f"{amount:.{PRICE_DIGITS - 1}e}"  # d.ddde-N: the significant digits, exactly
    mantissa, exponent = digits.split("e")
    zeros = -int(exponent) - 1
    figures = mantissa.replace(".", "")
    if zeros >= 3:
        return f"{sign}$0.0{str(zeros).translate(SUBSCRIPTS)}{figures}"
    return f"{sign}$0.{'0' * zeros}{figures}"


@register.filter
def count(value: int | None) -> str:
    """An integer with thousands separators: 8880 -> "8,880"."""
    if value is None:
        return MISSING
    return f"{int(value):,}"


@register.filter
def signed_pct(value: float | None, digits: int = 1) -> str:
    """A signed percentage: 3.5 -> "+3.5%"."""
    if value is None:
        return MISSING
    return f"{float(value):+.{int(digits)}f}%"


@register.filter
def trend(value: float | None) -> str:
    """A CSS class for a change: "up", "down", or "" (none, or flat)."""
    if value is None or float(value) == 0:
        return ""
    return "up" if float(value) > 0 else "down"


@register.filter
def share(value: float | None) -> str:
    """A fraction as a percentage: 0.1234 -> "12.3%"."""
    if value is None:
        return MISSING
    return f"{100 * float(value):.1f}%"


@register.filter
def age(moment: datetime | None, now: datetime | None = None) -> str:
    """Time since `moment`, two units at most: "42s", "12m", "3h 04m", "2d 05h"."""
    if moment is None:
        return MISSING
    seconds = max(int(((now or timezone.now()) - moment).total_seconds()), 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds}s"
    if minutes < 60:
        return f"{minutes}m"
    if hours < 24:
        return f"{hours}h {minutes % 60:02d}m"
    return f"{days}d {hours % 24:02d}h"


@register.filter
def plain(value: Any) -> str:
    """Any status value, readably: yes/no, UTC times, floats without trailing zeros."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


@register.filter
def clock(iso_time: str | None) -> str:
    """The time of day of an ISO 8601 timestamp, to the millisecond: "12:00:05.123"."""
    if not iso_time or "T" not in str(iso_time):
        return iso_time or MISSING
    return str(iso_time).split("T", 1)[1][:12]


@register.filter
def duration(value: timedelta | None) -> str:
    """A span as people say it: "42s", "17m", "3h 05m", "2d 4h"."""
    if value is None:
        return MISSING
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, hours = seconds // 60, seconds // 3600
    if hours < 1:
        return f"{minutes}m"
    if hours < 48:
        return f"{hours}h {minutes % 60:02d}m"
    return f"{hours // 24}d {hours % 24}h"


@dataclass(frozen=True)
class DexBadge:
    dex_id: str
    pools: int
    kept: bool  # at least one of its pools counts in the token's metrics


@register.filter
def dex_badges(pools: Iterable[Any]) -> list[DexBadge]:
    """One badge per DEX, in the order of the token's pools (most liquid first)."""
    counts: dict[str, int] = {}
    kept: dict[str, bool] = {}
    for pool in pools:
        counts[pool.dex_id] = counts.get(pool.dex_id, 0) + 1
        kept[pool.dex_id] = kept.get(pool.dex_id, False) or bool(pool.kept)
    return [DexBadge(dex, n, kept[dex]) for dex, n in counts.items()]


def with_query(path: str, params: QueryDict, changes: Mapping[str, Any]) -> str:
    """`path` with `params` changed by `changes`; None or "" removes a key, as do empty values."""
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None and value != "":
            query[key] = str(value)
    for key in [key for key, values in query.lists() if all(v == "" for v in values)]:
        del query[key]
    encoded = query.urlencode()
    return f"{path}?{encoded}" if encoded else path


@register.simple_tag(takes_context=True)
def url_with(context: template.Context, **changes: Any) -> str:
    """The current page's URL with some query parameters changed: {% url_with sort="-score" %}."""
    request = context["request"]
    return with_query(request.path, request.GET, changes)


def _three_digits(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"

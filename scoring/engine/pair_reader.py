"""Typed, validating reads out of one raw DexScreener pair dict.

Every reader returns a neutral value (0, None, "") when the field is bad and records a
critical issue instead: a pair with any issue is dropped as a whole by the caller, so the
neutral value never reaches the math.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from .issues import QualityIssue, critical
from .text import MAX_COUNT, clean_text, clean_url


class _Invalid:
    """Marks a lookup whose parent was not an object (already reported)."""


_INVALID = _Invalid()
_T = TypeVar("_T")


class PairReader:
    """Reads fields of ``pair`` (labelled ``label`` in messages), collecting ``issues``."""

    def __init__(self, pair: Mapping[str, Any], label: str) -> None:
        self.pair = pair
        self.label = label
        self.issues: list[QualityIssue] = []

    def text(self, *path: str, required: bool) -> str:
        """A string field; "" when absent (a ``missing_field`` issue if ``required``)."""
        value = self._lookup(path)
        if value is _INVALID:
            return ""
        if value is None or value == "":
            self._missing(path, required)
            return ""
        if not isinstance(value, str):
            return self._wrong_type(path, value, "a string", "")
        return clean_text(value)

    def optional_text(self, *path: str) -> str | None:
        """A cosmetic string (name, symbol): never an issue, None unless non-empty once cleaned."""
        value = self._peek(path)
        return (clean_text(value) or None) if isinstance(value, str) else None

    def optional_url(self, *path: str) -> str | None:
        """A link (pair url, image): kept only as a plain http(s) URL."""
        value = self._peek(path)
        return clean_url(value) if isinstance(value, str) else None

    def optional_amount(self, *path: str) -> float | None:
        """A shown-only amount (market cap): a finite number >= 0, else None, never an issue."""
        value = self._peek(path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not _is_finite(value) or value < 0:
            return None
        return float(value)

    def labels(self) -> tuple[str, ...]:
        """The cosmetic ``labels`` list ("CLMM", "DLMM"...); non-strings are skipped."""
        value = self._peek(("labels",))
        if not isinstance(value, list):
            return ()
        return tuple(
            label for item in value if isinstance(item, str) if (label := clean_text(item))
        )

    def count(self, *path: str, required: bool) -> int:
        """A non-negative integer transaction count; 0 when absent."""
        value = self._lookup(path)
        if value is None or value is _INVALID:
            self._missing(path, required and value is None)
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            return self._wrong_type(path, value, "an integer", 0)
        if not _is_finite(value):
            return self._non_finite(path, value, 0)
        if value < 0:
            return self._negative("negative_tx_count", path, value, 0)
        return min(value, MAX_COUNT)

    def amount(self, *path: str, required: bool, negative_code: str) -> float | None:
        """A non-negative finite JSON number (liquidity, volume); None when absent."""
        return self._at_least_zero(negative_code, path, self._number(path, required))

    def price(self, *path: str) -> float | None:
        """``priceUsd``: a numeric string as DexScreener sends it (a plain number is accepted)."""
        value = self._lookup(path)
        if value is None or value is _INVALID:
            return None
        number = _numeric(value)
        if number is None:
            return self._wrong_type(path, value, "a numeric string", None)
        return self._at_least_zero("negative_price", path, self._finite(path, number))

    def change(self, *path: str) -> float | None:
        """A ``priceChange`` window in percent, any sign; None when the window is absent."""
        return self._number(path, required=False)

    def timestamp(self, *path: str) -> datetime | None:
        """``pairCreatedAt`` epoch milliseconds -> aware UTC datetime; None when absent."""
        millis = self._number(path, required=False)
        if millis is None:
            return None
        try:
            return datetime.fromtimestamp(millis / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            self._add("invalid_timestamp", f"{self._where(path)} = {millis!r} is not a valid time")
            return None

    def _number(self, path: tuple[str, ...], required: bool) -> float | None:
        value = self._lookup(path)
        if value is None or value is _INVALID:
            self._missing(path, required and value is None)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self._wrong_type(path, value, "a number", None)
        return self._finite(path, value)

    def _finite(self, path: tuple[str, ...], value: float) -> float | None:
        if not _is_finite(value):
            return self._non_finite(path, value, None)
        return float(value)

    def _at_least_zero(self, code: str, path: tuple[str, ...], value: float | None) -> float | None:
        if value is not None and value < 0:
            return self._negative(code, path, value, None)
        return value

    def _lookup(self, path: tuple[str, ...]) -> Any:
        """The value at ``path``; None when absent or null, _INVALID under a non-object parent."""
        node: Any = self.pair
        for depth, key in enumerate(path):
            if node is None:
                return None
            if not isinstance(node, Mapping):
                return self._wrong_type(path[:depth], node, "an object", _INVALID)
            node = node.get(key)
        return node

    def _peek(self, path: tuple[str, ...]) -> Any:
        node: Any = self.pair
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node

    def _missing(self, path: tuple[str, ...], report: bool) -> None:
        if report:
            self._add("missing_field", f"{self._where(path)} is missing")

    def _wrong_type(self, path: tuple[str, ...], value: Any, expected: str, result: _T) -> _T:
        self._add("wrong_type", f"{self._where(path)} = {reprlib.repr(value)} is not {expected}")
        return result

    def _non_finite(self, path: tuple[str, ...], value: Any, result: _T) -> _T:
        self._add("non_finite_value", f"{self._where(path)} = {reprlib.repr(value)} is not finite")
        return result

    def _negative(self, code: str, path: tuple[str, ...], value: Any, result: _T) -> _T:
        self._add(code, f"{self._where(path)} = {value!r} is negative")
        return result

    def _where(self, path: tuple[str, ...]) -> str:
        return f"pair {self.label}: {'.'.join(path) or 'pair'}"

    def _add(self, code: str, message: str) -> None:
        issue = critical(code, message)
        # A non-object parent (e.g. txns is a list) is met once per child field: report it once.
        if issue not in self.issues:
            self.issues.append(issue)


def _is_finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _numeric(value: Any) -> float | None:
    """A numeric string or a JSON number as a float; None for anything else."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf

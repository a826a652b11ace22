"""Outside text made safe to store and show: token creators control names and symbols.

NUL and other control characters break PostgreSQL text or terminals; bidi overrides and
zero-width characters let one name pass for another ("SOL" spelled backwards). Links are kept
only when they are plain http(s) URLs, so no javascript: or data: URL reaches an href or src.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_COUNT = 2**31 - 1  # the largest count a row stores; a window never holds more trades


def clean_text(value: str) -> str:
    """`value` without control and format characters (NUL, bidi overrides, zero-width), stripped."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in {"Cc", "Cf"}).strip()


def clean_url(value: str) -> str | None:
    """`value` when it is an http(s) URL with a host and no whitespace or control character."""
    if any(ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf"} for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in {"http", "https"} and parts.netloc else None

"""Cursor paging over a live ranking: the order is frozen when the walk starts.

Scores change every 30 seconds, so offsets over the live order repeat and skip tokens from one
page to the next. A cursor walk instead keeps the ranking of its first page (the ids, in order,
8 bytes each in one Redis value, for CURSOR_TTL_SECONDS) and serves each page from it, with
each token's current values: every token the first page's filters matched appears exactly once.
"""

from __future__ import annotations

import re
import secrets
from array import array
from collections.abc import Iterable

from moon.lib.redis import redis_client

CURSOR_TTL_SECONDS = 600
MAX_SNAPSHOT_TOKENS = 100_000
_PREFIX = "moon:cursor:"
_CURSOR = re.compile(r"^([A-Za-z0-9_-]{16})\.(\d{1,7})$")
_ID_BYTES = 8


class CursorError(ValueError):
    """A cursor that is malformed, or whose ranking expired."""


def ranking_freeze(ids: Iterable[int]) -> str:
    """Keep an ordered ranking; answers its key."""
    key = secrets.token_urlsafe(12)
    packed = array("q", ids)
    redis_client().set(_PREFIX + key, packed.tobytes(), ex=CURSOR_TTL_SECONDS)
    return key


def cursor_encode(key: str, position: int) -> str:
    return f"{key}.{position}"


def cursor_decode(cursor: str) -> tuple[str, int]:
    match = _CURSOR.match(cursor)
    if match is None:
        raise CursorError("Not a cursor moon gave out; use the `next` link of a page.")
    return match.group(1), int(match.group(2))


def ranking_page(key: str, position: int, limit: int) -> tuple[list[int], bool]:
    """The ids at [position, position + limit) of a frozen ranking, and whether more follow."""
    raw: bytes = redis_client().getrange(  # type: ignore[assignment]  # bytes: no decoding
        _PREFIX + key, position * _ID_BYTES, (position + limit + 1) * _ID_BYTES - 1
    )
    if not raw and not redis_client().exists(_PREFIX + key):
        raise CursorError(
            f"This cursor's ranking expired (they last {CURSOR_TTL_SECONDS // 60} minutes); "
            "start again from the first page."
        )
    ids = array("q")
    ids.frombytes(raw[: len(raw) // _ID_BYTES * _ID_BYTES])
    return list(ids[:limit]), len(ids) > limit

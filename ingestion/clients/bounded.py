"""Reading an outside answer within bounds: a total deadline, a size cap, a nesting limit.

A read timeout alone resets on every byte, so an answer that drips one byte every few seconds
would hold a refresh forever, and a huge answer would be buffered whole. Bodies are read in
pieces against a deadline and a cap; JSON that nests deeper than Python's parser allows is
malformed like any other unreadable body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

MAX_BODY_BYTES = 8 * 1024 * 1024


class BodyRefused(Exception):
    """The body broke a bound: ``kind`` is "too_large" or "timeout"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def read_body(
    response: httpx.Response,
    *,
    deadline: float,
    limit: int = MAX_BODY_BYTES,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The body of a streamed `response`, or BodyRefused past `limit` bytes or `deadline`."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise BodyRefused("too_large", f"body of {declared} bytes, above the {limit} allowed")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise BodyRefused("too_large", f"body above the {limit} bytes allowed")
        if clock() > deadline:
            raise BodyRefused("timeout", "the answer was still arriving at the deadline")
    return bytes(body)


def loads(body: bytes | str) -> Any:
    """json.loads, with nesting too deep for the parser reported as ValueError."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("JSON nests too deeply to be read") from None

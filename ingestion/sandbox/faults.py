"""Faults on demand: the ways DexScreener and PumpPortal misbehave, switched on by config or
by POST /_sandbox/faults. Pure logic; the server turns its answers into responses."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from random import Random
from typing import Any

MODES = {
    "retry_after": ("always", "never", "alternate"),
    "rate_limit_body": ("json", "text", "alternate"),
    "ws_drop_mode": ("abort", "close"),
}
RATE_LIMIT_WINDOW_S = 60.0


class FaultError(ValueError):
    """A fault update that names an unknown fault or carries a bad value."""


@dataclass
class FaultSettings:
    """Every fault, off by default.

    rate_limit_rpm: DexScreener requests served per rolling real minute before 429 (0: none);
    rate_limit_window_s shortens that minute, so tests see a 429 pass in seconds.
    retry_after / rate_limit_body: whether a 429 carries Retry-After, and a JSON or plain-text
    body ("alternate" flips on each 429, like the real one's mixed answers).
    latency_ms (+ uniform latency_jitter_ms): added before each DexScreener answer.
    error_next: the next N requests answer error_status; error_rate: that fraction of them.
    malformed_next / malformed_rate: a 200 whose JSON body is cut in half.
    omit_rate: each token of a batch (tokens/v1, latest/dex) silently left out with this chance.
    ws_silent: the WebSocket sends nothing at all (no events, no acks, no pongs).
    ws_drop_every_s: every N real seconds, all WebSocket connections drop (0: never), the way
    ws_drop_mode says: "abort" (TCP reset, no close frame) or "close" (close frame 1001).
    ws_refuse: new WebSocket handshakes get HTTP 503.
    """

    rate_limit_rpm: int = 0
    rate_limit_window_s: float = RATE_LIMIT_WINDOW_S
    retry_after: str = "alternate"
    rate_limit_body: str = "alternate"
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    error_next: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    malformed_next: int = 0
    malformed_rate: float = 0.0
    omit_rate: float = 0.0
    ws_silent: bool = False
    ws_drop_every_s: float = 0.0
    ws_drop_mode: str = "abort"
    ws_refuse: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def updated(self, patch: Mapping[str, Any]) -> FaultSettings:
        """A copy with `patch` applied; raises FaultError naming the first bad entry."""
        fields = {field.name: field for field in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for name, value in patch.items():
            if name not in fields:
                raise FaultError(f"unknown fault {name!r}; known: {', '.join(sorted(fields))}")
            changes[name] = _checked(name, fields[name].default, value)
        return dataclasses.replace(self, **changes)


def _checked(name: str, default: object, value: object) -> object:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise FaultError(f"{name} must be true or false")
        return value
    if isinstance(default, str):
        if value not in MODES[name]:
            raise FaultError(f"{name} must be one of {', '.join(MODES[name])}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FaultError(f"{name} must be a number >= 0")
    if name.endswith("_rate") and value > 1:
        raise FaultError(f"{name} is a fraction between 0 and 1")
    if name == "error_status" and not 500 <= value <= 599:
        raise FaultError("error_status must be a 5xx status")
    return int(value) if isinstance(default, int) else float(value)


@dataclass(frozen=True)
class CannedResponse:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]


class FaultGate:
    """Decides, request by request, which fault (if any) hits. Deterministic for a seed."""

    def __init__(self, settings: FaultSettings | None = None, seed: int = 0) -> None:
        self.settings = settings or FaultSettings()
        self._rng = Random(f"{seed}:faults")
        self._served: deque[float] = deque()
        self._limited = 0

    def update(self, patch: Mapping[str, Any]) -> FaultSettings:
        self.settings = self.settings.updated(patch)
        return self.settings

    def reset(self) -> FaultSettings:
        self.settings = FaultSettings()
        self._served.clear()
        return self.settings

    def latency_s(self) -> float:
        s = self.settings
        jitter = self._rng.uniform(0, s.latency_jitter_ms) if s.latency_jitter_ms else 0.0
        return (s.latency_ms + jitter) / 1000

    def rate_limit(self, now_s: float) -> CannedResponse | None:
        """A 429 when `rate_limit_rpm` requests were served in the last window (60 real seconds)
        (served requests are remembered even while no limit is set, as the real one does)."""
        window = self.settings.rate_limit_window_s
        while self._served and self._served[0] <= now_s - window:
            self._served.popleft()
        limit = self.settings.rate_limit_rpm
        if not limit or len(self._served) < limit:
            self._served.append(now_s)
            return None
        self._limited += 1
        wait = max(1, math.ceil(self._served[0] + window - now_s))
        return self._too_many(wait)

    def _too_many(self, wait_s: int) -> CannedResponse:
        s, odd = self.settings, self._limited % 2 == 1
        headers = {}
        if s.retry_after == "always" or (s.retry_after == "alternate" and odd):
            headers["Retry-After"] = str(wait_s)
        if s.rate_limit_body == "json" or (s.rate_limit_body == "alternate" and odd):
            body = json.dumps({"error": "Too Many Requests"}).encode()
            return CannedResponse(429, body, "application/json", headers)
        return CannedResponse(429, b"error code: 1015", "text/plain", headers)

    def server_error(self) -> CannedResponse | None:
        s = self.settings
        if s.error_next:
            s.error_next -= 1
        elif not (s.error_rate and self._rng.random() < s.error_rate):
            return None
        title = f"{s.error_status} Server Error"
        body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return CannedResponse(s.error_status, body.encode(), "text/html", {})

    def malformed(self) -> bool:
        s = self.settings
        if s.malformed_next:
            s.malformed_next -= 1
            return True
        return bool(s.malformed_rate and self._rng.random() < s.malformed_rate)

    def omit(self, mints: list[str]) -> list[str]:
        """The mints kept in a batch answer; each is dropped with probability omit_rate."""
        rate = self.settings.omit_rate
        if not rate:
            return mints
        return [mint for mint in mints if self._rng.random() >= rate]


def truncate(body: bytes) -> bytes:
    """Half a JSON document: never parseable (a bare array or object loses its closing)."""
    return body[: max(1, len(body) // 2)]

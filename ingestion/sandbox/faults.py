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

# The Solana RPC methods the sandbox serves (rpc.py answers exactly these).
RPC_METHODS = (
    "getAccountInfo",
    "getMultipleAccounts",
    "getTokenSupply",
    "getTokenLargestAccounts",
    "getTokenAccountsByOwner",
    "getSignaturesForAddress",
    "getTransaction",
    "getHealth",
    "getSlot",
)
# JSON-RPC errors a node or provider answers with HTTP 200: (code, message, data).
RPC_ERRORS: dict[str, tuple[int, str, dict[str, Any] | None]] = {
    "node_behind": (-32005, "Node is behind by 150 slots", {"numSlotsBehind": 150}),
    "node_unhealthy": (-32005, "Node is unhealthy", {"numSlotsBehind": None}),
    "rate_limited": (-32429, "Rate limit exceeded", None),  # a provider's code, not Agave's
    "internal": (-32603, "Internal error", None),
    "index_overloaded": (-32603, "account index service overloaded, please try again.", None),
    "long_term_storage": (-32019, "Failed to query long-term storage; please try again", None),
}
RPC_RATE_LIMIT_MESSAGE = (
    "Too many requests for a specific RPC call, contact your app developer or support@rpcpool.com."
)
MODES = {
    "retry_after": ("always", "never", "alternate"),
    "rate_limit_body": ("json", "text", "alternate"),
    "ws_drop_mode": ("abort", "close"),
    "rpc_retry_after": ("always", "never", "alternate"),
    "rpc_error": tuple(RPC_ERRORS),
    "rpc_error_method": ("any", *RPC_METHODS),
    "rpc_history_mode": ("empty", "skipped", "missing"),
}
RATE_LIMIT_WINDOW_S = 60.0
RPC_RATE_LIMIT_WINDOW_S = 10.0


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
    ws_omit_migration_rate: each migration frame is silently never sent with this chance (the
    same mints for a seed and rate); the chain still lists those graduations.

    The Solana RPC (POST /solana) has its own, never touching DexScreener's:
    rpc_latency_ms: added before each answer. rpc_hang_next: the next N requests get no answer
    until the client gives up (a timeout). rpc_rate_limit: HTTP 429 beyond N requests per
    rolling rpc_rate_limit_window_s (10 s, like the public endpoint); rpc_http429_next: the
    next N requests get the 429 whatever the rate; rpc_retry_after: whether it says when.
    rpc_error_next / rpc_error_rate: JSON-RPC error objects (HTTP 200) of kind rpc_error, on
    calls to rpc_error_method ("any" or one method). rpc_no_token_index: getTokenLargestAccounts
    answers -32010, as public mainnet does. rpc_history_horizon_s: transactions older than this
    (simulated seconds, 0: keep all) are pruned; rpc_history_mode says how that shows: "empty"
    (lists end there, getTransaction answers null), "skipped" (-32007) or "missing" (-32009).
    rpc_block_time_lag_s: signatures younger than this list blockTime null.
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
    ws_omit_migration_rate: float = 0.0
    rpc_latency_ms: int = 0
    rpc_hang_next: int = 0
    rpc_rate_limit: int = 0
    rpc_rate_limit_window_s: float = RPC_RATE_LIMIT_WINDOW_S
    rpc_http429_next: int = 0
    rpc_retry_after: str = "alternate"
    rpc_error_next: int = 0
    rpc_error_rate: float = 0.0
    rpc_error: str = "node_behind"
    rpc_error_method: str = "any"
    rpc_no_token_index: bool = False
    rpc_history_horizon_s: float = 0.0
    rpc_history_mode: str = "empty"
    rpc_block_time_lag_s: float = 0.0

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
        self._seed = seed
        self._rng = Random(f"{seed}:faults")
        self._rpc_rng = Random(f"{seed}:rpc-faults")
        self._served: deque[float] = deque()
        self._rpc_served: deque[float] = deque()
        self._limited = 0
        self._rpc_limited = 0

    def update(self, patch: Mapping[str, Any]) -> FaultSettings:
        self.settings = self.settings.updated(patch)
        return self.settings

    def reset(self) -> FaultSettings:
        self.settings = FaultSettings()
        self._served.clear()
        self._rpc_served.clear()
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

    def omit_migration(self, mint: str) -> bool:
        """Whether the feed leaves this graduation's frame out: fixed per (seed, mint), so the
        same rate always loses the same frames."""
        rate = self.settings.ws_omit_migration_rate
        return bool(rate) and Random(f"{self._seed}:omit:{mint}").random() < rate

    def rpc_latency_s(self) -> float:
        return self.settings.rpc_latency_ms / 1000

    def rpc_hang(self) -> bool:
        if not self.settings.rpc_hang_next:
            return False
        self.settings.rpc_hang_next -= 1
        return True

    def rpc_rate_limit(self, now_s: float, request_id: Any) -> CannedResponse | None:
        """The public endpoint's 429 (its JSON-RPC-looking body reuses the HTTP status as code)
        beyond `rpc_rate_limit` requests per window, or for the next `rpc_http429_next`."""
        s = self.settings
        window = s.rpc_rate_limit_window_s
        while self._rpc_served and self._rpc_served[0] <= now_s - window:
            self._rpc_served.popleft()
        if s.rpc_http429_next:
            s.rpc_http429_next -= 1
            wait = math.ceil(window)
        elif not s.rpc_rate_limit or len(self._rpc_served) < s.rpc_rate_limit:
            self._rpc_served.append(now_s)
            return None
        else:
            wait = max(1, math.ceil(self._rpc_served[0] + window - now_s))
        self._rpc_limited += 1
        odd = self._rpc_limited % 2 == 1
        headers = {}
        if s.rpc_retry_after == "always" or (s.rpc_retry_after == "alternate" and odd):
            headers["Retry-After"] = str(wait)
        error = {"code": 429, "message": RPC_RATE_LIMIT_MESSAGE}
        body = json.dumps({"jsonrpc": "2.0", "error": error, "id": request_id}).encode()
        return CannedResponse(429, body, "application/json", headers)

    def rpc_error(self, method: str) -> dict[str, Any] | None:
        """A JSON-RPC error object for this call, if one is due."""
        s = self.settings
        if s.rpc_error_method not in ("any", method):
            return None
        if s.rpc_error_next:
            s.rpc_error_next -= 1
        elif not (s.rpc_error_rate and self._rpc_rng.random() < s.rpc_error_rate):
            return None
        code, message, data = RPC_ERRORS[s.rpc_error]
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        return error


def truncate(body: bytes) -> bytes:
    """Half a JSON document: never parseable (a bare array or object loses its closing)."""
    return body[: max(1, len(body) // 2)]

"""Counters of what the sandbox served, reported at GET /_sandbox/stats."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

API_ENDPOINTS = ("tokens", "token_pairs", "latest_dex")
FRAME_KINDS = ("ack", "create", "migrate", "message")
OMITTED_MINTS_KEPT = 1000


class SandboxStats:
    """Requests per DexScreener endpoint, statuses, fault outcomes, WS frames and connections,
    migration frames the feed left out, and the Solana RPC's requests, calls and errors."""

    def __init__(self) -> None:
        self.ws_open = 0
        self.reset()

    def reset(self) -> None:
        """Zero every counter; the open-connection gauge keeps telling the truth."""
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.frames: Counter[str] = Counter()
        self.mints_requested = 0
        self.omitted_tokens = 0
        self.malformed = 0
        self.latency_added_ms = 0
        self.ws_opened = 0
        self.ws_dropped = 0
        self.ws_refused = 0
        self.omitted_migrations: deque[str] = deque(maxlen=OMITTED_MINTS_KEPT)
        self.omitted_migration_count = 0
        self.rpc_requests = 0
        self.rpc_calls: Counter[str] = Counter()
        self.rpc_errors: Counter[int] = Counter()
        self.rpc_statuses: Counter[int] = Counter()
        self.rpc_hung = 0
        self.rpc_latency_added_ms = 0

    def snapshot(self, now_ms: int) -> dict[str, Any]:
        rate_limited = self.statuses[429]
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        return {
            "now_ms": now_ms,
            "requests": {
                **{name: self.requests[name] for name in API_ENDPOINTS},
                "total": sum(self.requests.values()),
            },
            "responses": {str(status): n for status, n in sorted(self.statuses.items())},
            "rate_limited": rate_limited,
            "server_errors": server_errors,
            "malformed": self.malformed,
            "omitted_tokens": self.omitted_tokens,
            "mints_requested": self.mints_requested,
            "latency_added_ms": self.latency_added_ms,
            "frames": {
                **{kind: self.frames[kind] for kind in FRAME_KINDS},
                "total": sum(self.frames.values()),
            },
            "ws": {
                "opened": self.ws_opened,
                "open": self.ws_open,
                "dropped": self.ws_dropped,
                "refused": self.ws_refused,
            },
            "omitted_migrations": {
                "count": self.omitted_migration_count,
                "mints": list(self.omitted_migrations),
            },
            "rpc": {
                "requests": self.rpc_requests,
                "calls": {**dict(sorted(self.rpc_calls.items())), "total": self.rpc_calls.total()},
                "errors": {str(code): n for code, n in sorted(self.rpc_errors.items())},
                "responses": {str(status): n for status, n in sorted(self.rpc_statuses.items())},
                "rate_limited": self.rpc_statuses[429],
                "hung": self.rpc_hung,
                "latency_added_ms": self.rpc_latency_added_ms,
            },
        }

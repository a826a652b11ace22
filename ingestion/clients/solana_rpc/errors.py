"""What can go wrong on a Solana JSON-RPC call, sorted into the kinds callers act on."""

from __future__ import annotations

from typing import Any, Literal

ErrorKind = Literal[
    "rate_limited",
    "node_behind",
    "internal",
    "timeout",
    "transport",
    "http_5xx",
    "http_4xx",
    "unsupported",
    "invalid",
    "pruned",
    "too_large",
    "malformed",
    "rpc",
]

RETRIED_KINDS: frozenset[ErrorKind] = frozenset(
    {"rate_limited", "node_behind", "internal", "timeout", "transport", "http_5xx"}
)
# Skipped or pruned slots (-32007, -32009) and missing history (-32011) describe what this node
# keeps; asking it again a second later gets the same answer, so they are not retried.
_KINDS_BY_CODE: dict[int, ErrorKind] = {
    -32004: "node_behind",
    -32005: "node_behind",
    -32014: "node_behind",
    -32016: "node_behind",
    -32429: "rate_limited",
    429: "rate_limited",
    -32603: "internal",
    -32019: "internal",
    -32007: "pruned",
    -32009: "pruned",
    -32011: "pruned",
    -32010: "unsupported",
    -32015: "unsupported",
    -32601: "unsupported",
    -32600: "invalid",
    -32602: "invalid",
}
_RATE_LIMIT_WORDS = ("rate limit", "too many requests")


def classify_rpc_error(code: int, message: str) -> ErrorKind:
    """The kind of a JSON-RPC error object; providers that invent their own rate-limit code
    still say so in the message."""
    kind = _KINDS_BY_CODE.get(code)
    if kind is not None:
        return kind
    if any(words in message.lower() for words in _RATE_LIMIT_WORDS):
        return "rate_limited"
    return "rpc"


class SolanaRpcError(Exception):
    """A call that failed for good. ``kind`` drives the caller's fallback; ``code`` is the
    JSON-RPC error code (or None), ``status`` the HTTP status (or None), ``attempts`` the
    requests spent on the call (0 when it was refused before any)."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        method: str | None = None,
        code: int | None = None,
        status: int | None = None,
        data: Any = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(f"{method or 'solana rpc'}: {kind}: {message}")
        self.kind: ErrorKind = kind
        self.message = message
        self.method = method
        self.code = code
        self.status = status
        self.data = data
        self.attempts = attempts

    @property
    def retryable(self) -> bool:
        """Whether trying later might succeed: the kinds this client retries itself."""
        return self.kind in RETRIED_KINDS


class SolanaRpcShapeError(SolanaRpcError):
    """An answer that is not JSON, not JSON-RPC, or not the documented shape for its method."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__("malformed", message, **details)

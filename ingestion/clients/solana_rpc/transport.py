"""One JSON-RPC request at a time: the budget, the retries, the deadline, reading the body."""

from __future__ import annotations

import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from ..dexscreener import parse_retry_after
from ..ratelimit import RateLimiter, RateLimiterError
from .decode import describe
from .errors import (
    RETRIED_KINDS,
    ErrorKind,
    SolanaRpcError,
    SolanaRpcShapeError,
    classify_rpc_error,
)

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://api.mainnet-beta.solana.com"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
DEFAULT_DEADLINE = 30.0
MAX_BODY_BYTES = 8 * 1024 * 1024
# Only the JSON-RPC error object of a failed answer is of interest; a proxy's error page is not.
MAX_ERROR_BODY_BYTES = 64 * 1024
# Triton, who runs the public endpoints, asks clients to pause for 10 s after a 429.
DEFAULT_PENALTY = 10.0
MAX_DEFAULT_PENALTY = 120.0
MIN_PENALTY = 1.0
Commitment = Literal["confirmed", "finalized"]
RequestObserver = Callable[[str, "int | None", float], None]
LimiterSource = Callable[[str], RateLimiter] | Mapping[str, RateLimiter]


@dataclass
class _Failure:
    """One failed request, and what it asks of the retry loop."""

    kind: ErrorKind
    message: str
    retry: bool
    code: int | None = None
    status: int | None = None
    data: Any = None
    backoff: bool = True
    # False when the budget refused the request before it was sent.
    sent: bool = True


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except RecursionError:
        return _Failure("malformed", "body nests too deeply to be a JSON-RPC answer", retry=False)
    except ValueError as exc:
        return _Failure("malformed", f"body is not JSON: {exc}", retry=False)


def _error_object(body: bytes) -> Mapping[str, Any] | None:
    decoded = _decode_json(body) if body else None
    error = decoded.get("error") if isinstance(decoded, dict) else None
    return error if isinstance(error, dict) else None


class RpcTransport:
    """The request machinery under ``SolanaRpcClient``; see its docstring for the options."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        limiter_for: LimiterSource | None = None,
        limiter: RateLimiter | None = None,
        http: httpx.Client | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        acquire_timeout: float | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        commitment: Commitment = "confirmed",
        on_request: RequestObserver | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if limiter_for is None and limiter is None:
            raise ValueError("a Solana RPC client needs a request budget (limiter_for or limiter)")
        if commitment not in ("confirmed", "finalized"):
            raise ValueError(f"commitment must be 'confirmed' or 'finalized', got {commitment!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.url = url
        self.limiter = limiter
        self.timeout = timeout
        self.deadline = deadline
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.acquire_timeout = acquire_timeout
        self.max_body_bytes = max_body_bytes
        self.commitment = commitment
        self.on_request = on_request
        self._method_limiter = _method_limiter_lookup(limiter_for)
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout)
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._wall_clock = wall_clock
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._rate_limited_in_a_row = 0

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _call(self, method: str, params: list[Any], *, retry: bool = True) -> Any:
        deadline = self._clock() + self.deadline
        attempts = sent = 0
        answered: _Failure | None = None
        while True:
            attempts += 1
            outcome = self._attempt(method, params, deadline)
            if not isinstance(outcome, _Failure):
                return outcome
            if not outcome.sent and answered is not None:
                # The budget refused a retry: the node's last answer says more about why.
                raise self._give_up(method, answered, sent)
            sent += outcome.sent
            answered = outcome if outcome.sent else None
            if retry and outcome.retry and attempts < self.max_attempts:
                delay = self._backoff_delay(attempts) if outcome.backoff else 0.0
                if self._clock() + delay < deadline:
                    if delay:
                        self._sleep(delay)
                    continue
            raise self._give_up(method, outcome, sent)

    def _give_up(self, method: str, failure: _Failure, sent: int) -> SolanaRpcError:
        details: dict[str, Any] = {
            "method": method,
            "code": failure.code,
            "status": failure.status,
            "data": failure.data,
            "attempts": sent,
        }
        logger.warning("solana rpc %s failed after %d request(s): %s", method, sent, failure)
        if failure.kind == "malformed":
            return SolanaRpcShapeError(failure.message, **details)
        return SolanaRpcError(failure.kind, failure.message, **details)

    def _attempt(self, method: str, params: list[Any], deadline: float) -> Any:
        refused = self._pay(method, deadline)
        if refused is not None:
            return refused
        request_id = next(self._ids)
        payload: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params:
            payload["params"] = params
        started = time.monotonic()
        status: int | None = None
        try:
            with self._http.stream(
                "POST",
                self.url,
                content=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                timeout=self._timeout_within(deadline),
            ) as response:
                status = response.status_code
                body = self._read_body(response, deadline)
                if isinstance(body, _Failure):
                    return body
        except httpx.TimeoutException as exc:
            return _Failure("timeout", f"{type(exc).__name__}: {exc}", retry=True)
        except httpx.TransportError as exc:
            return _Failure("transport", f"{type(exc).__name__}: {exc}", retry=True)
        except httpx.DecodingError as exc:
            return _Failure("malformed", f"undecodable body: {exc}", retry=False, status=status)
        except httpx.RequestError as exc:
            return _Failure("transport", f"{type(exc).__name__}: {exc}", retry=False)
        finally:
            self._observe(method, status, time.monotonic() - started)
        return self._interpret(method, request_id, response, body)

    def _pay(self, method: str, deadline: float) -> _Failure | None:
        for limiter in self._limiters(method):
            remaining = deadline - self._clock()
            wait = (
                remaining if self.acquire_timeout is None else min(self.acquire_timeout, remaining)
            )
            try:
                limiter.acquire(max(0.0, wait))
            except RateLimiterError as exc:
                return _Failure("rate_limited", str(exc), retry=False, sent=False)
        return None

    def _limiters(self, method: str) -> list[RateLimiter]:
        own = self._method_limiter(method)
        if own is None or own is self.limiter:
            return [] if self.limiter is None else [self.limiter]
        return [own] if self.limiter is None else [own, self.limiter]

    def _timeout_within(self, deadline: float) -> httpx.Timeout:
        remaining = max(0.001, deadline - self._clock())

        def cap(seconds: float | None) -> float:
            return remaining if seconds is None else min(seconds, remaining)

        phases = self.timeout
        return httpx.Timeout(
            connect=cap(phases.connect),
            read=cap(phases.read),
            write=cap(phases.write),
            pool=cap(phases.pool),
        )

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes | _Failure:
        """The body, read in pieces so that neither its size nor a slow drip can run away."""
        success = 200 <= response.status_code < 300
        limit = self.max_body_bytes if success else min(self.max_body_bytes, MAX_ERROR_BODY_BYTES)
        declared = response.headers.get("Content-Length", "").strip()
        too_large = _Failure(
            "too_large", f"body above {limit} bytes", retry=False, status=response.status_code
        )
        if success and declared.isdigit() and int(declared) > limit:
            return too_large
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                if not success:
                    return bytes(body[:limit])
                return too_large
            if self._clock() > deadline:
                return _Failure("timeout", "call deadline passed while reading", retry=False)
        return bytes(body)

    def _interpret(
        self, method: str, request_id: int, response: httpx.Response, body: bytes
    ) -> Any:
        outcome = self._read_answer(method, request_id, response, body)
        if not isinstance(outcome, _Failure) or outcome.kind != "rate_limited":
            with self._lock:
                self._rate_limited_in_a_row = 0
        return outcome

    def _read_answer(
        self, method: str, request_id: int, response: httpx.Response, body: bytes
    ) -> Any:
        status = response.status_code
        if status == 429:
            return self._rate_limited(method, response, status, _error_object(body))
        if status >= 500:
            return _Failure("http_5xx", f"HTTP {status}", retry=True, status=status)
        if not 200 <= status < 300:
            return self._refused(method, response, status, body)
        envelope = _decode_json(body)
        if isinstance(envelope, _Failure):
            envelope.status = status
            return envelope
        if not isinstance(envelope, dict):
            return _Failure("malformed", "answer is not a JSON-RPC object", retry=False)
        if envelope.get("error") is not None:
            return self._rpc_error(method, response, status, envelope["error"])
        if envelope.get("id") != request_id:
            found = describe(envelope.get("id"))
            return _Failure("malformed", f"answer to id {request_id} has id {found}", retry=False)
        if "result" not in envelope:
            return _Failure("malformed", "answer has neither result nor error", retry=False)
        return envelope["result"]

    def _refused(self, method: str, response: httpx.Response, status: int, body: bytes) -> _Failure:
        """A 4xx other than 429: the JSON-RPC error inside, when there is one, says more."""
        error = _error_object(body)
        failure = None if error is None else self._rpc_error(method, response, status, error)
        if failure is None or failure.kind == "malformed":
            return _Failure("http_4xx", f"HTTP {status}", retry=False, status=status)
        if failure.kind == "rpc":
            failure.kind = "http_4xx"
        return failure

    def _rpc_error(
        self, method: str, response: httpx.Response, status: int, error: Any
    ) -> _Failure:
        code = error.get("code") if isinstance(error, dict) else None
        if isinstance(code, bool) or not isinstance(code, int):
            return _Failure("malformed", f"error object without a code: {error!r:.100}", False)
        message = error.get("message")
        text = message if isinstance(message, str) else f"JSON-RPC error {code}"
        kind = classify_rpc_error(code, text)
        if kind == "rate_limited":
            return self._rate_limited(method, response, status, error)
        retry = kind in RETRIED_KINDS
        return _Failure(kind, text, retry, code=code, status=status, data=error.get("data"))

    def _rate_limited(
        self,
        method: str,
        response: httpx.Response,
        status: int,
        error: Mapping[str, Any] | None,
    ) -> _Failure:
        with self._lock:
            self._rate_limited_in_a_row += 1
            repeats = self._rate_limited_in_a_row
        asked = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock())
        if asked is not None:
            penalty = max(asked, MIN_PENALTY)
        else:
            penalty = min(DEFAULT_PENALTY * 2.0 ** (repeats - 1), MAX_DEFAULT_PENALTY)
        logger.warning(
            "solana rpc %s: rate limited, every process backs off %.1fs", method, penalty
        )
        for limiter in self._limiters(method):
            try:
                limiter.penalize(penalty)
            except RateLimiterError:
                # The retry's acquire() meets the same broken limiter and reports it.
                logger.exception("solana rpc: could not share the rate-limit penalty")
        code = error.get("code") if error else None
        message = error.get("message") if error else None
        text = message if isinstance(message, str) else f"HTTP {status}"
        return _Failure(
            "rate_limited",
            f"{text} (backed off {penalty:.1f}s)",
            retry=True,
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            status=status,
            # The buckets now hold every request back; sleeping here too would wait twice.
            backoff=False,
        )

    def _backoff_delay(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._jitter())

    def _observe(self, method: str, status: int | None, elapsed: float) -> None:
        if self.on_request is None:
            return
        try:
            self.on_request(method, status, elapsed)
        except Exception:
            logger.exception("solana rpc: on_request observer failed")


def _method_limiter_lookup(source: LimiterSource | None) -> Callable[[str], RateLimiter | None]:
    if source is None:
        return lambda method: None
    if isinstance(source, Mapping):
        return source.get
    return source

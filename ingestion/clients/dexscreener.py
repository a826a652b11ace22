"""DexScreener REST client: the pools of many tokens, 30 per request, inside one shared budget.

Pairs come back as raw dicts: the scoring engine validates their fields. This module only makes
sure that every asked mint ends with either its list of pairs (possibly empty: "no pools yet") or
one ``FetchError`` saying why not.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Literal
from urllib.parse import quote

import httpx

from .bounded import MAX_BODY_BYTES, BodyRefused, loads, read_body
from .ratelimit import RateLimiter, RateLimiterError

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.dexscreener.com"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
DEFAULT_DEADLINE = 20.0  # one request, sent and answered in full, within this many seconds
BATCH_SIZE = 30
MAX_RETRY_AFTER = 600.0
MIN_PENALTY = 1.0
DEFAULT_PENALTY = 10.0
MAX_DEFAULT_PENALTY = 120.0

ErrorKind = Literal["transport", "http_5xx", "http_4xx", "rate_limited", "malformed"]
RequestObserver = Callable[[str, "int | None", float], None]


@dataclass(frozen=True)
class FetchError:
    """Why a mint has no answer: the kind drives the fallback, the message goes to the logs.

    Kinds: ``transport`` (connection, timeout, protocol errors), ``http_5xx``, ``rate_limited``
    (429s outlasting the retries, or no token from the limiter in time), ``malformed`` (a body
    that is not JSON or not an array), ``http_4xx`` (any other non-2xx status, never retried).
    """

    kind: ErrorKind
    message: str


@dataclass(frozen=True)
class BatchResult:
    """Every asked mint is a key of exactly one of ``pairs`` and ``errors``.

    ``requests`` counts the HTTP requests sent (retries included); ``dropped`` the pair objects
    thrown away because they were not objects or had no string ``baseToken.address``.
    """

    pairs: dict[str, list[dict[str, Any]]]
    errors: dict[str, FetchError]
    requests: int
    dropped: int = 0


class DexScreenerError(Exception):
    """A single-token fetch failed; ``error`` says how."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(f"{error.kind}: {error.message}")
        self.error = error


@dataclass
class _Tally:
    requests: int = 0
    dropped: int = 0


@dataclass
class _Attempt:
    """One failed request, and what it asks of the retry loop."""

    error: FetchError
    retry: bool
    backoff: bool = True


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delay-seconds or HTTP-date); None if unusable.

    A date already past means "now" (0); anything negative, unparsable or above
    ``MAX_RETRY_AFTER`` is not trusted.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        until_date = _seconds_until_http_date(text, now)
        if until_date is None:
            return None
        seconds = max(0.0, until_date)
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_RETRY_AFTER:
        return None
    return seconds


def _seconds_until_http_date(text: str, now: float) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() - now


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _base_address(pair: Any) -> str | None:
    if not isinstance(pair, dict):
        return None
    base = pair.get("baseToken")
    address = base.get("address") if isinstance(base, dict) else None
    return address if isinstance(address, str) else None


class DexScreenerClient:
    """Fetches pairs for Solana tokens, each request paid for from ``limiter``.

    Retries transport errors, timeouts and 5xx answers with exponential backoff and jitter
    (``backoff_base * 2**(n-1)``, capped at ``backoff_max``, scaled by a factor in [0.5, 1]);
    a 429 penalizes the shared limiter, so every process backs off, and is retried once the
    limiter lets requests through again. Other 4xx and malformed bodies are not retried.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        limiter: RateLimiter,
        http: httpx.Client | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        acquire_timeout: float | None = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_body_bytes: int = MAX_BODY_BYTES,
        chain: str = "solana",
        on_request: RequestObserver | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.acquire_timeout = acquire_timeout
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.chain = chain
        self.on_request = on_request
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=timeout, headers={"Accept": "application/json", "User-Agent": "moon/0.1"}
        )
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._lock = threading.Lock()  # guards the 429 streak shared by threads
        self._consecutive_429 = 0

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> DexScreenerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch_pairs(self, mints: Sequence[str]) -> BatchResult:
        """The pairs of every mint, asked 30 at a time; mints missing from a batch asked alone."""
        tally = _Tally()
        pairs: dict[str, list[dict[str, Any]]] = {}
        errors: dict[str, FetchError] = {}
        missing: list[str] = []
        for chunk in _chunks(list(dict.fromkeys(mints)), BATCH_SIZE):
            path = f"/tokens/v1/{self.chain}/{','.join(quote(m, safe='') for m in chunk)}"
            answer = self._get_pairs(path, "tokens", tally)
            if isinstance(answer, FetchError):
                errors.update(dict.fromkeys(chunk, answer))
                continue
            grouped = self._group_by_base(answer, chunk, tally)
            pairs.update((mint, grouped[mint]) for mint in chunk if grouped[mint])
            missing.extend(mint for mint in chunk if not grouped[mint])
        for mint in missing:
            single = self._token_pairs(mint, tally)
            if isinstance(single, FetchError):
                errors[mint] = single
            else:
                pairs[mint] = single
        return BatchResult(
            pairs=pairs, errors=errors, requests=tally.requests, dropped=tally.dropped
        )

    def fetch_token_pairs(self, mint: str) -> list[dict[str, Any]]:
        """Every pool of one token (``[]`` when DexScreener knows none); raises DexScreenerError."""
        answer = self._token_pairs(mint, _Tally())
        if isinstance(answer, FetchError):
            raise DexScreenerError(answer)
        return answer

    def _token_pairs(self, mint: str, tally: _Tally) -> list[dict[str, Any]] | FetchError:
        path = f"/token-pairs/v1/{self.chain}/{quote(mint, safe='')}"
        answer = self._get_pairs(path, "token-pairs", tally)
        if isinstance(answer, FetchError):
            return answer
        return self._group_by_base(answer, [mint], tally)[mint]

    def _group_by_base(
        self, answer: list[Any], mints: Sequence[str], tally: _Tally
    ) -> dict[str, list[dict[str, Any]]]:
        """Pairs keyed by the asked mint that is their base token; pairs of other tokens ignored."""
        grouped: dict[str, list[dict[str, Any]]] = {mint: [] for mint in mints}
        dropped = 0
        for pair in answer:
            address = _base_address(pair)
            if address is None:
                dropped += 1
            elif address in grouped:
                grouped[address].append(pair)
        if dropped:
            logger.warning(
                "dexscreener: dropped %d pair(s) without a string baseToken.address", dropped
            )
            tally.dropped += dropped
        return grouped

    def _get_pairs(self, path: str, endpoint: str, tally: _Tally) -> list[Any] | FetchError:
        """GET a bare array of pairs, retrying what is worth retrying."""
        retries = 0
        while True:
            attempt = self._attempt(path, endpoint, tally)
            if not isinstance(attempt, _Attempt):
                return attempt
            if not attempt.retry or retries >= self.max_retries:
                logger.warning("dexscreener %s failed: %s", path, attempt.error.message)
                return attempt.error
            retries += 1
            if attempt.backoff:
                self._sleep(self._backoff_delay(retries))

    def _attempt(self, path: str, endpoint: str, tally: _Tally) -> list[Any] | _Attempt:
        try:
            self.limiter.acquire(self.acquire_timeout)
        except RateLimiterError as exc:
            return _Attempt(FetchError("rate_limited", str(exc)), retry=False)
        tally.requests += 1
        started = time.monotonic()
        status: int | None = None
        try:
            with self._http.stream("GET", self.base_url + path, timeout=self.timeout) as response:
                status = response.status_code
                body = read_body(
                    response,
                    deadline=time.monotonic() + self.deadline,
                    limit=self.max_body_bytes,
                )
        except BodyRefused as exc:
            kind: ErrorKind = "transport" if exc.kind == "timeout" else "malformed"
            return _Attempt(FetchError(kind, str(exc)), retry=exc.kind == "timeout")
        except httpx.TransportError as exc:
            return _Attempt(FetchError("transport", f"{type(exc).__name__}: {exc}"), retry=True)
        except httpx.DecodingError as exc:
            return _Attempt(FetchError("malformed", f"undecodable body: {exc}"), retry=False)
        except httpx.RequestError as exc:
            return _Attempt(FetchError("transport", f"{type(exc).__name__}: {exc}"), retry=False)
        finally:
            self._observe(endpoint, status, time.monotonic() - started)
        return self._read(response, body)

    def _read(self, response: httpx.Response, body: bytes) -> list[Any] | _Attempt:
        status = response.status_code
        if status == 429:
            return self._rate_limited(response)
        with self._lock:
            self._consecutive_429 = 0
        if status >= 500:
            return _Attempt(FetchError("http_5xx", f"HTTP {status}"), retry=True)
        if not 200 <= status < 300:
            return _Attempt(FetchError("http_4xx", f"HTTP {status}"), retry=False)
        try:
            answer = loads(body)
        except ValueError as exc:
            return _Attempt(FetchError("malformed", f"body is not JSON: {exc}"), retry=False)
        if not isinstance(answer, list):
            shape = type(answer).__name__
            return _Attempt(FetchError("malformed", f"expected a JSON array, got {shape}"), False)
        return answer

    def _rate_limited(self, response: httpx.Response) -> _Attempt:
        with self._lock:
            self._consecutive_429 += 1
            repeats = self._consecutive_429
        asked = parse_retry_after(response.headers.get("Retry-After"), self._clock())
        if asked is not None:
            penalty = max(asked, MIN_PENALTY)
        else:
            growth = DEFAULT_PENALTY * 2.0 ** (repeats - 1)
            penalty = min(growth, MAX_DEFAULT_PENALTY)
        logger.warning("dexscreener: 429, every process backs off for %.1fs", penalty)
        try:
            self.limiter.penalize(penalty)
        except RateLimiterError:
            # The retry's acquire() meets the same broken limiter and reports it.
            logger.exception("dexscreener: could not share the 429 penalty")
        error = FetchError("rate_limited", f"HTTP 429, backed off {penalty:.1f}s")
        # The limiter now holds every request back; sleeping here as well would wait twice.
        return _Attempt(error, retry=True, backoff=False)

    def _backoff_delay(self, retry: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (retry - 1))
        return ceiling * (0.5 + 0.5 * self._jitter())

    def _observe(self, endpoint: str, status: int | None, elapsed: float) -> None:
        if self.on_request is None:
            return
        try:
            self.on_request(endpoint, status, elapsed)
        except Exception:
            logger.exception("dexscreener: on_request observer failed")

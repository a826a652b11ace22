"""What every API endpoint shares: the error shape, throttles, permissions, schema helpers.

Every error answers ``{"error": {"code": ..., "message": ..., "fields": {...}}}``: ``code`` is
stable and machine-readable, ``message`` is for humans, ``fields`` maps an input name to its
messages (empty unless the input was refused).
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token as ApiToken
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from moon.lib.queue import QueueUnavailable
from moon.lib.redis import redis_client

if TYPE_CHECKING:
    from django.http import QueryDict

    # Not at run time: DRF imports this module (throttle settings) while importing its views.
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

NON_FIELD_ERRORS = "non_field_errors"


# --- Errors ----------------------------------------------------------------------------------
class InvalidMint(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_mint"
    default_detail = "Not a Solana mint address (base58, 32 bytes)."

    def __init__(self, mint: str) -> None:
        super().__init__()
        self.fields = {"mint": [f"{mint!r} is not a Solana mint address (base58, 32 bytes)."]}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource is not in a state that allows this."


class BrokerUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "broker_unavailable"
    default_detail = "The task queue (Redis) is unreachable; nothing was queued. Try again later."


class ErrorBodySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="What went wrong, for humans.")
    fields = serializers.DictField(  # type: ignore[assignment]  # a field, not Serializer.fields
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Input name -> messages, for refused inputs; empty otherwise.",
    )


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorBodySerializer()


def error_payload(
    code: str, message: str, fields: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's handler (status, Retry-After, WWW-Authenticate), reshaped into the error shape;
    anything unexpected becomes a logged 500 in the same shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, QueueUnavailable):
        exc = BrokerUnavailable()
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)  # type: ignore[arg-type]
    if response is None:
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            error_payload("server_error", "Something went wrong on our side."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    assert isinstance(exc, exceptions.APIException)
    response.data = _reshape(exc)
    return response


def _reshape(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = (
            {str(name): _messages(value) for name, value in detail.items()}
            if isinstance(detail, Mapping)
            else {NON_FIELD_ERRORS: _messages(detail)}
        )
        return error_payload("invalid", "Some values are not valid; see fields.", fields)
    code = exc.get_codes()
    code = code if isinstance(code, str) else exc.default_code
    return error_payload(code, str(exc.detail), getattr(exc, "fields", None))


def _messages(detail: Any) -> list[str]:
    """Nested error details (list items, dict members) flattened to plain sentences: a member
    is named (`weight: ...`), a list item needs no number (its message quotes the value)."""
    if isinstance(detail, Mapping):
        return [
            text if isinstance(key, int) or str(key).isdigit() else f"{key}: {text}"
            for key, value in detail.items()
            for text in _messages(value)
        ]
    if isinstance(detail, Sequence) and not isinstance(detail, str):
        return [text for item in detail for text in _messages(item)]
    return [str(detail)]


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI descriptions of the error answers an operation can give."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[code]) for code in codes}


ERROR_TEXT = {
    400: "Malformed input: `fields` names each refused parameter.",
    401: "Credentials missing (writes) or invalid (any request): send a staff session with "
    "CSRF, or `Authorization: Token <key>`.",
    403: "Authenticated but not allowed (not staff), or a session write without CSRF.",
    404: "No such token.",
    409: "The token is archived: it is no longer refreshed.",
    429: "Throttled: wait the seconds of the `Retry-After` header.",
    503: "The task queue is unreachable; nothing was queued.",
}
READ_ERRORS = (401, 429)
WRITE_ERRORS = (400, 401, 403, 429)


RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the window of the tightest throttle that counted "
    "this request.",
    "RateLimit-Remaining": "Requests left in that window.",
    "RateLimit-Reset": "Seconds until that window starts again.",
}


def document_retry_after(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every 429 answer carries Retry-After, and every
    answer of a throttled operation the RateLimit-* headers."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            throttled = responses.get("429")
            if throttled is None:
                continue
            throttled.setdefault("headers", {})["Retry-After"] = {
                "schema": {"type": "integer", "minimum": 0},
                "description": "Seconds to wait before the next request.",
            }
            for response in responses.values():
                headers = response.setdefault("headers", {})
                for name, text in RATE_LIMIT_HEADERS.items():
                    headers[name] = {
                        "schema": {"type": "integer", "minimum": 0},
                        "description": text,
                    }
    return result


# Which answer leads to which operation (OpenAPI links): what clients and stateful tests follow.
LINKS = {
    "tokens_list": {
        "200": {
            "TokenDetail": ("tokens_retrieve", {"mint": "$response.body#/results/0/mint_address"}),
            "TokenPools": ("tokens_pools", {"mint": "$response.body#/results/0/mint_address"}),
        }
    },
    "tokens_retrieve": {
        "200": {
            "TokenPools": ("tokens_pools", {"mint": "$response.body#/mint_address"}),
            "TokenRefresh": ("tokens_refresh", {"mint": "$response.body#/mint_address"}),
        }
    },
    "tokens_refresh": {
        "202": {"RefreshTask": ("tasks_retrieve", {"task_id": "$response.body#/task_id"})}
    },
    "admin_recalculate": {
        "202": {"RecalculationTask": ("tasks_retrieve", {"task_id": "$response.body#/task_id"})}
    },
}


def document_links(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the OpenAPI links of LINKS."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for code, links in LINKS.get(operation.get("operationId", ""), {}).items():
                response = operation.get("responses", {}).get(code)
                if response is None:
                    continue
                response["links"] = {
                    name: {"operationId": target, "parameters": parameters}
                    for name, (target, parameters) in links.items()
                }
    return result


# --- Input ---------------------------------------------------------------------------------
def query_data(params: "QueryDict", *, lists: Sequence[str] = ()) -> dict[str, Any]:
    """Query parameters as a plain dict (`lists` keep every value), so that an empty value
    is refused like any other bad value instead of silently meaning the default."""
    return {key: params.getlist(key) if key in lists else params[key] for key in params}


class StrictFloatField(serializers.FloatField):
    """A number, and only a number: JSON true/false are not 1.0/0.0."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return float(super().to_internal_value(data))


class StrictCharField(serializers.CharField):
    """A string, and only a string: JSON numbers are not text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


# --- Throttling: per anonymous IP, per user, and a tighter scope for every write -------------
RATE_LIMIT_ATTRIBUTE = "moon_rate_limit"


@dataclass(frozen=True)
class RateLimit:
    """Where a client stands against its tightest throttle: the RateLimit-* headers."""

    limit: int
    remaining: int
    reset: int  # seconds until the window starts again


def _note_rate(request: Request, rate: RateLimit) -> None:
    """Keep the tightest of the throttles that counted this request."""
    current: RateLimit | None = getattr(request, RATE_LIMIT_ATTRIBUTE, None)
    if current is None or rate.remaining < current.remaining:
        setattr(request, RATE_LIMIT_ATTRIBUTE, rate)


class WindowThrottle(BaseThrottle):
    """`scope`'s rate from DEFAULT_THROTTLE_RATES ("120/min") as a fixed window per client,
    opened by the client's first request and counted atomically in Redis.

    One round trip (DRF's throttles read, then write back a list of timestamps, which races
    between gunicorn workers). When Redis is down requests pass: the API keeps serving
    from PostgreSQL rather than failing with its rate limiter.
    """

    scope = ""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def client(self, request: Request) -> str | None:
        """Who is counted; None: this throttle does not apply."""
        raise NotImplementedError

    def allow_request(self, request: Request, view: "APIView") -> bool:
        rate = self._rate()
        ident = self.client(request)
        if rate is None or ident is None:
            return True
        limit, seconds = rate
        key = f"moon:throttle:{self.scope}:{ident}"
        try:
            with redis_client().pipeline() as pipe:  # MULTI/EXEC
                pipe.set(key, 0, ex=seconds, nx=True)
                pipe.incr(key)
                pipe.ttl(key)
                _, count, ttl = pipe.execute()
        except redis.RedisError as exc:
            logger.warning("throttle %s skipped, Redis: %s", self.scope, exc)
            return True
        reset = max(int(ttl), 1)
        _note_rate(request, RateLimit(limit, max(0, limit - int(count)), reset))
        if count <= limit:
            return True
        self.retry_after = reset
        return False

    def wait(self) -> float | None:
        return self.retry_after

    def _rate(self) -> tuple[int, int] | None:
        """(requests, seconds), read at each request so that a settings change applies."""
        rates: Mapping[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"no throttle rate for the {self.scope!r} scope")
        rate: str | None = rates[self.scope]
        if rate is None:
            return None
        count, period = rate.split("/")
        return int(count), PERIODS[period[0]]


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class AnonThrottle(WindowThrottle):
    scope = "anon"

    def client(self, request: Request) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.get_ident(request)


class UserThrottle(WindowThrottle):
    scope = "user"

    def client(self, request: Request) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None  # the anon throttle counts these
        return str(request.user.pk)


class WriteThrottle(WindowThrottle):
    """The "write" scope: every unsafe request, per user (or IP)."""

    scope = "write"

    def client(self, request: Request) -> str | None:
        if request.method in SAFE_METHODS:
            return None
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"ip-{self.get_ident(request)}"


# --- Permissions -------------------------------------------------------------------------------
class ReadOrStaff(BasePermission):
    """Anyone reads; writes need a staff user (session or API token)."""

    message = "Only staff can change this."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_staff)


class StaffOrApiToken(BasePermission):
    """A staff user, or any holder of an API token an admin created (integrators)."""

    message = "Needs a staff session or an API token."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_staff or isinstance(request.auth, ApiToken))

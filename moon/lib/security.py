"""What a request may carry, and what an error page may show.

- ``RequestGuard`` answers 400 to a path or query string holding a NUL byte (PostgreSQL refuses
  NUL in text, so it would otherwise be a 500) and 413 to a body declared larger than
  DATA_UPLOAD_MAX_MEMORY_SIZE, before any view reads it; under /api/ in the API's error shape.
- ``BoundedJSONParser`` reads JSON bodies as DRF does, with nesting too deep for Python's parser
  answered 400 instead of a RecursionError 500.
- ``SecretsHidingFilter`` hides every setting and environment value whose name speaks of a URL,
  DSN or credential on the debug 500 page: DATABASE_URL, REDIS_URL and the broker carry
  passwords that Django's own filter does not recognise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.debug import SafeExceptionReporterFilter
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from moon.lib.api import error_payload
from moon.lib.logging import mask_secrets
from moon.lib.middleware import BothWays


def _refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_payload(code, message), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestGuard(BothWays):
    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return _refuse(request, 400, "bad_request", "A NUL byte is not allowed in a URL.")
        declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and declared.isdigit() and int(declared) > limit:
            return _refuse(
                request,
                413,
                "payload_too_large",
                f"The request body is {declared} bytes; at most {limit} are accepted.",
            )
        return None


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body nests too deeply to be read.") from None


class SecretsHidingFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|BROKER|BACKEND|DATABASE",
        flags=re.I,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        """By name as Django does, and any credential left in a value whatever its name."""
        cleansed = super().cleanse_setting(key, value)
        return mask_secrets(cleansed) if isinstance(cleansed, str) else cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        return [
            (name, mask_secrets(value) if isinstance(value, str) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


def client_ip(request: HttpRequest) -> str:
    """The address a login is counted against: REMOTE_ADDR, or behind NUM_PROXIES proxies
    the entry they added to X-Forwarded-For (the Nth from the right)."""
    proxies = settings.NUM_PROXIES
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if proxies and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if entries:
            return entries[-min(proxies, len(entries))]
    return str(request.META.get("REMOTE_ADDR", ""))

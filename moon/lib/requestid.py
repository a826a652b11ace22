"""A request id on every log line of a request, and on its answer (X-Request-ID).

Set when Django starts the request (its request_started signal, before any middleware, so
that Django's own request log lines carry it too) and cleared when the request ends. A client's
X-Request-ID is kept when it is a plain token; anything else gets a new id.
"""

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from moon.lib.logging import log_context_clear, log_context_get, log_context_set

HEADER = "X-Request-ID"
_GIVEN = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _started(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    given = str((environ or {}).get("HTTP_X_REQUEST_ID", ""))
    log_context_clear()
    log_context_set(request_id=given if _GIVEN.fullmatch(given) else uuid.uuid4().hex[:16])


def _finished(sender: Any, **kwargs: Any) -> None:
    log_context_clear()


request_started.connect(_started, dispatch_uid="moon.request_id")
request_finished.connect(_finished, dispatch_uid="moon.request_id")


class RequestIdMiddleware:
    """Answers with the request's id, for a client to quote when it reports a problem."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        request_id = log_context_get("request_id")
        if request_id:
            response[HEADER] = request_id
        return response

"""A request id on every log line of a request, and on its answer (X-Request-ID).

Set when Django starts the request (its request_started signal, before any middleware, so
that Django's own request log lines carry it too; under ASGI by the middleware) and cleared
when the request ends. A client's
X-Request-ID is kept when it is a plain token; anything else gets a new id.
"""

import re
import uuid
from typing import Any

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from moon.lib.logging import log_context_clear, log_context_get, log_context_set
from moon.lib.middleware import BothWays

HEADER = "X-Request-ID"
_GIVEN = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _started(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    log_context_clear()
    _set_id(str((environ or {}).get("HTTP_X_REQUEST_ID", "")))


def _set_id(given: str) -> None:
    log_context_set(request_id=given if _GIVEN.fullmatch(given) else uuid.uuid4().hex[:16])


def _finished(sender: Any, **kwargs: Any) -> None:
    log_context_clear()


request_started.connect(_started, dispatch_uid="moon.request_id")
request_finished.connect(_finished, dispatch_uid="moon.request_id")


class RequestIdMiddleware(BothWays):
    """Answers with the request's id, for a client to quote when it reports a problem.

    Under ASGI Django sends request_started from a task of its own, whose context the request
    never sees: the id is set here then, the outermost middleware, before anything logs."""

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        if not log_context_get("request_id"):
            _set_id(request.headers.get(HEADER, ""))
        return None

    def respond(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        request_id = log_context_get("request_id")
        if request_id:
            response[HEADER] = request_id
        return response

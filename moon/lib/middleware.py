"""A middleware that runs as its chain does: sync under WSGI, async under ASGI.

Under ASGI every sync-only middleware costs the request two thread hops (into a thread for it,
back to the event loop for what it wraps). A subclass says what it does with `refuse` (an
answer instead of the view's, or None) and `respond` (the view's answer, changed or not).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse


class BothWays:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def respond(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return response

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        refused = self.refuse(request)
        if refused is not None:
            return refused
        return self.respond(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        return self.respond(request, await self.get_response(request))

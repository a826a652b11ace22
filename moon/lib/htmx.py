"""Rendering shared by the pages: the whole page, or one region of it for an htmx swap."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap asks for a page's region; a history restore needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def render_page(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The page, or only its `partial` (template#partial) for an htmx request."""
    name = f"{template}#{partial}" if wants_partial(request) else template
    response = render(request, name, context)
    # The same URL answers a page or a fragment: caches must keep the two apart.
    patch_vary_headers(response, ("HX-Request",))
    return response

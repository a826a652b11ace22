"""Rendering shared by the pages, and the operators' pages: /system/ and /logs/."""

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import redis
from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from moon.health import system_status
from moon.logstore import log_records

logger = logging.getLogger(__name__)


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


# --- /system/ ---------------------------------------------------------------------------------

SYSTEM_POLL_SECONDS = 10


def _label(key: str) -> str:
    return key.replace("_", " ")


def detail_rows(data: Any, skip: Iterable[str] = ()) -> list[tuple[str, Any]]:
    """(label, value) pairs of a status dict, for a key/value table; not a dict: no rows."""
    if not isinstance(data, Mapping):
        return []
    skipped = set(skip)
    return [(_label(key), value) for key, value in data.items() if key not in skipped]


def system_sections(status: Mapping[str, Any]) -> dict[str, Any]:
    """What the /system/ page shows of moon.health.system_status(); any key may be missing."""
    checks = _mapping(status.get("checks"))
    scheduler = _mapping(status.get("scheduler"))
    groups = _mapping(scheduler.get("groups"))
    dexscreener = _mapping(status.get("dexscreener"))
    listener = _mapping(status.get("listener"))
    used, limit = dexscreener.get("used_last_minute"), dexscreener.get("limit")
    budget = 100 * used / limit if isinstance(used, int | float) and limit else None
    return {
        "status": status.get("status") or "unknown",
        "checked_at": status.get("checked_at"),
        "checks": [
            (name, bool(_get(check, "ok")), detail_rows(check, skip=("ok",)))
            for name, check in checks.items()
        ],
        "scheduler_status": scheduler.get("status") or "unknown",
        "scheduler_error": scheduler.get("error"),
        "groups": [
            (
                name,
                _get(group, "status") or "unknown",
                _get(group, "reason") or "",
                detail_rows(group, skip=("status", "reason")),
            )
            for name, group in groups.items()
        ],
        "listener": detail_rows(listener),
        "listener_state": listener.get("state") or "unknown",
        "dexscreener": detail_rows(dexscreener),
        "budget_percent": min(budget, 100.0) if budget is not None else None,
    }


def _mapping(data: Any) -> Mapping[str, Any]:
    return data if isinstance(data, Mapping) else {}


def _get(data: Any, key: str) -> Any:
    return _mapping(data).get(key)


@require_safe
def system(request: HttpRequest) -> HttpResponse:
    """Health checks, scheduler groups, listener state and DexScreener budget use."""
    try:
        status = system_status()
    except Exception as exc:  # the page must show what broke instead of failing itself
        logger.exception("system status failed")
        status = {"status": "failing", "error": str(exc)}
    context = {
        **system_sections(status),
        "error": status.get("error"),
        "poll_seconds": SYSTEM_POLL_SECONDS,
    }
    return render_page(request, "moon/system.html", "system-status", context)


# --- /logs/ -----------------------------------------------------------------------------------

LOGS_POLL_SECONDS = 3
LOG_LIMIT = 200
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SINCE_MINUTES = ((5, "5 min"), (15, "15 min"), (60, "1 hour"), (360, "6 hours"), (1440, "24 hours"))


class LogFilterForm(forms.Form):
    level = forms.ChoiceField(
        choices=[("", "Any level"), *((v, v) for v in LEVELS)], required=False
    )
    logger = forms.CharField(required=False, max_length=200)
    text = forms.CharField(required=False, max_length=200)
    since = forms.TypedChoiceField(
        choices=[("", "Any time"), *SINCE_MINUTES], coerce=int, required=False, empty_value=None
    )
    paused = forms.BooleanField(required=False)

    def query(self, now: datetime) -> dict[str, Any]:
        """log_records() arguments from the valid parameters."""
        self.is_valid()
        data = self.cleaned_data
        minutes = data.get("since")
        return {
            "level": data.get("level") or None,
            "logger": data.get("logger") or None,
            "text": data.get("text") or None,
            "since": now - timedelta(minutes=minutes) if minutes else None,
        }


@staff_member_required
@require_safe
def logs(request: HttpRequest) -> HttpResponse:
    """The stored log records of every process, newest first; live-tailing unless paused."""
    form = LogFilterForm(request.GET)
    query = form.query(timezone.now())
    error = ""
    try:
        records = log_records(**query, limit=LOG_LIMIT)
    except redis.RedisError as exc:  # say so, keep the page
        records, error = [], f"The log store is unreachable: {exc}"
    context = {
        "form": form,
        "records": records,
        "error": error,
        "limit": LOG_LIMIT,
        "paused": bool(form.cleaned_data.get("paused")),
        "now": timezone.now(),
        "poll_seconds": LOGS_POLL_SECONDS,
    }
    return render_page(request, "moon/logs.html", "log-table", context)

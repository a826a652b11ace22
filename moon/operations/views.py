"""The operators' pages: /system/ and /logs/."""

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from django import forms
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from ingestion.services.coverage import IntakeStatus
from moon.lib.htmx import render_page
from moon.operations.health import SystemStatus, system_status
from moon.operations.logstore import log_records
from moon.operations.models import worst

logger = logging.getLogger(__name__)


# --- /system/ ---------------------------------------------------------------------------------

SYSTEM_POLL_SECONDS = 10


def _label(key: str) -> str:
    return key.replace("_", " ")


def detail_rows(data: Any, skip: Iterable[str] = ()) -> list[tuple[str, Any]]:
    """(label, value) pairs of a status dict, for a key/value table; not a dict: no rows."""
    if not isinstance(data, Mapping):
        return []
    skipped = set(skip)
    return [(_label(key), _readable(value)) for key, value in data.items() if key not in skipped]


def _readable(value: Any) -> Any:
    """A list of records (the workers and their beats) as one line of words per record."""
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        return "; ".join(", ".join(f"{_label(key)} {item[key]}" for key in item) for item in value)
    return value


def system_sections(status: SystemStatus) -> dict[str, Any]:
    """What the /system/ page shows of a system status."""
    scheduler = status.scheduler
    parts = {name: check.status for name, check in status.checks.items()}
    parts["scheduler"] = scheduler.status
    if status.intake is not None:
        parts["intake"] = status.intake.status
    page_status = worst([status.status, *parts.values()])
    return {
        # The page's header: the worst of its sections, naming those not ok.
        "status": page_status,
        "troubled": [name for name, value in parts.items() if value != "ok"],
        "checked_at": status.checked_at,
        "checks": [
            (name, check.status, check.reason, check.since, detail_rows(check.details))
            for name, check in status.checks.items()
        ],
        "scheduler_status": scheduler.status,
        "scheduler_error": scheduler.error,
        "groups": [
            (name, group.status, group.reason, detail_rows(group.to_json(), skip=SKIPPED))
            for name, group in scheduler.groups.items()
        ],
        "listener": detail_rows(status.listener.to_json(), skip=("error",)),
        "listener_state": status.listener.state,
        "dexscreener": detail_rows(status.dexscreener.to_json(), skip=("error",)),
        "budget_percent": status.dexscreener.budget_percent,
        **intake_sections(status.intake),
    }


SKIPPED = ("status", "reason")
INTAKE_SHOWN = (
    "reconciler_checked_until",
    "reconciler_lag_seconds",
    "reconciler_stale_after_seconds",
    "reconciler_last_run_at",
    "reconciler_last_error",
    "listener_state",
    "min_coverage",
)


def _percent(ratio: float | None) -> str | None:
    # One decimal: 98.96% must not read as 99%, the line the alert is drawn at.
    return None if ratio is None else f"{100 * ratio:.1f}%"


def intake_sections(intake: IntakeStatus | None) -> dict[str, Any]:
    """The intake part of /system/: coverage per window, the missed mints, the reconciler."""
    if intake is None:
        return {"intake_status": None}
    body = intake.to_json()
    return {
        "intake_status": intake.status,
        "intake_reason": intake.reason,
        "intake_error": intake.error,
        "coverage": [(window, _percent(window.coverage)) for window in intake.windows],
        "missed_mints": intake.last_day.missed_mints,
        "intake": [(_label(key), body[key]) for key in INTAKE_SHOWN],
    }


@require_safe
def system(request: HttpRequest) -> HttpResponse:
    """Health checks, scheduler groups, listener state, DexScreener budget use and intake."""
    try:
        context = {**system_sections(system_status()), "error": ""}
    except Exception as exc:  # the page must show what broke instead of failing itself
        logger.exception("system status failed")
        context = {"status": "failing", "error": str(exc)}
    context["poll_seconds"] = SYSTEM_POLL_SECONDS
    # Flower shows every task: staff only, like the logs.
    context["flower_url"] = settings.FLOWER_URL if request.user.is_staff else ""
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


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class LogGroup:
    """Consecutive records that say the same thing: the newest, how many, the oldest's time."""

    record: dict[str, Any]
    count: int
    first_time: Any


def log_groups(records: Iterable[dict[str, Any]]) -> list[LogGroup]:
    """Records (newest first) with each run of repeats folded into one: same level, process,
    logger and message but for its numbers ("refreshed 3 hot tokens", "... 4 ...")."""
    groups: list[LogGroup] = []
    last_key: tuple[Any, ...] | None = None
    for record in records:
        shape = _NUMBER.sub("#", str(record.get("message", "")))
        key = (record.get("level"), record.get("process"), record.get("logger"), shape)
        if groups and key == last_key:
            newest = groups[-1]
            groups[-1] = LogGroup(newest.record, newest.count + 1, record.get("time"))
        else:
            groups.append(LogGroup(record, 1, record.get("time")))
        last_key = key
    return groups


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
        "groups": log_groups(records),
        "error": error,
        "limit": LOG_LIMIT,
        "paused": bool(form.cleaned_data.get("paused")),
        "now": timezone.now(),
        "poll_seconds": LOGS_POLL_SECONDS,
    }
    return render_page(request, "moon/logs.html", "log-table", context)

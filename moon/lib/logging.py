"""Structured logging: one JSON object per line, the same shape from every process, each
line naming its process and, inside a request or a task, its request_id or task_id."""

import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

# argv words that name moon's process roles, for processes started without MOON_PROCESS
_ROLES = {
    "worker": "worker",
    "beat": "beat",
    "flower": "flower",
    "listen_pumpfun": "listener",
    "watchdog": "watchdog",
    "runserver": "web",
    "gunicorn": "web",
}


def process_role(argv: list[str] | None = None) -> str:
    """The process's role (web, worker, beat, listener, ...): MOON_PROCESS as the Procfile sets
    it, else guessed from the command line; "" when neither tells."""
    role = os.environ.get("MOON_PROCESS", "")
    if role:
        return role
    for word in argv if argv is not None else sys.argv:
        name = os.path.basename(word)
        if name in _ROLES:
            return _ROLES[name]
    return ""


PROCESS_NAME = process_role()


# Secrets: a query parameter named like a credential (PumpPortal's ?api-key=, RPC providers'
# ?api-key= and ?token=), the password of user:password@host (to the last @ of the authority),
# an Authorization header, and a credential in a repr'd mapping ({'api_key': '...'}).
_SECRET_NAMES = r"api[-_]?key|apikey|key|token|access[-_]?token|auth|secret|password|signature"  # noqa: S105
_SECRET_PARAM = re.compile(rf"(?i)((?:^|[?&;\s])(?:{_SECRET_NAMES})=)[^&;#\s'\"]+")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)[^/\s'\"]*@")
_AUTHORIZATION = re.compile(r"(?i)(authorization:?\s*(?:token|bearer|basic)\s+)\S+")
_SECRET_ITEM = re.compile(rf"(?i)(['\"](?:{_SECRET_NAMES})['\"]\s*:\s*['\"])[^'\"]+")
MASK = "***"


def mask_secrets(text: str) -> str:
    """``text`` with credentials replaced by ***: every log line goes through it."""
    if "=" not in text and "@" not in text and ":" not in text:
        return text
    text = _SECRET_PARAM.sub(rf"\1{MASK}", text)
    text = _USERINFO.sub(rf"\1{MASK}@", text)
    text = _AUTHORIZATION.sub(rf"\1{MASK}", text)
    return _SECRET_ITEM.sub(rf"\1{MASK}", text)


# What every line logged in the current request or task carries (request_id, task_id, task).
_CONTEXT: ContextVar[dict[str, str]] = ContextVar("moon_log_context", default={})  # noqa: B039


@contextlib.contextmanager
def log_context(**fields: str) -> Iterator[None]:
    """Every record logged inside carries `fields`."""
    token = _CONTEXT.set({**_CONTEXT.get(), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def log_context_set(**fields: str) -> None:
    """Set fields until log_context_clear(): for code that starts and ends in two hooks
    (Celery's task_prerun and task_postrun)."""
    _CONTEXT.set({**_CONTEXT.get(), **fields})


def log_context_clear() -> None:
    _CONTEXT.set({})


def log_context_get(field: str) -> str:
    return _CONTEXT.get().get(field, "")


def record_to_dict(record: logging.LogRecord) -> dict[str, Any]:
    """The JSON fields of a record: time, level, logger, message, process, and any `extra`."""
    data: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": mask_secrets(record.getMessage()),
        "process": PROCESS_NAME or record.processName,
        "pid": record.process,
        **_CONTEXT.get(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            data[key] = mask_secrets(value) if isinstance(value, str) else value
    if record.exc_info:
        data["exc_info"] = mask_secrets(logging.Formatter().formatException(record.exc_info))
    return data


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_to_dict(record), default=str)


PROBES = ("/health", "/metrics", "/version")


class ProbeAnswers(logging.Filter):
    """A health probe answering 503 is the probe doing its job, not an error of moon's: Django
    logs every 5xx at ERROR, so these are lowered to WARNING (the failing part logs its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and record.levelno >= logging.ERROR:
            request = getattr(record, "request", None)
            path = str(getattr(request, "path", ""))
            if getattr(record, "status_code", None) == 503 and path.startswith(PROBES):
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True

"""Structured logging: one JSON object per line, the same shape from every process."""

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

# argv words that name moon's process roles, for processes started without MOON_PROCESS
_ROLES = {
    "worker": "worker",
    "beat": "beat",
    "flower": "flower",
    "listen_pumpfun": "listener",
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


def record_to_dict(record: logging.LogRecord) -> dict[str, Any]:
    """The JSON fields of a record: time, level, logger, message, process, and any `extra`."""
    data: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
        "process": PROCESS_NAME or record.processName,
        "pid": record.process,
    }
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            data[key] = value
    if record.exc_info:
        data["exc_info"] = logging.Formatter().formatException(record.exc_info)
    return data


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_to_dict(record), default=str)

"""Status reports as typed values: each part of moon describes itself with a frozen dataclass.

``to_json()`` gives the mapping that /health, /health/scheduler and /metrics answer with
(datetimes stay datetimes: Django's JSON encoder writes them as ISO 8601). Pages read the
attributes directly.
"""

import dataclasses
from typing import Any


class StatusReport:
    """Mixin for frozen dataclasses: nested reports, mappings and lists become plain JSON."""

    def to_json(self) -> dict[str, Any]:
        """Every field; ``error`` only when there is one."""
        body = {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self)  # type: ignore[arg-type]
        }
        if "error" in body and not body["error"]:
            del body["error"]
        return body


def _plain(value: Any) -> Any:
    if isinstance(value, StatusReport):
        return value.to_json()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value

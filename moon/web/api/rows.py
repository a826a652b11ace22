"""Token rows rendered by PostgreSQL: the list's answer without a Python object per token.

Measured on the list (50 tokens a page), most of a request went to turning rows into Django
models, decoding their four JSON columns and encoding them again. On PostgreSQL the query
itself returns each row as the JSON text TokenSerializer would produce (the same fields, the
same values, datetimes in the same ISO 8601 with `Z`), in the page's order, and the view
splices those texts into the page. Elsewhere (SQLite, `make run`'s default) the serializer
renders them. tests/api/test_rows.py holds the two renderings equal.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from moon.web.api.serializers import TOKEN_COLUMNS, TokenSerializer
from scoring.models import ScoringSettings
from tokens.models import Token

RISK_KEYS = ("checked_at", "complete", "flags")
_TABLE = Token._meta.db_table
_COLUMNS = {field.name: field.column for field in Token._meta.concrete_fields}
_DATETIMES = {
    field.name
    for field in Token._meta.concrete_fields
    if field.get_internal_type() == "DateTimeField"
}


def _iso(column: str) -> str:
    """A timestamptz as Python's isoformat in UTC with `Z`: microseconds only when not 0.
    One to_char (NULL stays NULL through replace and ||)."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return f"replace(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || 'Z'"


@functools.cache
def _row_sql() -> tuple[str, tuple[Any, ...]]:
    """The row's SQL and params. Built from the model's own column names, and (compiled by
    the ORM) the active settings' hot line, ScoringSettings.objects.active_min_score()."""

    def column(name: str) -> str:
        quoted = f'"{_TABLE}"."{_COLUMNS[name]}"'
        return _iso(quoted) if name in _DATETIMES else quoted

    parts = []
    for name in TokenSerializer.Meta.fields:
        if name == "flags":  # the snapshot's, then the risk check's
            parts.append(f"'flags', {column('flags')} || {column('risk_flags')}")
        elif name == "risk":
            risk = ", ".join(f"'{key}', {column(f'risk_{key}')}" for key in RISK_KEYS)
            parts.append(f"'risk', json_build_object({risk})")
        elif name != "hot":
            parts.append(f"'{name}', {column(name)}")
    query = Token.objects.all().query
    line = ScoringSettings.objects.active_min_score().resolve_expression(query)
    line_sql, line_params = query.get_compiler(connection=connection).compile(line)
    parts.append(f"""'hot', coalesce("{_TABLE}"."smoothed_score" >= {line_sql}, false)""")
    return f"json_build_object({', '.join(parts)})::text", tuple(line_params)


def rendered_rows(tokens: QuerySet[Token]) -> list[str]:
    """Each token of ``tokens`` (ordered and sliced) as the JSON text of TokenSerializer, its
    `hot` against the active settings."""
    if connection.vendor == "postgresql":
        row_json = RawSQL(*_row_sql())  # noqa: S611 (no outside text: see _row_sql)
        return list(tokens.annotate(row_json=row_json).values_list("row_json", flat=True))
    context = {"min_score": ScoringSettings.objects.active().min_score}
    data = TokenSerializer(tokens.only(*TOKEN_COLUMNS), many=True, context=context).data
    return [json.dumps(row, separators=(",", ":")) for row in data]

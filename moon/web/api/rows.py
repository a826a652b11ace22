"""Token rows rendered by PostgreSQL: the list's answer without a Python object per token.

Measured on the list (50 tokens a page), most of a request went to turning rows into Django
models, decoding their four JSON columns and encoding them again. On PostgreSQL the query
itself returns each row as the JSON text TokenSerializer would produce (the same fields, the
same values, datetimes in the same ISO 8601 with `Z`), in the page's order, and the view
splices those texts into the page. Elsewhere (SQLite, `make run`'s default) the serializer
renders them. tests/api/test_rows.py holds the two renderings equal.
"""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from moon.web.api.serializers import TOKEN_COLUMNS, TokenSerializer
from tokens.models import Token

_TABLE = Token._meta.db_table
_COLUMNS = {field.name: field.column for field in Token._meta.concrete_fields}
_DATETIMES = {
    field.name
    for field in Token._meta.concrete_fields
    if field.get_internal_type() == "DateTimeField"
}


def _iso(column: str) -> str:
    """A timestamptz as Python's isoformat in UTC with `Z`: microseconds only when not 0."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE to_char({utc}, "
        "'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', "
        f"{utc})::bigint %% 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || 'Z' END"
    )


def _row_sql() -> str:
    parts = []
    for name in TOKEN_COLUMNS:
        column = f'"{_TABLE}"."{_COLUMNS[name]}"'
        value = _iso(column) if name in _DATETIMES else column
        parts.append(f"'{name}', {value}")
    score = f'"{_TABLE}"."smoothed_score"'
    parts.append(f"'hot', coalesce({score} >= %s, false)")
    return f"json_build_object({', '.join(parts)})::text"


_ROW_SQL = _row_sql()


def rendered_rows(tokens: QuerySet[Token], *, min_score: float) -> list[str]:
    """Each token of ``tokens`` (ordered and sliced) as the JSON text of TokenSerializer."""
    if connection.vendor == "postgresql":
        # The SQL is built from the model's own column names only; the one value is a param.
        rendered = tokens.annotate(row_json=RawSQL(_ROW_SQL, (min_score,)))  # noqa: S611
        return list(rendered.values_list("row_json", flat=True))
    data = TokenSerializer(
        tokens.only(*TOKEN_COLUMNS), many=True, context={"min_score": min_score}
    ).data
    return [json.dumps(row, separators=(",", ":")) for row in data]

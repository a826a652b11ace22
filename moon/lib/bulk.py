"""Bulk writes for the refresh path: COPY on PostgreSQL, the ORM's bulk methods elsewhere.

A refresh of thousands of tokens writes thousands of rows with JSON columns; PostgreSQL's COPY
moves them an order of magnitude faster than multi-row INSERT/UPDATE statements, and in a
constant number of statements. SQLite (the zero-setup default) takes the ORM path.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Field


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert new rows (primary keys are not read back)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=1000)
        return
    fields = [f for f in _concrete(model) if not f.primary_key]
    with connection.cursor() as cursor:
        _copy(cursor, model._meta.db_table, fields, objs)


def bulk_update(
    model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """Write `fields` of existing rows, matched on the primary key."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields, batch_size=500)
        return
    meta = model._meta
    columns = [_field(model, meta.pk.name), *(_field(model, name) for name in fields)]
    staging = f"{meta.db_table}_staging"
    assignments = ", ".join(f"{_q(f.column)} = s.{_q(f.column)}" for f in columns[1:])
    pk = _q(meta.pk.column)
    with connection.cursor() as cursor:
        _stage(cursor, meta.db_table, staging, columns, objs)
        cursor.execute(
            f"UPDATE {_q(meta.db_table)} AS t SET {assignments} "  # noqa: S608
            f"FROM {staging} AS s WHERE t.{pk} = s.{pk}"
        )
        cursor.execute(f"DROP TABLE {staging}")


def bulk_upsert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """Insert rows, or update `update_fields` of the row that has the same `unique_fields`."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            objs,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=unique_fields,
            update_fields=update_fields,
        )
        return
    meta = model._meta
    columns = [f for f in _concrete(model) if not f.primary_key]
    staging = f"{meta.db_table}_staging"
    names = ", ".join(_q(f.column) for f in columns)
    conflict = ", ".join(_q(_field(model, name).column) for name in unique_fields)
    updates = ", ".join(
        f"{_q(column)} = EXCLUDED.{_q(column)}"
        for column in (_field(model, name).column for name in update_fields)
    )
    with connection.cursor() as cursor:
        _stage(cursor, meta.db_table, staging, columns, objs)
        cursor.execute(
            f"INSERT INTO {_q(meta.db_table)} ({names}) SELECT {names} FROM {staging} "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DROP TABLE {staging}")


def _concrete(model: type[models.Model]) -> list[Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _field(model: type[models.Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field), f"{name} is not a column of {model.__name__}"
    return field


def _q(name: str | None) -> str:
    assert name is not None
    return connection.ops.quote_name(name)


def _stage(
    cursor: Any, table: str, staging: str, columns: Sequence[Field[Any, Any]], objs: Sequence[Any]
) -> None:
    names = ", ".join(_q(f.column) for f in columns)
    cursor.execute(f"DROP TABLE IF EXISTS {staging}")
    cursor.execute(
        f"CREATE TEMP TABLE {staging} AS SELECT {names} FROM {_q(table)} WITH NO DATA"  # noqa: S608
    )
    _copy(cursor, staging, columns, objs)


def _copy(cursor: Any, table: str, columns: Sequence[Field[Any, Any]], objs: Sequence[Any]) -> None:
    for field in columns:  # defaults such as timezone.now, as the ORM would fill them
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            raise ValueError(f"{field} sets itself on save; bulk copy would skip that")
    names = ", ".join(_q(f.column) for f in columns)
    db = cursor.db  # the connection itself, not the thread-local proxy: looked up 100,000s of times
    prepare = [(f.attname, f.get_db_prep_save) for f in columns]
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([prep(getattr(obj, attname), db) for attname, prep in prepare])

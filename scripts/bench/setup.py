"""Django for a benchmark process: settings, migrations, and Redis flushed of stale state."""

import os
from typing import Any


def django_ready() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moon.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_indexes(cursor: Any, table: str) -> list[str]:
    """Drop `table`'s secondary indexes (not its constraints); return how to rebuild them."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]

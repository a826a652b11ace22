"""Stored metrics keep one name per value: the seed API's aliases go from every row."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

ALIASES = ("tx_count_5m", "tx_count_1h", "volume_5m", "volume_1h")
TABLES = ("token_scores", "tokens_token")


def drop_aliases(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                removed = " - ".join(f"'{alias}'" for alias in ALIASES)
                cursor.execute(
                    f"UPDATE {quote(table)} SET metrics = metrics - {removed} "  # noqa: S608
                    "WHERE metrics ?| %s",
                    [list(ALIASES)],
                )
            else:
                paths = ", ".join(f"'$.{alias}'" for alias in ALIASES)
                cursor.execute(
                    f"UPDATE {quote(table)} SET metrics = json_remove(metrics, {paths}) "  # noqa: S608
                    f"WHERE json_extract(metrics, '$.{ALIASES[0]}') IS NOT NULL"
                )


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0005_settings_ranges"),
        ("tokens", "0003_token_flags_peak_liquidity_source"),
    ]

    operations = [migrations.RunPython(drop_aliases, migrations.RunPython.noop, elidable=True)]

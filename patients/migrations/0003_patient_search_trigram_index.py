"""Trigram GIN indexes behind the patient search box (PostgreSQL only).

The search filters with `first_name__icontains` / `last_name__icontains`, which Django renders on
PostgreSQL as `UPPER("col"::text) LIKE UPPER('%term%')`. These expression indexes match that exact
expression, so a substring search on a name uses a bitmap index scan instead of reading every row.
SQLite (the `make run` demo) has no pg_trgm: there the migration does nothing and the search still
works, unindexed.
"""

from django.db import migrations

INDEXES = {
    "patient_first_name_trgm": "first_name",
    "patient_last_name_trgm": "last_name",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON patients_patient '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_referral_rules_and_checks"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]

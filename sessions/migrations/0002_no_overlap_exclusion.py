"""PostgreSQL only: the database itself refuses overlapping active sessions on a chair or for a patient.

The booking service already locks rows and checks overlaps (that is all SQLite gets, for the
`make run` demo); these exclusion constraints are the last line of defence under concurrency.
They are not declared in Model.Meta because SQLite cannot create them.
"""

from django.db import migrations

ACTIVE = "('booked', 'checked_in', 'in_progress', 'completed', 'signed_off')"
TABLE = "infusion_sessions_infusionsession"

CONSTRAINTS = {
    "session_no_chair_overlap": "chair_id",
    "session_no_patient_overlap": "patient_id",
}


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) WHERE (status IN {ACTIVE})"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("infusion_sessions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_constraints, drop_constraints),
    ]

"""Migration operations of the project's own (docs/performance.md#indexes).

`AddIndexConcurrently` / `RemoveIndexConcurrently`: on PostgreSQL, `CREATE INDEX CONCURRENTLY` (and its
DROP), which builds the index without blocking writes to the table, so an index can be added to a
clinic's ten years of sessions while the clinic books and charts. Django's own operations refuse any
other database; these fall back to a plain index on SQLite (the `make run` demo), where the table is
small and nobody else writes. Like Django's, they must run outside a transaction: the migration that
uses them sets `atomic = False`.
"""

from django.contrib.postgres.operations import AddIndexConcurrently as _AddConcurrently
from django.contrib.postgres.operations import RemoveIndexConcurrently as _RemoveConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


def _postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrently(_AddConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(_RemoveConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgres(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)

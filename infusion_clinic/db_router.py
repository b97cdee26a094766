"""Reports may read from a PostgreSQL read replica; everything else uses the primary.

`DATABASE_REPLICA_URL` (settings) adds the `replica` database alias and sets `REPLICA_DATABASE` to it.
Reads go there only inside `read_from_replica()`, a context manager that is also a view decorator,
applied to the clinic report views (reports/views.py) *inside* their permission check. The views keep
ordinary ORM code (no `.using(...)`): the router chooses the database while the context is open. Outside
it, and for every write anywhere (the access audit row of a report's CSV export included), the router
chooses `default`. Migrations run only on `default`: a replica gets its schema by replication.

Why a context and not a list of models: a report reads the same tables (sessions, referrals, reviews)
that the clinical pages read and then write; a clinician must always see the row they have just saved,
which a lagging replica cannot promise. A report over last month can afford the replica's lag.

Without a replica configured (`REPLICA_DATABASE` is None) the context changes nothing. Tests point the
alias at the test database (`TEST: {"MIRROR": "default"}`, settings_test.py); docs/deployment.md has
the whole picture.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA_ALIAS = "replica"

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


@contextmanager
def read_from_replica():
    """Reads inside go to the replica when one is configured. Usable as `@read_from_replica()`.

    A contextvar, not a thread-local: correct under gunicorn's sync workers, threads and async views
    alike, and reset on the way out even when the view raises."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def replica_in_use() -> str | None:
    """The alias reads go to now, if it is the replica; else None."""
    alias = getattr(settings, "REPLICA_DATABASE", None)
    if alias and _reading_from_replica.get():
        return alias
    return None


class ReplicaRouter:
    """settings.DATABASE_ROUTERS. Reads inside read_from_replica() -> the replica; writes -> default."""

    def db_for_read(self, model, **hints):
        return replica_in_use()  # None: Django's default (the primary, or the instance's own database)

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: a row read from one may point at the other's.
        databases = {DEFAULT_DB_ALIAS, getattr(settings, "REPLICA_DATABASE", None) or DEFAULT_DB_ALIAS}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPLICA_ALIAS or db == getattr(settings, "REPLICA_DATABASE", None):
            return False  # the replica's schema comes from the primary by replication
        return None

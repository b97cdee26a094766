"""On PostgreSQL the name search is served by the trigram GIN indexes of migration 0003."""

import pytest
from django.db import connection

from patients.selectors import search_patients

from .. import factories

pytestmark = pytest.mark.django_db


def test_the_trigram_indexes_exist_on_postgresql():
    assert connection.vendor == "postgresql", "run the suite on PostgreSQL (make test)"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'patients_patient' AND indexname LIKE '%%trgm'"
        )
        indexes = dict(cursor.fetchall())
    assert set(indexes) == {"patient_first_name_trgm", "patient_last_name_trgm"}
    assert all("gin_trgm_ops" in definition for definition in indexes.values())


def test_a_name_search_can_use_the_trigram_index():
    factories.PatientFactory.create_batch(20)
    sql, params = search_patients("thornton").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would otherwise be scanned
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "patient_last_name_trgm" in plan and "patient_first_name_trgm" in plan, plan


def test_the_migrations_still_run_on_sqlite_for_make_run(tmp_path):
    """The trigram migration checks the database vendor, so the zero-config SQLite demo migrates."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DEBUG": "true"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "patients", "--no-input"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "patients.0003_patient_search_trigram_index... OK" in result.stdout

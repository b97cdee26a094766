"""`make backup` / `make restore`: a backup restored into a fresh database holds every row and every letter."""

import uuid
from io import StringIO

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only


def table_digests(cursor, tables):
    """Each table's row count and a digest of all its rows, independent of their physical order."""
    digests = {}
    for table in tables:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) FROM \"{table}\" t"
        )
        digests[table] = cursor.fetchone()
    return digests


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"ic_restore_{uuid.uuid4().hex[:10]}"
    params = {
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
        "user": settings_dict["USER"] or None,
        "password": settings_dict["PASSWORD"] or None,
    }
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, params
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_backup_restored_into_a_fresh_database_finds_every_row_and_letter(tmp_path, fresh_database):
    assert connection.vendor == "postgresql"
    referral = factories.ReferralFactory(status="accepted")
    letter = default_storage.save(f"referrals/test/{uuid.uuid4().hex}.pdf", ContentFile(b"%PDF-1.4 letter"))
    referral.letter_file.name = letter
    referral.save()
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        before = table_digests(cursor, tables)
    assert before["patients_referral"][0] == 1

    out = StringIO()
    call_command("backup", to=str(tmp_path / "backup"), stdout=out)
    assert "Backed up the database" in out.getvalue()
    assert (tmp_path / "backup" / "database.dump").stat().st_size > 0
    default_storage.delete(letter)  # the letter is lost ...

    name, params = fresh_database
    url = f"postgres://{params['user'] or ''}@{params['host']}:{params['port'] or 5432}/{name}"
    if params["password"]:
        url = url.replace("@", f":{params['password']}@", 1)
    call_command("restore", str(tmp_path / "backup"), database_url=url, stdout=out)
    assert f"Restored the database {name}" in out.getvalue()

    restored = psycopg2.connect(dbname=name, **params)
    try:
        with restored.cursor() as cursor:
            after = table_digests(cursor, tables)
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger_%%'")
            triggers = cursor.fetchone()[0]
    finally:
        restored.close()
    assert after == before  # every table, every row
    assert triggers >= 4  # the locked-record and issued-invoice triggers came back too
    with default_storage.open(letter, "rb") as f:  # ... and is back
        assert f.read() == b"%PDF-1.4 letter"


def test_restore_names_a_missing_backup_folder_clearly(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Restore failed"):
        call_command("restore", str(tmp_path / "nothing-here"))

"""Reports may read from a read replica (DATABASE_REPLICA_URL, infusion_clinic/db_router.py).

The `replica` alias is a mirror of the test database (settings_test.py), so the tests commit their
rows (transactional) for the replica's own connection to see them. That connection is made read-only,
as a PostgreSQL hot standby is: a write that strayed there would fail, not pass unnoticed."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AccessEvent, AccessKind
from infusion_clinic.db_router import read_from_replica
from patients.models import Patient
from sessions.models import InfusionSession

from .test_reports import REPORT_URLS, populate

replica_db = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, "replica"])

WRITES = ("INSERT", "UPDATE", "DELETE")
# Tables only the reports read on these pages (the frame around them reads the session and the user).
REPORT_TABLES = (
    "infusion_sessions_infusionsession",
    "patients_referral",
    "patients_outcomereview",
    "infusion_sessions_adverseevent",
    "infusion_sessions_chair",
)
INDEX_URL = reverse("reports:index")


@pytest.fixture
def replica(settings):
    """The replica configured, its connection read-only like a standby's."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        pytest.fail("The replica tests need PostgreSQL (make test sets DATABASE_URL).")
    connection = connections["replica"]
    saved = connection.settings_dict
    connection.close()
    connection.settings_dict = {
        **saved,
        "OPTIONS": {**saved.get("OPTIONS", {}), "options": "-c default_transaction_read_only=on"},
    }
    settings.REPLICA_DATABASE = "replica"
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    yield connection
    connection.close()
    connection.settings_dict = saved


def _writes(captured):
    return [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith(WRITES)]


def _reading(captured, tables=REPORT_TABLES):
    return [q["sql"] for q in captured if any(f'"{table}"' in q["sql"] for table in tables)]


@replica_db
@pytest.mark.usefixtures("clinic_morning")
def test_every_report_page_and_csv_reads_from_the_replica_and_writes_only_to_the_primary(
    replica, admin_client_role
):
    populate(3)
    admin_client_role.get(reverse("dashboard"))
    for url in [INDEX_URL, *REPORT_URLS]:
        exports_before = AccessEvent.objects.filter(kind=AccessKind.EXPORT).count()
        with (
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
            CaptureQueriesContext(replica) as on_replica,
        ):
            response = admin_client_role.get(url)
        assert response.status_code == 200, url
        if url != INDEX_URL:
            assert _reading(on_replica), f"{url}: the report read nothing on the replica"
        assert not _reading(primary), f"{url}: report queries ran on the primary: {_reading(primary)}"
        assert not _writes(on_replica), url
        # The session and the permission check stay on the primary (they are read before the report).
        assert any('"django_session"' in q["sql"] for q in primary), url
        exports = AccessEvent.objects.filter(kind=AccessKind.EXPORT).count() - exports_before
        if "format=csv" in url:
            # The CSV's access audit row is a write: on the primary, inside the replica context.
            assert exports == 1, url
            assert any(q["sql"].lstrip().upper().startswith("INSERT") for q in primary), url
            assert b"," in response.content
        else:
            assert exports == 0, url


@replica_db
@pytest.mark.usefixtures("clinic_morning")
def test_the_report_figures_are_the_same_from_the_replica(replica, admin_client_role, settings):
    populate(2)
    url = reverse("reports:report", args=["attendance"]) + "?format=csv"
    from_replica = admin_client_role.get(url).content
    settings.REPLICA_DATABASE = None
    with CaptureQueriesContext(replica) as on_replica:
        from_primary = admin_client_role.get(url).content
    assert len(on_replica) == 0
    assert from_replica == from_primary
    assert from_replica.decode().splitlines()[-1].startswith("Total,")


@replica_db
@pytest.mark.usefixtures("clinic_morning")
def test_pages_outside_the_reports_never_read_from_the_replica(replica, admin_client_role):
    populate(1)
    for url in [reverse("dashboard"), reverse("patients:patient_list") + "?q=a"]:
        with CaptureQueriesContext(replica) as on_replica:
            response = admin_client_role.get(url)
        assert response.status_code == 200, url
        assert len(on_replica) == 0, url


@replica_db
@pytest.mark.usefixtures("clinic_morning")
def test_without_a_replica_the_reports_use_the_primary(admin_client_role, settings):
    settings.REPLICA_DATABASE = None
    populate(1)
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
    ):
        response = admin_client_role.get(reverse("reports:report", args=["attendance"]))
    assert response.status_code == 200
    assert len(on_replica) == 0
    assert _reading(primary)


def test_the_router_sends_reads_in_the_context_to_the_replica_and_every_write_to_the_primary(settings):
    settings.REPLICA_DATABASE = "replica"
    assert router.db_for_read(Patient) == DEFAULT_DB_ALIAS
    with read_from_replica():
        assert router.db_for_read(Patient) == "replica"
        assert router.db_for_read(InfusionSession) == "replica"
        assert router.db_for_write(Patient) == DEFAULT_DB_ALIAS
        assert router.db_for_write(AccessEvent) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Patient) == DEFAULT_DB_ALIAS
    # The context ends even when the view inside it raises.
    with pytest.raises(ZeroDivisionError), read_from_replica():
        1 / 0  # noqa: B018
    assert router.db_for_read(Patient) == DEFAULT_DB_ALIAS
    # Migrations run only on the primary.
    assert router.allow_migrate_model(DEFAULT_DB_ALIAS, Patient)
    assert not router.allow_migrate_model("replica", Patient)
    settings.REPLICA_DATABASE = None
    with read_from_replica():
        assert router.db_for_read(Patient) == DEFAULT_DB_ALIAS


def _settings_in_a_fresh_process(**environment) -> dict:
    """DATABASES and REPLICA_DATABASE as infusion_clinic.settings builds them from this environment."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'aliases': sorted(settings.DATABASES), 'replica': settings.REPLICA_DATABASE, "
        "'replica_name': settings.DATABASES.get('replica', {}).get('NAME'), "
        "'mirror': settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR')}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DJANGO_SETTINGS_MODULE="infusion_clinic.settings", DEBUG="true", **environment)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_database_replica_url_adds_the_replica_alias_and_without_it_there_is_none():
    with_replica = _settings_in_a_fresh_process(
        DATABASE_URL="postgres://clinic@primary.example.org:5432/infusion_clinic",
        DATABASE_REPLICA_URL="postgres://clinic@replica.example.org:5432/infusion_clinic",
    )
    assert with_replica == {
        "aliases": ["default", "replica"],
        "replica": "replica",
        "replica_name": "infusion_clinic",
        "mirror": "default",
    }
    without = _settings_in_a_fresh_process(DATABASE_URL="postgres://clinic@primary.example.org:5432/x")
    assert without["aliases"] == ["default"]
    assert without["replica"] is None

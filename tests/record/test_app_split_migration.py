"""The session record's move from the sessions app to records keeps every row: migrated back to the
schema before the split, the rows of a charted, amended and signed-off session are there under the
old label; migrated forward again, every row, its history, the content types and permissions (the
same rows, now under records) and the locked-record triggers are as they were."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from records import services
from records.models import Addendum, AdverseEvent, Amendment, InfusionRecord, RateChange, VitalSigns

from .conftest import chart, finish

BEFORE_SPLIT = ("infusion_sessions", "0013_reminder_status_check_allows_unknown")
TABLES = [
    "infusion_sessions_infusionrecord",
    "infusion_sessions_historicalinfusionrecord",
    "infusion_sessions_ratechange",
    "infusion_sessions_historicalratechange",
    "infusion_sessions_vitalsigns",
    "infusion_sessions_historicalvitalsigns",
    "infusion_sessions_adverseevent",
    "infusion_sessions_historicaladverseevent",
    "infusion_sessions_amendment",
    "infusion_sessions_addendum",
    "infusion_sessions_escalation",
    "infusion_sessions_historicalescalation",
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def table_rows():
    rows = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            rows[table] = cursor.fetchall()
    return rows


def update_refused(vitals_id):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE infusion_sessions_vitalsigns SET pain = 0 WHERE id = %s", [vitals_id])
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db(transaction=True)
def test_the_record_moves_between_apps_with_every_row_permission_and_trigger(
    started_session, nurse, specialist
):
    assert connection.vendor == "postgresql"
    session = started_session
    services.record_adverse_event(
        session=session,
        by=nurse,
        occurred_at=timezone.now() - timedelta(minutes=20),
        event_type="nausea",
        severity="mild",
        action_taken="none",
    )
    vitals = chart(session, nurse, minutes_ago=10)
    finish(session, nurse)
    services.sign_off_session(session=session, by=specialist)
    services.amend_vital_signs(vital_signs=vitals, by=specialist, field="pain", value="5", reason="Misheard")
    services.add_addendum(session=session, by=specialist, text="Phoned the next day: well.")
    before = table_rows()
    assert all(before[t] for t in TABLES if "escalation" not in t)
    perm = Permission.objects.get(codename="view_vitalsigns")
    assert perm.content_type.app_label == "records"
    assert update_refused(vitals.pk)

    try:
        migrate([BEFORE_SPLIT])
        ContentType.objects.clear_cache()
        # The schema before the split: the same tables and rows under the sessions app's label.
        assert table_rows() == before
        assert ContentType.objects.get(pk=perm.content_type_id).app_label == "infusion_sessions"
        assert update_refused(vitals.pk)  # its trigger, under the old label
    finally:
        migrate(leaves())
        ContentType.objects.clear_cache()

    assert table_rows() == before
    perm = Permission.objects.get(pk=perm.pk)
    assert (perm.content_type.app_label, perm.codename) == ("records", "view_vitalsigns")
    assert update_refused(vitals.pk)
    record = InfusionRecord.objects.get(session=session)
    assert record.signed_off_by == specialist
    assert VitalSigns.objects.get(pk=vitals.pk).pain == 5
    assert RateChange.objects.filter(session=session).count() >= 2
    assert AdverseEvent.objects.get(session=session).event_type == "nausea"
    assert Amendment.objects.get(session=session).reason == "Misheard"
    assert Addendum.objects.get(session=session).text == "Phoned the next day: well."
    # The amendment path still gets past the trigger under its new label.
    services.amend_vital_signs(vital_signs=vitals, by=specialist, field="pain", value="6", reason="Typo")
    assert VitalSigns.objects.get(pk=vitals.pk).pain == 6
    assert VitalSigns.history.filter(id=vitals.pk).count() >= 3

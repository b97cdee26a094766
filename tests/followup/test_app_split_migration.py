"""Follow-up's move from the patients and sessions apps to followup keeps every row: migrated back to
the schema before the move, the diary link, diary entry, outcome review and reminder log are there
under the old labels; migrated forward again, every row, its history and the content types and
permissions (the same rows, now under followup) are as they were."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from followup import diaries
from followup.models import DiaryPrompt, OutcomeReview, PainDiaryEntry, ReminderLog, ReminderStatus
from tests import factories

from .conftest import make_course, make_session

BEFORE_MOVE = [
    ("infusion_sessions", "0014_session_record_moves_to_records"),
    ("patients", "0007_diary_link_revocation_and_one_entry_a_day"),
]
TABLES = [
    "patients_paindiaryentry",
    "patients_historicalpaindiaryentry",
    "patients_diaryprompt",
    "patients_outcomereview",
    "patients_historicaloutcomereview",
    "infusion_sessions_reminderlog",
    "infusion_sessions_remindertemplate",
    "infusion_sessions_historicalremindertemplate",
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def table_rows():
    with connection.cursor() as cursor:
        rows = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            rows[table] = cursor.fetchall()
        return rows


@pytest.mark.django_db(transaction=True)
def test_follow_up_moves_between_apps_with_every_row_and_permission():
    assert connection.vendor == "postgresql"
    nurse = factories.nurse_user(username="nurse")
    patient = factories.PatientFactory()
    link = diaries.create_diary_link(patient=patient, created_by=nurse)
    entry = PainDiaryEntry.objects.create(
        patient=patient, pain_now=4, pain_average=5, pain_worst=7, sleep="good", activity="normal"
    )
    now = timezone.now()
    course = make_course(patient=patient, starts=[now - timedelta(days=20)])
    review = OutcomeReview.objects.create(
        course=course, patient=patient, offset_days=14, due_on=(now - timedelta(days=6)).date()
    )
    session = make_session(patient=patient, start=now + timedelta(hours=20))
    log = ReminderLog.objects.create(
        session=session,
        kind="24h",
        channel="email",
        status=ReminderStatus.SENT,
        attempts=1,
        claimed_at=now,
        sent_at=now,
        recipient=patient.email,
    )
    before = table_rows()
    assert all(before[t] for t in TABLES if "template" not in t)
    perms = {
        p.codename: p.pk
        for p in Permission.objects.filter(codename__in=["view_paindiaryentry", "view_reminderlog"])
    }
    assert {p.content_type.app_label for p in Permission.objects.filter(pk__in=perms.values())} == {
        "followup"
    }

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        migrate(BEFORE_MOVE)
        ContentType.objects.clear_cache()
        assert table_rows() == before
        labels = {
            Permission.objects.get(pk=pk).codename: Permission.objects.get(pk=pk).content_type.app_label
            for pk in perms.values()
        }
        assert labels == {"view_paindiaryentry": "patients", "view_reminderlog": "infusion_sessions"}
    finally:
        migrate(leaves)
        ContentType.objects.clear_cache()

    assert table_rows() == before
    for codename, pk in perms.items():
        permission = Permission.objects.get(pk=pk)
        assert (permission.codename, permission.content_type.app_label) == (codename, "followup")
    assert DiaryPrompt.objects.get(pk=link.pk).patient == patient
    assert PainDiaryEntry.objects.get(pk=entry.pk).pain_worst == 7
    assert OutcomeReview.objects.get(pk=review.pk).course == course
    assert ReminderLog.objects.get(pk=log.pk).status == ReminderStatus.SENT

"""Prescriptions' move from the protocols app to patients keeps every row: migrated back to the schema
before the move, a prescription and its history are there under the old label, and one more is written
through the old models; migrated forward again, every row, its history, the content types and the
permissions held by groups (the same rows, now under patients, "prescribe" included) are as they were."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from infusion_clinic.roles import SPECIALIST
from patients.models import Prescription
from patients.services import prescribe
from protocols.seed import seed_protocol_library
from protocols.selectors import current_versions
from tests import factories

BEFORE_MOVE = [
    ("protocols", "0005_alert_observation_interval"),
    ("patients", "0009_phone_numbers_e164"),
]
TABLES = ["protocols_prescription", "protocols_historicalprescription"]
CODENAMES = ["view_prescription", "prescribe", "view_historicalprescription"]


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


def labels(pks):
    """{codename: (app label, model)} of the permissions with these ids."""
    return {
        p.codename: (p.content_type.app_label, p.content_type.model)
        for p in Permission.objects.filter(pk__in=pks).select_related("content_type")
    }


def write_with_the_old_models(*, patient, version, by):
    """A prescription and its history row, written through the protocols app's models before the move."""
    old_apps = MigrationExecutor(connection).loader.project_state(BEFORE_MOVE).apps
    OldPrescription = old_apps.get_model("protocols", "Prescription")
    OldHistory = old_apps.get_model("protocols", "HistoricalPrescription")
    fields = {
        "patient_id": patient.pk,
        "family_id": version.protocol.family_id,
        "protocol_version_id": version.pk,
        "basis_dose": D("2000"),
        "dose_mg": D("2000.0"),
        "volume_ml": D("250.0"),
        "rate_ml_per_h": D("250.0"),
        "verdict": "ok",
        "prescribed_by_id": by.pk,
        "prescribed_at": timezone.now(),
        "is_active": True,
    }
    row = OldPrescription.objects.create(**fields)
    OldHistory.objects.create(
        id=row.pk, history_date=timezone.now(), history_type="+", history_user_id=by.pk, **fields
    )
    return row.pk


@pytest.mark.django_db(transaction=True)
def test_prescriptions_move_to_patients_with_every_row_history_and_permission(clinic_morning):
    assert connection.vendor == "postgresql"
    seed_protocol_library()  # the migration's rows are flushed between transactional tests
    specialist = factories.specialist_user(username="specialist")
    patient = factories.PatientFactory()
    weight = factories.WeightRecordFactory(patient=patient, weight_kg=D("70.0"))
    lidocaine = current_versions().get(protocol__slug="lidocaine")
    first = prescribe(patient=patient, protocol_version=lidocaine, weight_record=weight, by=specialist)
    second = prescribe(
        patient=patient,
        protocol_version=lidocaine,
        weight_record=weight,
        override_dose=D("6"),
        reason="Partial response at 5 mg/kg",
        by=specialist,
    )
    auditors = Group.objects.create(name="Prescription auditors")
    perms = {p.codename: p.pk for p in Permission.objects.filter(codename__in=CODENAMES)}
    assert set(perms) == set(CODENAMES)
    auditors.permissions.set(perms.values())
    assert labels(perms.values()) == {
        "view_prescription": ("patients", "prescription"),
        "prescribe": ("patients", "prescription"),
        "view_historicalprescription": ("patients", "historicalprescription"),
    }
    assert Group.objects.get(name=SPECIALIST).permissions.filter(pk=perms["prescribe"]).exists()
    before = table_rows()
    assert len(before["protocols_prescription"]) == 2
    assert len(before["protocols_historicalprescription"]) == 3  # two created, one replaced

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        migrate(BEFORE_MOVE)
        ContentType.objects.clear_cache()
        assert table_rows() == before
        assert labels(perms.values()) == {
            "view_prescription": ("protocols", "prescription"),
            "prescribe": ("protocols", "protocolfamily"),
            "view_historicalprescription": ("protocols", "historicalprescription"),
        }
        magnesium = current_versions().get(protocol__slug="magnesium-sulphate")
        written_before = write_with_the_old_models(patient=patient, version=magnesium, by=specialist)
        during = table_rows()
    finally:
        migrate(leaves)
        ContentType.objects.clear_cache()

    assert table_rows() == during
    assert labels(perms.values()) == {
        "view_prescription": ("patients", "prescription"),
        "prescribe": ("patients", "prescription"),
        "view_historicalprescription": ("patients", "historicalprescription"),
    }
    assert set(auditors.permissions.values_list("pk", flat=True)) == set(perms.values())
    assert Group.objects.get(name=SPECIALIST).permissions.filter(pk=perms["prescribe"]).exists()
    specialist = type(specialist).objects.get(pk=specialist.pk)  # a fresh permission cache
    assert specialist.has_perm("patients.prescribe")
    assert ContentType.objects.get_for_model(Prescription).app_label == "patients"

    first, second = Prescription.objects.get(pk=first.pk), Prescription.objects.get(pk=second.pk)
    assert (first.is_active, first.dose_mg, first.weight_record) == (False, D("350.0"), weight)
    assert (second.is_active, second.verdict, second.soft_limit_reason) == (
        True,
        "soft",
        "Partial response at 5 mg/kg",
    )
    assert [h.is_active for h in first.history.order_by("history_id")] == [True, False]
    moved = Prescription.objects.get(pk=written_before)
    assert (moved.patient, moved.protocol_version, moved.dose_mg) == (patient, magnesium, D("2000.0"))
    assert moved.history.get().history_type == "+"
    assert Prescription.history.count() == 4

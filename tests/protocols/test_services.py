"""Prescribing, new versions and verification through the services."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from protocols.models import Prescription, ProtocolVersion
from protocols.seed import seed_protocol_library
from protocols.selectors import checklist_for, current_prescription, versions_awaiting_verification
from protocols.services import create_version, mark_verified, prescribe
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return factories.PatientFactory()


@pytest.fixture
def weight(patient):
    return factories.WeightRecordFactory(patient=patient, weight_kg=D("70.0"))


def test_it_seeds_five_families_with_checklists_and_nurse_ratios(library):
    assert set(library) == {
        "lidocaine",
        "ketamine",
        "magnesium-sulphate",
        "zoledronic-acid",
        "pamidronate",
        "methylprednisolone",
    }
    assert all(v.is_example and v.needs_verification and v.setup_minutes == 15 for v in library.values())
    assert library["ketamine"].protocol.family.nurse_ratio == 2
    assert library["lidocaine"].protocol.family.nurse_ratio == 3
    assert library["zoledronic-acid"].protocol.family == library["pamidronate"].protocol.family
    assert "History of psychosis" in checklist_for(library["ketamine"].protocol.family)
    assert checklist_for("magnesium") == ["eGFR below 30 mL/min/1.73m²", "Heart block", "Myasthenia gravis"]
    assert library["pamidronate"].max_rate_mg_per_hour == D("60")
    assert library["ketamine"].course_sessions == 5 and library["ketamine"].observation_minutes == 60


def test_seeding_twice_changes_nothing(library):
    new = create_version(from_version=library["lidocaine"], by=factories.admin_user(), default_dose=D("4"))
    assert seed_protocol_library() == 0
    assert ProtocolVersion.objects.get(protocol__slug="lidocaine", is_current=True) == new


def test_it_prescribes_a_dose_within_limits(library, patient, weight, specialist):
    p = prescribe(patient=patient, protocol_version=library["lidocaine"], weight_record=weight, by=specialist)
    assert (p.dose_mg, p.basis_dose, p.rate_ml_per_h, p.volume_ml) == (
        D("350.0"),
        D("5"),
        D("285.0"),
        D("285.0"),
    )
    assert p.verdict == "ok" and p.is_active and p.weight_record == weight
    assert current_prescription(patient=patient) == p
    assert current_prescription(patient=patient, family="lidocaine") == p
    assert current_prescription(patient=patient, family="ketamine") is None
    assert p.history.count() == 1


def test_it_requires_a_reason_over_the_soft_limit(library, patient, weight, specialist):
    with pytest.raises(ValidationError) as exc:
        prescribe(
            patient=patient,
            protocol_version=library["lidocaine"],
            weight_record=weight,
            override_dose=D("6"),
            reason="  ",
            by=specialist,
        )
    assert "reason" in exc.value.message_dict
    assert not Prescription.objects.exists()
    p = prescribe(
        patient=patient,
        protocol_version=library["lidocaine"],
        weight_record=weight,
        override_dose=D("6"),
        reason="Partial response at 5 mg/kg",
        by=specialist,
    )
    assert p.verdict == "soft" and p.soft_limit_reason == "Partial response at 5 mg/kg"


def test_it_refuses_a_dose_over_the_hard_limit_keyed_by_field(library, patient, weight, specialist):
    with pytest.raises(ValidationError) as exc:
        prescribe(
            patient=patient,
            protocol_version=library["lidocaine"],
            weight_record=weight,
            override_dose=D("7.5"),
            reason="because",
            by=specialist,
        )
    assert "hard limit" in exc.value.message_dict["override_dose"][0]
    assert not Prescription.objects.exists()


def test_it_refuses_a_weight_based_dose_without_a_recent_weight(library, patient, specialist):
    with pytest.raises(ValidationError) as exc:
        prescribe(patient=patient, protocol_version=library["ketamine"], by=specialist)
    assert "weight_record" in exc.value.message_dict
    old = factories.WeightRecordFactory(
        patient=patient, recorded_on=timezone.localdate() - timedelta(days=120)
    )
    with pytest.raises(ValidationError) as exc:
        prescribe(patient=patient, protocol_version=library["ketamine"], weight_record=old, by=specialist)
    assert "120 days old" in exc.value.message_dict["weight_record"][0]
    assert not Prescription.objects.exists()


def test_it_refuses_another_patients_weight(library, patient, specialist):
    other = factories.WeightRecordFactory()
    with pytest.raises(ValidationError) as exc:
        prescribe(patient=patient, protocol_version=library["lidocaine"], weight_record=other, by=specialist)
    assert "weight_record" in exc.value.message_dict


def test_a_fixed_dose_needs_no_weight_and_stores_none(library, patient, weight, specialist):
    p = prescribe(
        patient=patient, protocol_version=library["methylprednisolone"], weight_record=weight, by=specialist
    )
    assert p.dose_mg == D("500.0") and p.weight_record is None


def test_prescribing_again_replaces_the_active_prescription_of_the_family(
    library, patient, weight, specialist
):
    first = prescribe(
        patient=patient, protocol_version=library["lidocaine"], weight_record=weight, by=specialist
    )
    other_family = prescribe(patient=patient, protocol_version=library["magnesium-sulphate"], by=specialist)
    second = prescribe(
        patient=patient,
        protocol_version=library["lidocaine"],
        weight_record=weight,
        override_dose=D("4"),
        by=specialist,
    )
    first.refresh_from_db()
    other_family.refresh_from_db()
    assert not first.is_active and other_family.is_active and second.is_active
    assert first.history.first().is_active is False  # the replacement is in the history


def test_the_database_refuses_a_soft_prescription_without_a_reason(library, patient, specialist):
    with pytest.raises(IntegrityError), transaction.atomic():
        Prescription.objects.create(
            patient=patient,
            family=library["magnesium-sulphate"].protocol.family,
            protocol_version=library["magnesium-sulphate"],
            basis_dose=D("3500"),
            dose_mg=D("3500"),
            volume_ml=D("100"),
            rate_ml_per_h=D("200"),
            verdict="soft",
            prescribed_by=specialist,
        )


def test_it_refuses_to_prescribe_a_replaced_version(library, patient, specialist, clinic_admin):
    old = library["methylprednisolone"]
    create_version(from_version=old, by=clinic_admin, default_dose=D("750"))
    old.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        prescribe(patient=patient, protocol_version=old, by=specialist)
    assert "protocol_version" in exc.value.message_dict


def test_a_new_version_replaces_the_current_one_and_keeps_the_old(library, clinic_admin):
    old = library["lidocaine"]
    new = create_version(from_version=old, by=clinic_admin, soft_limit=D("4.5"), default_dose=D("4.5"))
    old.refresh_from_db()
    assert new.version == 2 and new.is_current and not old.is_current
    assert old.soft_limit == D("5") and new.soft_limit == D("4.5")
    assert new.created_by == clinic_admin and new.hard_limit == old.hard_limit
    assert new.is_example and new.needs_verification  # made from example defaults: still to verify


def test_a_new_version_with_bad_limits_is_refused_and_nothing_changes(library, clinic_admin):
    old = library["lidocaine"]
    with pytest.raises(ValidationError) as exc:
        create_version(from_version=old, by=clinic_admin, soft_limit=D("8"))
    assert "soft_limit" in exc.value.message_dict
    old.refresh_from_db()
    assert old.is_current and ProtocolVersion.objects.filter(protocol=old.protocol).count() == 1


def test_a_version_is_never_edited_in_place(library):
    v = library["lidocaine"]
    v.hard_limit = D("9")
    with pytest.raises(ValidationError):
        v.save()


def test_mark_verified_records_who_and_when(library, clinic_admin):
    v = mark_verified(version=library["lidocaine"], by=clinic_admin)
    assert v.verified_by == clinic_admin and v.verified_at is not None and not v.needs_verification
    assert library["lidocaine"] not in list(versions_awaiting_verification())
    with pytest.raises(ValidationError):
        mark_verified(version=v, by=clinic_admin)

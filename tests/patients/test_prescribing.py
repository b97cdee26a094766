"""Prescribing through the service: the dose recalculated, limits enforced, one active per family."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Prescription
from patients.selectors import current_prescription
from patients.services import prescribe
from protocols.services import create_version
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return factories.PatientFactory()


@pytest.fixture
def weight(patient):
    return factories.WeightRecordFactory(patient=patient, weight_kg=D("70.0"))


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

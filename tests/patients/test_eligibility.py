from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from patients import services
from patients.eligibility import (
    FALLBACK_CONTRAINDICATIONS,
    contraindication_checklist,
    ensure_eligible,
    lapse_reason,
    pregnancy_is_relevant,
)
from patients.models import EligibilityAssessment, ReferralStatus, WeightRecord

from .. import factories
from .conftest import referral_in

pytestmark = pytest.mark.django_db


def assess(patient, family, by, on, weight="70.0", **kw):
    defaults = {"decision": "eligible", "checklist": {}}
    defaults.update(kw)
    return services.record_eligibility(
        patient=patient, family=family, by=by, assessed_on=on, weight_kg=Decimal(weight), **defaults
    )


@pytest.fixture
def version(lidocaine):
    return factories.ProtocolVersionFactory(protocol=factories.ProtocolFactory(family=lidocaine))


def test_an_assessment_holds_on_its_last_valid_day_and_lapses_the_day_after(
    specialist, lidocaine, version, today
):
    patient = factories.PatientFactory()
    assessed = today - timedelta(days=183)
    assess(patient, lidocaine, specialist, assessed)
    assert ensure_eligible(patient=patient, protocol_version=version, on_date=today).assessed_on == assessed
    with pytest.raises(ValidationError) as error:
        ensure_eligible(patient=patient, protocol_version=version, on_date=today + timedelta(days=1))
    assert "lapsed" in error.value.message_dict["patient"][0]


def test_the_validity_period_comes_from_settings(settings, specialist, lidocaine, version, today):
    settings.ELIGIBILITY_VALID_DAYS = 30
    patient = factories.PatientFactory()
    assess(patient, lidocaine, specialist, today - timedelta(days=31))
    with pytest.raises(ValidationError):
        ensure_eligible(patient=patient, protocol_version=version, on_date=today)


def test_a_newer_weight_more_than_10_percent_different_lapses_it(
    specialist, nurse, lidocaine, version, today
):
    patient = factories.PatientFactory()
    assess(patient, lidocaine, specialist, today - timedelta(days=20), weight="80.0")
    services.record_weight(
        patient=patient, recorded_on=today - timedelta(days=5), weight_kg=Decimal("71.9"), by=nurse
    )
    with pytest.raises(ValidationError) as error:
        ensure_eligible(patient=patient, protocol_version=version, on_date=today)
    assert "more than 10%" in error.value.message_dict["patient"][0]
    # The clock of the weight matters: before the new weight was recorded the patient was eligible.
    ensure_eligible(patient=patient, protocol_version=version, on_date=today - timedelta(days=6))


def test_a_weight_change_of_exactly_10_percent_keeps_it(specialist, nurse, lidocaine, version, today):
    patient = factories.PatientFactory()
    assess(patient, lidocaine, specialist, today - timedelta(days=20), weight="80.0")
    services.record_weight(patient=patient, recorded_on=today, weight_kg=Decimal("88.0"), by=nurse)
    ensure_eligible(patient=patient, protocol_version=version, on_date=today)


def test_the_latest_weight_counts_so_a_weight_back_within_10_percent_restores_it(
    specialist, nurse, lidocaine, today
):
    patient = factories.PatientFactory()
    assessment = assess(patient, lidocaine, specialist, today - timedelta(days=20), weight="80.0")
    services.record_weight(
        patient=patient, recorded_on=today - timedelta(days=10), weight_kg=Decimal("95"), by=nurse
    )
    assert lapse_reason(assessment=assessment, on_date=today - timedelta(days=9))
    services.record_weight(
        patient=patient, recorded_on=today - timedelta(days=2), weight_kg=Decimal("81"), by=nurse
    )
    assert lapse_reason(assessment=assessment, on_date=today) is None


def test_it_refuses_booking_without_or_after_a_declined_assessment(specialist, lidocaine, version, today):
    patient = factories.PatientFactory()
    with pytest.raises(ValidationError) as none:
        ensure_eligible(patient=patient, protocol_version=version, on_date=today)
    assert "no eligibility assessment" in none.value.message_dict["patient"][0]
    assess(patient, lidocaine, specialist, today, decision="declined", reasons="QTc prolonged.")
    with pytest.raises(ValidationError) as declined:
        ensure_eligible(patient=patient, protocol_version=version, on_date=today)
    assert "not eligible" in declined.value.message_dict["patient"][0]


def test_recording_eligibility_records_the_weight_too(specialist, lidocaine, today):
    patient = factories.PatientFactory()
    assess(patient, lidocaine, specialist, today, weight="64.5", height_cm=Decimal("168"))
    weight = WeightRecord.objects.get(patient=patient)
    assert (weight.weight_kg, weight.height_cm, weight.recorded_on) == (
        Decimal("64.5"),
        Decimal("168"),
        today,
    )


def test_declined_needs_reasons(specialist, lidocaine, today):
    patient = factories.PatientFactory()
    with pytest.raises(ValidationError) as error:
        assess(patient, lidocaine, specialist, today, decision="declined")
    assert "reasons" in error.value.message_dict
    assert not EligibilityAssessment.objects.exists() and not WeightRecord.objects.exists()


def test_eligible_with_a_ticked_contraindication_needs_a_justification(specialist, lidocaine, today):
    patient = factories.PatientFactory()
    checklist = {"Uncontrolled epilepsy": True, "Severe heart failure": False}
    with pytest.raises(ValidationError) as error:
        assess(patient, lidocaine, specialist, today, checklist=checklist)
    assert "Uncontrolled epilepsy" in error.value.message_dict["reasons"][0]
    assess(patient, lidocaine, specialist, today, checklist=checklist, reasons="Seizure-free for 5 years.")
    assert EligibilityAssessment.objects.get().checklist == checklist


def test_pregnancy_is_asked_for_ketamine_and_refuses_eligible(specialist, today):
    ketamine = factories.ProtocolFamilyFactory(slug="ketamine", name="Ketamine")
    assert pregnancy_is_relevant(ketamine)
    with pytest.raises(ValidationError) as error:
        assess(factories.PatientFactory(), ketamine, specialist, today, pregnancy="pregnant")
    assert "pregnancy" in error.value.message_dict


def test_bisphosphonates_need_egfr_and_calcium_before_eligible(specialist, today):
    family = factories.ProtocolFamilyFactory(slug="bisphosphonate", name="Bisphosphonate")
    with pytest.raises(ValidationError) as error:
        assess(factories.PatientFactory(), family, specialist, today)
    assert set(error.value.message_dict) == {"egfr", "corrected_calcium"}


def test_the_checklist_falls_back_to_domain_md_when_the_family_has_none(db):
    family = factories.ProtocolFamilyFactory(slug="magnesium", name="Magnesium")
    family.contraindications = []
    assert contraindication_checklist(family) == FALLBACK_CONTRAINDICATIONS["magnesium"]
    family.contraindications = ["Own item"]
    assert contraindication_checklist(family) == ["Own item"]


def test_an_eligible_decision_accepts_a_referral_awaiting_assessment(specialist, lidocaine, today):
    referral = referral_in("awaiting_assessment", by=specialist)
    assess(referral.patient, lidocaine, specialist, today, referral=referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.events.last().note == "Eligible for Lidocaine."


def test_it_refuses_an_assessment_dated_in_the_future(specialist, lidocaine, today):
    with pytest.raises(ValidationError) as error:
        assess(factories.PatientFactory(), lidocaine, specialist, today + timedelta(days=1))
    assert "assessed_on" in error.value.message_dict


def test_the_database_refuses_a_declined_assessment_without_reasons(specialist, lidocaine, today):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        EligibilityAssessment.objects.create(
            patient=factories.PatientFactory(),
            protocol_family=lidocaine,
            assessed_on=today,
            assessed_by=specialist,
            decision="declined",
            reasons="",
        )

"""Is a patient eligible for a protocol on a date? Used by booking (sessions) and the patient page.

An eligibility assessment covers one protocol family. It lapses after ELIGIBILITY_VALID_DAYS
(default 183, about 6 months) or when a weight recorded after it differs by more than 10%.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from .models import EligibilityAssessment, EligibilityDecision, WeightRecord

WEIGHT_CHANGE_LAPSES_AT = Decimal("0.10")


def valid_days() -> int:
    return getattr(settings, "ELIGIBILITY_VALID_DAYS", 183)


def current_assessment(*, patient, family, on_date: date) -> EligibilityAssessment | None:
    """The latest assessment for the family made on or before on_date (eligible or not)."""
    return (
        EligibilityAssessment.objects.filter(
            patient=patient, protocol_family=family, assessed_on__lte=on_date
        )
        .order_by("-assessed_on", "-id")
        .first()
    )


def lapse_reason(*, assessment: EligibilityAssessment, on_date: date) -> str | None:
    """Why an eligible assessment no longer holds on on_date, or None when it still holds."""
    if on_date > assessment.assessed_on + timedelta(days=valid_days()):
        return f"the eligibility assessment of {assessment.assessed_on:%d %b %Y} has lapsed (older than {valid_days()} days)"
    if assessment.weight_kg:
        newer = (
            WeightRecord.objects.filter(
                patient_id=assessment.patient_id,
                recorded_on__gt=assessment.assessed_on,
                recorded_on__lte=on_date,
            )
            .order_by("-recorded_on", "-id")
            .first()
        )
        if (
            newer
            and abs(newer.weight_kg - assessment.weight_kg) / assessment.weight_kg > WEIGHT_CHANGE_LAPSES_AT
        ):
            return (
                f"the weight has changed by more than 10% since the assessment "
                f"({assessment.weight_kg} kg then, {newer.weight_kg} kg on {newer.recorded_on:%d %b %Y})"
            )
    return None


def ensure_eligible(*, patient, protocol_version, on_date: date) -> EligibilityAssessment:
    """Return the assessment that makes the patient eligible, or raise ValidationError."""
    family = protocol_version.protocol.family
    assessment = current_assessment(patient=patient, family=family, on_date=on_date)
    if assessment is None:
        raise ValidationError(
            {
                "patient": f"{patient.full_name} has no eligibility assessment for {family.name}. "
                "A pain specialist must assess eligibility before booking."
            }
        )
    if assessment.decision != EligibilityDecision.ELIGIBLE:
        raise ValidationError(
            {"patient": f"{patient.full_name} was assessed as not eligible for {family.name}."}
        )
    reason = lapse_reason(assessment=assessment, on_date=on_date)
    if reason:
        raise ValidationError(
            {"patient": f"Not eligible for {family.name}: {reason}. Reassess before booking."}
        )
    return assessment

"""Is a patient eligible for a protocol on a date? Used by booking (sessions) and the patient page.

An eligibility assessment covers one protocol family; the latest one made on or before the date
counts. An eligible decision lapses:
- after settings.ELIGIBILITY_VALID_DAYS days (default 183, about 6 months): it holds on the last
  day (assessed_on + ELIGIBILITY_VALID_DAYS) and has lapsed the day after;
- when the latest weight recorded on or after the assessment day (and not after the date asked
  about) differs from the assessed weight by more than 10%: doses were judged on that weight.
  The latest weight counts, so a patient whose weight came back within 10% is eligible again.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from infusion_clinic.dates import uk_date
from protocols.seed import EXAMPLE_CONTRAINDICATIONS

from .models import EligibilityAssessment, EligibilityDecision, WeightRecord

WEIGHT_CHANGE_LAPSES_AT = Decimal("0.10")

# The example checklists (docs/clinical-reference.md#eligibility) the protocol library seeds, used
# while a family's own `contraindications` list is empty.
FALLBACK_CONTRAINDICATIONS = EXAMPLE_CONTRAINDICATIONS

# Families where a pregnancy question belongs on the form (their checklists list pregnancy:
# docs/clinical-reference.md#eligibility).
PREGNANCY_FAMILIES = ("ketamine", "bisphosphonate")


def _fallback_key(slug: str) -> str | None:
    # Seeds may say "magnesium-sulphate" or "magnesium_sulphate": match on the leading word.
    return next((key for key in FALLBACK_CONTRAINDICATIONS if slug.startswith(key)), None)


def contraindication_checklist(family) -> list[str]:
    items = [str(item) for item in (family.contraindications or []) if str(item).strip()]
    if items:
        return items
    key = _fallback_key(family.slug)
    return list(FALLBACK_CONTRAINDICATIONS.get(key, [])) if key else []


def pregnancy_is_relevant(family) -> bool:
    if any(family.slug.startswith(slug) for slug in PREGNANCY_FAMILIES):
        return True
    return any("pregnan" in item.lower() for item in contraindication_checklist(family))


def valid_days() -> int:
    return int(getattr(settings, "ELIGIBILITY_VALID_DAYS", 183))


def valid_until(assessment: EligibilityAssessment) -> date:
    return assessment.assessed_on + timedelta(days=valid_days())


def current_assessment(*, patient, family, on_date: date) -> EligibilityAssessment | None:
    """The latest assessment for the family made on or before on_date (eligible or not)."""
    return (
        EligibilityAssessment.objects.filter(
            patient=patient, protocol_family=family, assessed_on__lte=on_date
        )
        .order_by("-assessed_on", "-id")
        .first()
    )


def _latest_weight_since(assessment, on_date, weights):
    candidates = [w for w in weights if assessment.assessed_on <= w.recorded_on <= on_date]
    return max(candidates, key=lambda w: (w.recorded_on, w.pk), default=None)


def lapse_reason(*, assessment: EligibilityAssessment, on_date: date, weights=None) -> str | None:
    """Why an assessment no longer holds on on_date, or None when it still holds.

    `weights` may carry the patient's WeightRecords already loaded (the patient page does this to
    keep its query count flat); otherwise they are read here.
    """
    if on_date > valid_until(assessment):
        return (
            f"the eligibility assessment of {uk_date(assessment.assessed_on)} has lapsed "
            f"(older than {valid_days()} days)"
        )
    if assessment.weight_kg:
        if weights is None:
            weights = WeightRecord.objects.filter(
                patient_id=assessment.patient_id,
                recorded_on__gte=assessment.assessed_on,
                recorded_on__lte=on_date,
            )
        newer = _latest_weight_since(assessment, on_date, weights)
        if (
            newer
            and abs(newer.weight_kg - assessment.weight_kg) / assessment.weight_kg > WEIGHT_CHANGE_LAPSES_AT
        ):
            return (
                f"the weight has changed by more than 10% since the assessment "
                f"({assessment.weight_kg} kg then, {newer.weight_kg} kg on {uk_date(newer.recorded_on)})"
            )
    return None


def ensure_eligible(*, patient, protocol_version, on_date: date) -> EligibilityAssessment:
    """Return the assessment that makes the patient eligible, or raise ValidationError keyed "patient"."""
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

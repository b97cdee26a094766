"""Writes for patients, referrals, eligibility and prescriptions: one transaction each, ValidationError
keyed by field.

Referral status machine (DESIGN.md), as TRANSITIONS below:

    from                  to                                  who / why
    --------------------  ----------------------------------  -----------------------------------------
    received              triaged                             specialist reads the letter (triage)
    triaged               awaiting assessment                 specialist wants to assess the patient
    triaged               declined                            unsuitable on paper: decision not to treat
    awaiting assessment   accepted                            eligible for at least one protocol family
    awaiting assessment   declined                            not eligible: decision not to treat
    accepted              in treatment                        first infusion started (start_treatment)
    accepted              declined                            the patient declines treatment
    in treatment          discharged                          course finished or care ended
    declined, discharged  (none)                              final; a new referral starts a new pathway

Moving to "in treatment" or "declined" stops the RTT clock (docs/clinical-reference.md#rtt: first
definitive treatment, or a clinical decision not to treat, or the patient declining). Every move
writes a ReferralEvent (who, when, note): the referral timeline.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from infusion_clinic.dates import uk_date
from protocols.dosing import FIELD_WEIGHT, OVER_SOFT_LIMIT, calculate_dose
from protocols.models import ProtocolVersion

from .eligibility import pregnancy_is_relevant
from .models import (
    EligibilityAssessment,
    EligibilityDecision,
    Patient,
    Pregnancy,
    Prescription,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    WeightRecord,
)
from .validators import normalise_nhs_number

S = ReferralStatus

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.TRIAGED,),
    S.TRIAGED: (S.AWAITING_ASSESSMENT, S.DECLINED),
    S.AWAITING_ASSESSMENT: (S.ACCEPTED, S.DECLINED),
    S.ACCEPTED: (S.IN_TREATMENT, S.DECLINED),
    S.IN_TREATMENT: (S.DISCHARGED,),
    S.DECLINED: (),
    S.DISCHARGED: (),
}

# Statuses that stop the RTT clock, and the reason written on the referral.
CLOCK_STOPS = {
    S.IN_TREATMENT: "first infusion",
    S.DECLINED: "decision not to treat",
}


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def _label(status: str) -> str:
    return S(status).label.lower()


# --- patients ------------------------------------------------------------------------------------


def _save_patient(patient: Patient) -> Patient:
    # Before full_clean: "943 476 5919" is 12 characters, the stored form 10 digits.
    patient.nhs_number = normalise_nhs_number(patient.nhs_number)
    patient.full_clean()
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        # Two receptionists registering the same NHS number at once: the database constraint wins.
        if "patient_nhs_number_unique_when_present" in str(exc):
            raise ValidationError(
                {"nhs_number": "A patient with this NHS number is already registered."}
            ) from exc
        raise
    return patient


@transaction.atomic
def create_patient(**fields) -> Patient:
    return _save_patient(Patient(**fields))


@transaction.atomic
def update_patient(*, patient: Patient, **fields) -> Patient:
    for name, value in fields.items():
        setattr(patient, name, value)
    return _save_patient(patient)


@transaction.atomic
def record_weight(*, patient: Patient, recorded_on: date, weight_kg, height_cm=None, by) -> WeightRecord:
    if recorded_on and recorded_on > timezone.localdate():
        raise ValidationError({"recorded_on": "A weight cannot be recorded for a future date."})
    record = WeightRecord(
        patient=patient, recorded_on=recorded_on, weight_kg=weight_kg, height_cm=height_cm, recorded_by=by
    )
    record.full_clean()
    record.save()
    return record


# --- referrals -----------------------------------------------------------------------------------


@transaction.atomic
def create_referral(*, patient: Patient, created_by, note: str = "", **fields) -> Referral:
    """Register a referral (status received) and the first line of its timeline."""
    referral = Referral(patient=patient, created_by=created_by, status=S.RECEIVED, **fields)
    referral.status_changed_at = timezone.now()
    referral.full_clean()
    referral.save()
    ReferralEvent.objects.create(
        referral=referral,
        from_status="",
        to_status=S.RECEIVED,
        at=referral.status_changed_at,
        by=created_by,
        note=note or f"Referral received on {uk_date(referral.received_on)}.",
    )
    return referral


@transaction.atomic
def register_referral(
    *, created_by, referral_fields: dict, patient: Patient | None = None, patient_fields: dict | None = None
) -> Referral:
    """Reception's intake: an existing patient, or a new one registered in the same transaction. A GP
    referral that names no practice comes from the patient's own GP practice."""
    if patient is None:
        patient = create_patient(**(patient_fields or {}))
    fields = dict(referral_fields)
    if fields.get("source") == ReferralSource.GP and not fields.get("gp_practice_name"):
        fields["gp_practice_name"] = patient.gp_practice_name
        fields["gp_practice_ods"] = fields.get("gp_practice_ods") or patient.gp_practice_ods
    return create_referral(patient=patient, created_by=created_by, **fields)


@transaction.atomic
def update_referral_details(*, referral: Referral, **fields) -> Referral:
    """Edit the intake details (funding, letter, pre-authorisation); never the status."""
    fields.pop("status", None)
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.full_clean()
    referral.save()
    return referral


def _move(*, referral: Referral, to_status: str, by, note: str = "", on_date: date | None = None) -> Referral:
    # Lock the row: two clicks or two people never move the same referral twice.
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if to_status not in allowed_transitions(locked.status):
        options = allowed_transitions(locked.status)
        hint = (
            "It can move to: " + " or ".join(_label(s) for s in options) + "."
            if options
            else "It is closed; a new referral starts a new pathway."
        )
        raise ValidationError(
            {
                "status": f"A referral that is {_label(locked.status)} cannot be moved to {_label(to_status)}. {hint}"
            }
        )
    now = timezone.now()
    from_status = locked.status
    locked.status = to_status
    locked.status_changed_at = now
    if to_status in CLOCK_STOPS and locked.rtt_stopped_on is None:
        stop_on = on_date or timezone.localdate()
        if stop_on < locked.received_on:
            raise ValidationError({"on_date": "The clock cannot stop before the referral was received."})
        locked.rtt_stopped_on = stop_on
        locked.rtt_stop_reason = CLOCK_STOPS[to_status]
    locked.save(update_fields=["status", "status_changed_at", "rtt_stopped_on", "rtt_stop_reason"])
    ReferralEvent.objects.create(
        referral=locked, from_status=from_status, to_status=to_status, at=now, by=by, note=note
    )
    # Keep the caller's object in step with the database.
    referral.status = locked.status
    referral.status_changed_at = locked.status_changed_at
    referral.rtt_stopped_on = locked.rtt_stopped_on
    referral.rtt_stop_reason = locked.rtt_stop_reason
    return referral


@transaction.atomic
def triage_referral(*, referral: Referral, by, note: str = "") -> Referral:
    return _move(referral=referral, to_status=S.TRIAGED, by=by, note=note)


@transaction.atomic
def request_assessment(*, referral: Referral, by, note: str = "") -> Referral:
    return _move(referral=referral, to_status=S.AWAITING_ASSESSMENT, by=by, note=note)


@transaction.atomic
def accept_referral(*, referral: Referral, by, note: str = "") -> Referral:
    return _move(referral=referral, to_status=S.ACCEPTED, by=by, note=note)


@transaction.atomic
def decline_referral(*, referral: Referral, by, reason: str, on_date: date | None = None) -> Referral:
    """A decision not to treat (or the patient declining): stops the RTT clock."""
    if not (reason or "").strip():
        raise ValidationError(
            {"note": "Give the reason for declining: it goes on the timeline and to the GP."}
        )
    return _move(referral=referral, to_status=S.DECLINED, by=by, note=reason, on_date=on_date)


@transaction.atomic
def start_treatment(*, referral: Referral, by, on_date: date) -> Referral:
    """The first infusion has started: accepted -> in treatment, and the RTT clock stops on on_date.

    Safe to call for every infusion of the course: a referral already in treatment is returned
    unchanged. Any other status than accepted is refused with a ValidationError keyed "status".
    """
    if referral.status == S.IN_TREATMENT:
        return referral
    return _move(
        referral=referral,
        to_status=S.IN_TREATMENT,
        by=by,
        note=f"First infusion on {uk_date(on_date)}.",
        on_date=on_date,
    )


@transaction.atomic
def start_treatment_for_patient(*, patient: Patient, by, on_date: date) -> Referral | None:
    """Convenience for the session record: start treatment on the patient's accepted referral, if any."""
    referral = (
        Referral.objects.filter(patient=patient, status__in=[S.ACCEPTED, S.IN_TREATMENT])
        .order_by("-status_changed_at", "-id")
        .first()
    )
    if referral is None:
        return None
    return start_treatment(referral=referral, by=by, on_date=on_date)


@transaction.atomic
def discharge_referral(*, referral: Referral, by, note: str = "") -> Referral:
    return _move(referral=referral, to_status=S.DISCHARGED, by=by, note=note)


# The actions a person can take on the referral page, by name.
ACTIONS = {
    "triage": (S.TRIAGED, triage_referral),
    "request_assessment": (S.AWAITING_ASSESSMENT, request_assessment),
    "accept": (S.ACCEPTED, accept_referral),
    "decline": (S.DECLINED, None),
    "discharge": (S.DISCHARGED, discharge_referral),
}


@transaction.atomic
def apply_action(*, referral: Referral, action: str, by, note: str = "") -> Referral:
    if action not in ACTIONS:
        raise ValidationError({"action": "Unknown action."})
    if action == "decline":
        return decline_referral(referral=referral, by=by, reason=note)
    return ACTIONS[action][1](referral=referral, by=by, note=note)


# --- eligibility ---------------------------------------------------------------------------------

# Labs without which a family cannot be judged safe (docs/clinical-reference.md#eligibility):
# bisphosphonates need corrected calcium and eGFR before the dose; magnesium is contraindicated below
# an eGFR of 30.
REQUIRED_LABS = {
    "bisphosphonate": ("egfr", "corrected_calcium"),
    "magnesium": ("egfr",),
}
LAB_LABELS = {"egfr": "eGFR", "corrected_calcium": "corrected calcium"}


@transaction.atomic
def record_eligibility(
    *,
    patient: Patient,
    family,
    by,
    assessed_on: date,
    weight_kg,
    decision: str,
    checklist: dict | None = None,
    reasons: str = "",
    height_cm=None,
    egfr=None,
    corrected_calcium=None,
    ecg_result="not_done",
    qtc_ms=None,
    pregnancy=Pregnancy.NOT_APPLICABLE,
    referral: Referral | None = None,
) -> EligibilityAssessment:
    """Record a specialist's eligibility decision for one protocol family.

    The weight becomes a WeightRecord too (doses use recorded weights). When the referral is
    awaiting assessment and the decision is eligible, the referral is accepted in the same
    transaction; a declined family does not decline the referral (another family may suit).
    """
    checklist = checklist or {}
    errors = {}
    if assessed_on and assessed_on > timezone.localdate():
        errors["assessed_on"] = "The assessment date cannot be in the future."
    if referral is not None and referral.patient_id != patient.pk:
        errors["referral"] = "This referral belongs to another patient."
    present = [item for item, ticked in checklist.items() if ticked]
    if decision == EligibilityDecision.DECLINED and not reasons.strip():
        errors["reasons"] = "Give the reasons for declining."
    elif decision == EligibilityDecision.ELIGIBLE and present and not reasons.strip():
        errors["reasons"] = (
            "A contraindication is ticked (" + "; ".join(present) + "): justify the decision to treat."
        )
    if decision == EligibilityDecision.ELIGIBLE:
        if pregnancy == Pregnancy.PREGNANT and pregnancy_is_relevant(family):
            errors["pregnancy"] = f"Pregnancy or breastfeeding is a contraindication for {family.name}."
        slug_key = next((key for key in REQUIRED_LABS if family.slug.startswith(key)), None)
        labs = {"egfr": egfr, "corrected_calcium": corrected_calcium}
        for lab in REQUIRED_LABS.get(slug_key, ()):
            if labs[lab] is None:
                errors[lab] = f"{family.name} needs a recent {LAB_LABELS[lab]} before a decision of eligible."
    if errors:
        raise ValidationError(errors)

    assessment = EligibilityAssessment(
        patient=patient,
        referral=referral,
        protocol_family=family,
        assessed_on=assessed_on,
        assessed_by=by,
        weight_kg=weight_kg,
        egfr=egfr,
        corrected_calcium=corrected_calcium,
        ecg_result=ecg_result,
        qtc_ms=qtc_ms,
        pregnancy=pregnancy,
        checklist=checklist,
        decision=decision,
        reasons=reasons,
    )
    assessment.full_clean()
    if weight_kg is not None:
        record_weight(
            patient=patient, recorded_on=assessed_on, weight_kg=weight_kg, height_cm=height_cm, by=by
        )
    assessment.save()
    if (
        referral is not None
        and decision == EligibilityDecision.ELIGIBLE
        and referral.status == S.AWAITING_ASSESSMENT
    ):
        accept_referral(referral=referral, by=by, note=f"Eligible for {family.name}.")
    return assessment


@transaction.atomic
def prescribe(
    *,
    patient,
    protocol_version: ProtocolVersion,
    weight_record=None,
    override_dose=None,
    reason: str = "",
    by,
    referral=None,
    on_date=None,
) -> Prescription:
    """Choose a protocol version and dose for a patient. The dose is recalculated here, never trusted.

    Refused doses raise ValidationError keyed by the input at fault ("weight_record",
    "override_dose", "protocol_version"); a dose over the soft limit needs `reason`. The patient's
    previous active prescription of the same family is replaced (kept, marked inactive).
    """
    on_date = on_date or timezone.localdate()
    reason = (reason or "").strip()
    if not protocol_version.is_current:
        raise ValidationError(
            {"protocol_version": "This version has been replaced by a newer one: choose the current version."}
        )
    if weight_record is not None and weight_record.patient_id != patient.pk:
        raise ValidationError({"weight_record": "This weight belongs to another patient."})
    if referral is not None and referral.patient_id != patient.pk:
        raise ValidationError({"referral": "This referral belongs to another patient."})

    result = calculate_dose(
        version=protocol_version,
        weight_kg=weight_record.weight_kg if weight_record else None,
        weight_recorded_on=weight_record.recorded_on if weight_record else None,
        on_date=on_date,
        override_dose=override_dose,
    )
    if not result.allowed:
        if result.refused_field == FIELD_WEIGHT:
            key = "weight_record"
        else:
            key = "override_dose" if override_dose not in (None, "") else "protocol_version"
        raise ValidationError({key: result.messages[0]})
    if result.verdict == OVER_SOFT_LIMIT and not reason:
        raise ValidationError(
            {
                "reason": f"A reason is required: {result.messages[0].removesuffix(': record a reason to go on.')}."
            }
        )

    family = protocol_version.protocol.family
    # Lock the patient so that two prescribers saving at once replace each other in turn.
    type(patient).objects.select_for_update().filter(pk=patient.pk).first()
    # Saved one by one (not .update()) so that the history records who replaced each one.
    for old in Prescription.objects.select_for_update().filter(
        patient=patient, family=family, is_active=True
    ):
        old.is_active = False
        old.save(update_fields=["is_active"])
    prescription = Prescription(
        patient=patient,
        referral=referral,
        family=family,
        protocol_version=protocol_version,
        weight_record=weight_record if protocol_version.is_weight_based else None,
        basis_dose=result.basis_dose,
        dose_mg=result.dose_mg,
        volume_ml=result.volume_ml,
        rate_ml_per_h=result.rate_ml_per_h,
        verdict=result.verdict,
        soft_limit_reason=reason if result.verdict == OVER_SOFT_LIMIT else "",
        prescribed_by=by,
    )
    prescription.full_clean()
    prescription.save()
    return prescription

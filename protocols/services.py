"""Writes of the protocol library and prescriptions: one transaction each, ValidationError by field."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from infusion_clinic.dates import uk_date

from .dosing import FIELD_WEIGHT, OVER_SOFT_LIMIT, calculate_dose
from .models import EDITABLE_FIELDS, Prescription, Protocol, ProtocolVersion


@transaction.atomic
def create_version(*, from_version: ProtocolVersion, by, **changes) -> ProtocolVersion:
    """Make the next version of from_version's protocol with `changes`; it becomes the current one.

    The old version is kept unchanged (sessions and prescriptions keep pointing at it) and marked
    not current. A version made from example defaults stays flagged as example until verified.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"create_version() cannot change: {', '.join(sorted(unknown))}")
    # Serialise version numbering per protocol.
    protocol = Protocol.objects.select_for_update().get(pk=from_version.protocol_id)
    latest = ProtocolVersion.objects.filter(protocol=protocol).order_by("-version").first()
    fields = {name: getattr(from_version, name) for name in EDITABLE_FIELDS}
    fields.update(changes)
    new = ProtocolVersion(
        protocol=protocol,
        version=latest.version + 1,
        is_current=True,
        is_example=from_version.is_example,
        created_by=by,
        **fields,
    )
    new.full_clean(exclude=["is_current"])  # the old current version is retired below, not yet
    ProtocolVersion.objects.filter(protocol=protocol, is_current=True).update(is_current=False)
    new.save()
    return new


@transaction.atomic
def mark_verified(*, version: ProtocolVersion, by) -> ProtocolVersion:
    """A clinic admin confirms a version's values for this clinic; the banner goes."""
    version = ProtocolVersion.objects.select_for_update().get(pk=version.pk)
    if version.verified_at is not None:
        raise ValidationError({"version": f"Already verified on {uk_date(version.verified_at)}."})
    version.verified_at = timezone.now()
    version.verified_by = by
    version.save(update_fields=["verified_at", "verified_by"])
    return version


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

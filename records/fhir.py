"""FHIR R4 JSON for the session record, so that its observations can go to an EHR or the GP system.

Pure functions from model instances to dicts: no queries here (the views read through
records.selectors.record_for_export and patients' own models), so the export costs the same few queries
whatever the number of observations. Codes and units: docs/clinical-reference.md#fhir-codes.

Ids are stable: a resource's `id` comes from its row (`vitals-12-hr`, `patient-3`) and its Bundle
`fullUrl` is a name-based UUID of that id within this installation (SITE_URL), so exporting the same
record twice gives the same URLs and a receiving system can recognise a resource it already holds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from infusion_clinic.dates import uk_datetime
from patients.models import Sex
from sessions.models import SessionStatus

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

VITAL_SIGNS_CATEGORY = {
    "coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}],
    "text": "Vital Signs",
}

GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other", Sex.UNKNOWN: "unknown"}

# A signed-off or completed record is read-only: what it holds is final.
FINAL_STATUSES = (SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)


@dataclass(frozen=True)
class Measure:
    """One Observation drawn from each VitalSigns row."""

    key: str  # the id suffix: vitals-<pk>-<key>
    codings: tuple[tuple[str, str], ...]  # LOINC (code, display)
    text: str
    field: str | None  # the VitalSigns field holding the value; None for the blood pressure panel
    unit: str = ""  # UCUM code
    unit_display: str = ""
    # An amendment to one of these VitalSigns fields changes a value this Observation carries.
    amended_by: frozenset = frozenset()


BP_COMPONENTS = (
    ("systolic", "8480-6", "Systolic blood pressure"),
    ("diastolic", "8462-4", "Diastolic blood pressure"),
)

MEASURES = (
    Measure(
        "bp",
        (("85354-9", "Blood pressure panel with all children optional"),),
        "Blood pressure",
        None,
        "mm[Hg]",
        "mmHg",
        frozenset({"systolic", "diastolic"}),
    ),
    Measure(
        "hr",
        (("8867-4", "Heart rate"),),
        "Heart rate",
        "heart_rate",
        "/min",
        "beats/minute",
        frozenset({"heart_rate"}),
    ),
    Measure(
        "rr",
        (("9279-1", "Respiratory rate"),),
        "Respiratory rate",
        "respiratory_rate",
        "/min",
        "breaths/minute",
        frozenset({"respiratory_rate"}),
    ),
    Measure(
        "spo2",
        (
            ("2708-6", "Oxygen saturation in Arterial blood"),
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ),
        "Oxygen saturation (SpO2)",
        "spo2",
        "%",
        "%",
        frozenset({"spo2"}),
    ),
    Measure(
        "temp",
        (("8310-5", "Body temperature"),),
        "Body temperature",
        "temperature",
        "Cel",
        "°C",
        frozenset({"temperature"}),
    ),
    Measure(
        "pain",
        (("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),),
        "Pain score (0-10)",
        "pain",
        "{score}",
        "{score}",
        frozenset({"pain"}),
    ),
)

BODY_WEIGHT = Measure("weight", (("29463-7", "Body weight"),), "Body weight", "weight_kg", "kg", "kg")


# --- ids and small values -----------------------------------------------------------------------


def _namespace() -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, settings.SITE_URL)


def full_url(resource_type: str, resource_id: str) -> str:
    """A Bundle fullUrl that stays the same for the same resource of this installation."""
    return f"urn:uuid:{uuid.uuid5(_namespace(), f'{resource_type}/{resource_id}')}"


def patient_id(patient) -> str:
    return f"patient-{patient.pk}"


def observation_id(vital_signs, key: str) -> str:
    return f"vitals-{vital_signs.pk}-{key}"


def weight_observation_id(record) -> str:
    return f"record-{record.pk}-weight"


def instant(moment) -> str:
    """ISO 8601 with the offset, in the clinic's time zone (e.g. 2026-11-25T14:30:00+00:00)."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _number(value):
    """JSON numbers, never strings: Decimal("36.8") -> 36.8, Decimal("70.0") -> 70."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _quantity(value, measure: Measure) -> dict:
    return {"value": _number(value), "unit": measure.unit_display, "system": UCUM, "code": measure.unit}


def _concept(codings, text) -> dict:
    return {"coding": [{"system": LOINC, "code": c, "display": d} for c, d in codings], "text": text}


def _person(user) -> dict:
    return {"display": user.get_full_name() or user.get_username()}


def observation_status(*, session_status: str, amended: bool = False) -> str:
    """amended when a correction changed one of its values; final once the record is completed or
    signed off (read-only); preliminary while it is still being charted."""
    if amended:
        return "amended"
    return "final" if session_status in FINAL_STATUSES else "preliminary"


# --- Patient ---------------------------------------------------------------------------------------


def local_patient_system() -> str:
    """This installation's namespace for its own patient numbers."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/patient-number"


def patient_resource(patient) -> dict:
    resource = {"resourceType": "Patient", "id": patient_id(patient)}
    # The NHS number where there is one; always the clinic's own patient number too, so that a private
    # patient without an NHS number can still be matched on a second export.
    identifiers = []
    if patient.nhs_number:
        identifiers.append({"use": "official", "system": NHS_NUMBER_SYSTEM, "value": patient.nhs_number})
    identifiers.append({"use": "secondary", "system": local_patient_system(), "value": str(patient.pk)})
    resource["identifier"] = identifiers
    resource["name"] = [
        {
            "use": "official",
            "text": patient.full_name,
            "family": patient.last_name,
            "given": [patient.first_name],
        }
    ]
    telecom = []
    if patient.phone:
        # E.164 (+447700900123), unambiguous outside the UK; a number that cannot be read goes as typed.
        telecom.append({"system": "phone", "value": patient.phone.as_stored})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    resource["gender"] = GENDER.get(patient.sex, "unknown")
    resource["birthDate"] = patient.date_of_birth.isoformat()
    lines = [line for line in (patient.address_line1, patient.address_line2) if line]
    if lines or patient.town or patient.postcode:
        address = {"use": "home"}
        if lines:
            address["line"] = lines
        if patient.town:
            address["city"] = patient.town
        if patient.postcode:
            address["postalCode"] = patient.postcode
        address["country"] = "GB"
        resource["address"] = [address]
    if patient.gp_practice_ods or patient.gp_practice_name:
        practice = {"type": "Organization"}
        if patient.gp_practice_ods:
            practice["identifier"] = {"system": ODS_SYSTEM, "value": patient.gp_practice_ods}
        if patient.gp_practice_name:
            practice["display"] = patient.gp_practice_name
        resource["generalPractitioner"] = [practice]
    return resource


# --- Observations ----------------------------------------------------------------------------------


def _observation(*, resource_id, measure, status, subject, effective, issued, performer, notes) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": status,
        "category": [VITAL_SIGNS_CATEGORY],
        "code": _concept(measure.codings, measure.text),
        "subject": subject,
        "effectiveDateTime": instant(effective),
        "issued": instant(issued),
    }
    if performer is not None:
        resource["performer"] = [_person(performer)]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _amendment_note(amendment) -> str:
    return (
        f"Amended {uk_datetime(amendment.amended_at)}: {amendment.field_label} "
        f"{amendment.old_value} -> {amendment.new_value}. Reason: {amendment.reason}"
    )


def vital_signs_observations(vital_signs, *, session_status, subject, amendments=()) -> list[dict]:
    """The Observations of one charted row: blood pressure (panel with systolic and diastolic
    components), heart rate, respiratory rate, SpO2, temperature and pain. `amendments` are that row's
    Amendment rows; only an Observation whose value an amendment changed is "amended"."""
    observations = []
    for measure in MEASURES:
        own = [a for a in amendments if a.field_name in measure.amended_by]
        resource = _observation(
            resource_id=observation_id(vital_signs, measure.key),
            measure=measure,
            status=observation_status(session_status=session_status, amended=bool(own)),
            subject=subject,
            effective=vital_signs.observed_at,
            issued=max([vital_signs.recorded_at, *(a.amended_at for a in own)]),
            performer=vital_signs.recorded_by,
            notes=[_amendment_note(a) for a in own],
        )
        if measure.field is None:
            resource["component"] = [
                {
                    "code": _concept(((code, display),), display),
                    "valueQuantity": _quantity(getattr(vital_signs, name), measure),
                }
                for name, code, display in BP_COMPONENTS
            ]
        else:
            resource["valueQuantity"] = _quantity(getattr(vital_signs, measure.field), measure)
        observations.append(resource)
    return observations


def weight_observation(record, *, session_status, subject) -> dict | None:
    """The body weight the dose was calculated from, when the infusion record holds one."""
    if record is None or record.weight_kg is None:
        return None
    resource = _observation(
        resource_id=weight_observation_id(record),
        measure=BODY_WEIGHT,
        status=observation_status(session_status=session_status),
        subject=subject,
        effective=record.started_at,
        issued=record.started_at,
        performer=record.started_by,
        notes=["The weight used to calculate the dose when the infusion started."],
    )
    resource["valueQuantity"] = _quantity(record.weight_kg, BODY_WEIGHT)
    return resource


SNOMED = "http://snomed.info/sct"
INTRAVENOUS = {
    "coding": [{"system": SNOMED, "code": "47625008", "display": "Intravenous route"}],
    "text": "Intravenous",
}


def _mg(value) -> dict:
    return {"value": _number(value), "unit": "mg", "system": UCUM, "code": "mg"}


def medication_administration(record, *, session, delivered, subject) -> dict | None:
    """The infusion as given: the dose and volume that ran (from the record's timeline, not the
    prescription), its period, and why it stopped when it stopped before the bag had run."""
    if record is None or delivered is None:
        return None
    complete = delivered.is_complete(rate_ml_per_h=record.rate_ml_per_h)
    if record.stopped_at is None:
        status = "on-hold" if record.state == "paused" else "in-progress"
    else:
        status = "completed" if complete else "stopped"
    period = {"start": instant(record.started_at)}
    if record.stopped_at:
        period["end"] = instant(record.stopped_at)
    given = (
        f"{_number(delivered.dose_mg)} of {_number(record.dose_mg)} mg given "
        f"({_number(delivered.volume_ml)} of {_number(record.volume_ml)} mL)"
    )
    resource = {
        "resourceType": "MedicationAdministration",
        "id": f"session-{session.pk}-infusion",
        "status": status,
        "medicationCodeableConcept": {"text": session.protocol_version.drug},
        "subject": subject,
        "effectivePeriod": period,
        "performer": [{"actor": _person(record.started_by)}],
        "note": [
            {
                "text": f"{session.protocol_version.name}: planned {_number(record.dose_mg)} mg in "
                f"{_number(record.volume_ml)} mL over {record.duration_minutes} min; {given}."
            }
        ],
        "dosage": {
            "text": given,
            "route": INTRAVENOUS,
            "dose": _mg(delivered.dose_mg),
            # The pump's starting rate; rate changes and pauses are in the record (the dose is their sum).
            "rateQuantity": {
                "value": _number(record.rate_ml_per_h),
                "unit": "mL/h",
                "system": UCUM,
                "code": "mL/h",
            },
        },
    }
    if status == "stopped":
        resource["statusReason"] = [{"text": f"Stopped early: {record.stop_reason}"}]
    return resource


# --- the Bundle ------------------------------------------------------------------------------------


def _entry(resource) -> dict:
    return {"fullUrl": full_url(resource["resourceType"], resource["id"]), "resource": resource}


def session_bundle(*, session, record, vitals, amendments, now, delivered=None) -> dict:
    """A collection Bundle: the Patient, the dosing weight, the infusion as given
    (MedicationAdministration) and every charted row's Observations.

    `amendments` are the session's vital-sign Amendment rows; `now` is the Bundle's timestamp."""
    patient = session.patient
    patient_entry = _entry(patient_resource(patient))
    subject = {"reference": patient_entry["fullUrl"], "display": patient.full_name}
    by_row = {}
    for amendment in amendments:
        if amendment.vital_signs_id is not None:
            by_row.setdefault(amendment.vital_signs_id, []).append(amendment)
    entries = [patient_entry]
    weight = weight_observation(record, session_status=session.status, subject=subject)
    if weight is not None:
        entries.append(_entry(weight))
    given = medication_administration(record, session=session, delivered=delivered, subject=subject)
    if given is not None:
        entries.append(_entry(given))
    for row in vitals:
        for resource in vital_signs_observations(
            row, session_status=session.status, subject=subject, amendments=by_row.get(row.pk, ())
        ):
            entries.append(_entry(resource))
    return {
        "resourceType": "Bundle",
        "id": f"session-{session.pk}-record",
        "type": "collection",
        "timestamp": instant(now),
        "entry": entries,
    }


def operation_outcome(*, code: str, message: str) -> dict:
    """The body of an error answer (code from the FHIR issue-type value set: not-found, forbidden)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }

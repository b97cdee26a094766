"""FHIR R4 resources the server gives, from model rows (pure functions: the selectors did the reads).

The session record's mappings (Patient, vital-sign Observations, the dose given) stay in
records/fhir.py, where the session export uses them; this module adds what the server needs beside
them: references between resources, ServiceRequest (the referral), Appointment (the session), the
NEWS2 score as an Observation, and for the subject access export the pain diary, outcome reviews and
adverse events. Codes: docs/fhir.md and docs/clinical-reference.md#fhir-codes.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from records import fhir as record_fhir
from records.fhir import LOINC, OBSERVATION_CATEGORY, SNOMED, UCUM, VITAL_SIGNS_CATEGORY, instant

# Resource ids: <prefix>-<row id>, the prefix naming the row's kind.
PATIENT_PREFIX = "patient"
REFERRAL_PREFIX = "referral"
SESSION_PREFIX = "session"
VITALS_PREFIX = "vitals"
WEIGHT_PREFIX = "weight"
INFUSION_SUFFIX = "infusion"

SURVEY_CATEGORY = {
    "coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}],
    "text": "Survey",
}

# The NEWS2 total score: SNOMED CT (UK edition), as the NHS NEWS2 and UK Core profiles code it.
NEWS2_CODE = {
    "coding": [
        {
            "system": SNOMED,
            "code": "1104051000000101",
            "display": "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score",
        }
    ],
    "text": "NEWS2 score",
}
NEWS2_KEY = "news2"

# A recorded body weight (patients.WeightRecord): one Observation per row, `weight-<row id>`.
WEIGHT_KEY = "weight"
BODY_WEIGHT_CODE = {
    "coding": [{"system": LOINC, "code": "29463-7", "display": "Body weight"}],
    "text": "Body weight",
}

REFERRAL_CATEGORY = {
    "coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}],
    "text": "Referral",
}
REFERRAL_CODE = {"text": "Intravenous infusion for chronic pain (pain clinic)"}

# Observation codes the server answers to, by the key of the observation they make from a charted row.
OBSERVATION_KEYS = {m.key: m for m in record_fhir.MEASURES}
OBSERVATION_CODES: dict[tuple[str, str], str] = {
    (LOINC, code): m.key for m in record_fhir.MEASURES for code, _display in m.codings
}
OBSERVATION_CODES[(SNOMED, NEWS2_CODE["coding"][0]["code"])] = NEWS2_KEY
OBSERVATION_CODES[(LOINC, BODY_WEIGHT_CODE["coding"][0]["code"])] = WEIGHT_KEY
# The keys of a charted row's observations; a body weight (WEIGHT_KEY) comes from another table.
ALL_OBSERVATION_KEYS = (*OBSERVATION_KEYS, NEWS2_KEY)
CATEGORY_KEYS = {"vital-signs": (*OBSERVATION_KEYS, WEIGHT_KEY), "survey": (NEWS2_KEY,)}

REFERRAL_STATUS = {
    "received": "active",
    "triaged": "active",
    "awaiting_assessment": "active",
    "accepted": "active",
    "in_treatment": "active",
    "declined": "revoked",
    "discharged": "completed",
}

APPOINTMENT_STATUS = {
    "booked": "booked",
    "checked_in": "checked-in",
    "in_progress": "arrived",
    "completed": "fulfilled",
    "signed_off": "fulfilled",
    "cancelled": "cancelled",
    "dna": "noshow",
    "rescheduled": "cancelled",
}


def fhir_base() -> str:
    """The server's base address for this installation (SITE_URL + /fhir)."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir"


def full_url(resource: dict, *, base: str | None = None) -> str:
    return f"{base or fhir_base()}/{resource['resourceType']}/{resource['id']}"


def entry(resource: dict, *, search_mode: str | None = None, base: str | None = None) -> dict:
    data = {"fullUrl": full_url(resource, base=base), "resource": resource}
    if search_mode:
        data["search"] = {"mode": search_mode}
    return data


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def patient_reference(patient) -> dict:
    return {"reference": f"Patient/{record_fhir.patient_id(patient)}", "display": patient.full_name}


def referral_id(referral) -> str:
    return f"{REFERRAL_PREFIX}-{referral.pk}"


def appointment_id(session) -> str:
    return f"{SESSION_PREFIX}-{session.pk}"


def medication_administration_id(session) -> str:
    return f"{SESSION_PREFIX}-{session.pk}-{INFUSION_SUFFIX}"


def patient(patient) -> dict:
    return record_fhir.patient_resource(patient)


# --- ServiceRequest: the referral ------------------------------------------------------------------


def service_request(referral, *, with_letter: bool = False) -> dict:
    """The referral to the clinic. `with_letter` adds the letter's text and prior treatments as notes
    (the subject access export; the search gives the referral as reception sees it in lists)."""
    condition = referral.get_condition_display()
    if referral.condition_other:
        condition = f"{condition}: {referral.condition_other}"
    resource = {
        "resourceType": "ServiceRequest",
        "id": referral_id(referral),
        "identifier": [
            {"system": f"{settings.SITE_URL.rstrip('/')}/fhir/referral-number", "value": str(referral.pk)}
        ],
        "status": REFERRAL_STATUS.get(referral.status, "unknown"),
        "intent": "order",
        "category": [REFERRAL_CATEGORY],
        "code": REFERRAL_CODE,
        "subject": patient_reference(referral.patient),
        "authoredOn": referral.received_on.isoformat(),
        "reasonCode": [{"text": condition}],
    }
    if referral.source == "self":
        resource["requester"] = {"reference": resource["subject"]["reference"], "display": "Self-referral"}
    elif referral.gp_practice_ods or referral.gp_practice_name:
        requester = {"type": "Organization"}
        if referral.gp_practice_ods:
            requester["identifier"] = {"system": record_fhir.ODS_SYSTEM, "value": referral.gp_practice_ods}
        if referral.gp_practice_name:
            requester["display"] = referral.gp_practice_name
        resource["requester"] = requester
    notes = [
        f"Clinic status: {referral.get_status_display()}. Funding: {referral.get_funding_route_display()}."
    ]
    if with_letter:
        if referral.prior_treatments:
            notes.append(f"Prior treatments: {referral.prior_treatments}")
        if referral.letter_text:
            notes.append(f"Referral letter: {referral.letter_text}")
    resource["note"] = [{"text": text} for text in notes]
    return resource


# --- Appointment: the infusion session -------------------------------------------------------------


def appointment(session) -> dict:
    version = session.protocol_version
    resource = {
        "resourceType": "Appointment",
        "id": appointment_id(session),
        "status": APPOINTMENT_STATUS.get(session.status, "booked"),
        "serviceType": [{"text": "Intravenous infusion"}],
        "description": f"{version.name}: infusion {session.sequence}",
        "start": instant(session.start),
        "end": instant(session.end),
        "minutesDuration": int((session.end - session.start).total_seconds() // 60),
        "created": instant(session.booked_at),
        "participant": [
            {"actor": patient_reference(session.patient), "required": "required", "status": "accepted"},
            {
                "actor": {"display": f"{session.chair.name}, {session.chair.location.name}"},
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if session.referral_id:
        resource["basedOn"] = [{"reference": f"ServiceRequest/{REFERRAL_PREFIX}-{session.referral_id}"}]
    if session.status in ("cancelled", "rescheduled", "dna"):
        reason = session.cancel_reason or session.get_status_display()
        if session.status == "rescheduled":
            reason = "Rescheduled"
        resource["cancelationReason"] = {"text": reason}
    return resource


# --- Observations from a charted row ---------------------------------------------------------------


def news2_observation(vital_signs, *, session_status, subject, amended=False) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": f"{VITALS_PREFIX}-{vital_signs.pk}-{NEWS2_KEY}",
        "status": record_fhir.observation_status(session_status=session_status, amended=amended),
        "category": [SURVEY_CATEGORY],
        "code": NEWS2_CODE,
        "subject": subject,
        "effectiveDateTime": instant(vital_signs.observed_at),
        "issued": instant(vital_signs.recorded_at),
        "valueQuantity": {
            "value": vital_signs.news2_total,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        },
        "interpretation": [{"text": f"NEWS2 clinical risk: {vital_signs.get_news2_band_display()}"}],
    }
    user = vital_signs.recorded_by
    resource["performer"] = [{"display": user.get_full_name() or user.get_username()}]
    return resource


def row_observations(vital_signs, *, keys, amendments=()) -> list[dict]:
    """The Observations of one charted row whose key is in `keys`, in ALL_OBSERVATION_KEYS order."""
    session = vital_signs.session
    subject = patient_reference(session.patient)
    by_key = {
        o["id"].rsplit("-", 1)[1]: o
        for o in record_fhir.vital_signs_observations(
            vital_signs, session_status=session.status, subject=subject, amendments=amendments
        )
    }
    by_key[NEWS2_KEY] = news2_observation(
        vital_signs, session_status=session.status, subject=subject, amended=bool(amendments)
    )
    return [by_key[key] for key in ALL_OBSERVATION_KEYS if key in keys]


# --- Observation: a recorded body weight -------------------------------------------------------------


def weight_id(weight) -> str:
    return f"{WEIGHT_PREFIX}-{weight.pk}"


def body_weight(weight) -> dict:
    """A recorded weight (patients.WeightRecord, its patient and recorder joined) as a vital-signs
    Observation: LOINC 29463-7 in kg, on the day it was recorded. Weights are not amended in place
    (a new one is recorded), so the status is always final."""
    user = weight.recorded_by
    return {
        "resourceType": "Observation",
        "id": weight_id(weight),
        "status": "final",
        "category": [VITAL_SIGNS_CATEGORY],
        "code": BODY_WEIGHT_CODE,
        "subject": patient_reference(weight.patient),
        "effectiveDateTime": weight.recorded_on.isoformat(),
        "issued": instant(weight.created_at),
        "performer": [{"display": user.get_full_name() or user.get_username()}],
        "valueQuantity": {"value": _number(weight.weight_kg), "unit": "kg", "system": UCUM, "code": "kg"},
    }


# --- MedicationAdministration: the dose given ------------------------------------------------------


def medication_administration(record, *, delivered) -> dict | None:
    session = record.session
    resource = record_fhir.medication_administration(
        record, session=session, delivered=delivered, subject=patient_reference(session.patient)
    )
    if resource is not None:
        resource["supportingInformation"] = [{"reference": f"Appointment/{appointment_id(session)}"}]
    return resource


# --- the subject access export's other resources -----------------------------------------------------


def diary_response(entry) -> dict:
    """A pain diary entry as a QuestionnaireResponse (the diary form's questions, the patient's answers)."""
    items = [
        ("pain_now", "Pain right now (0-10)", {"valueInteger": entry.pain_now}),
        ("pain_average", "Average pain (0-10)", {"valueInteger": entry.pain_average}),
        ("pain_worst", "Worst pain (0-10)", {"valueInteger": entry.pain_worst}),
        ("sleep", "Last night's sleep", {"valueString": entry.get_sleep_display()}),
        (
            "rescue_medication",
            "Took extra (rescue) pain medication",
            {"valueBoolean": entry.rescue_medication},
        ),
        ("activity", "Activity today", {"valueString": entry.get_activity_display()}),
    ]
    if entry.rescue_medication_detail:
        items.append(
            (
                "rescue_detail",
                "Which medication and how much",
                {"valueString": entry.rescue_medication_detail},
            )
        )
    if entry.notes:
        items.append(("notes", "Anything else", {"valueString": entry.notes}))
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"diary-{entry.pk}",
        "status": "completed",
        "subject": patient_reference(entry.patient),
        "authored": instant(entry.recorded_at),
        "item": [{"linkId": link, "text": text, "answer": [answer]} for link, text, answer in items],
    }
    if entry.source == "patient":
        resource["author"] = resource["source"] = {"reference": resource["subject"]["reference"]}
    return resource


def outcome_review(review) -> dict:
    """A completed outcome review as an Observation (pain now, with PGIC and the decision as components)."""
    resource = {
        "resourceType": "Observation",
        "id": f"outcome-{review.pk}",
        "status": "final",
        "category": [SURVEY_CATEGORY],
        "code": {"text": f"Outcome review, {review.offset_days} days after the course"},
        "subject": patient_reference(review.patient),
        "effectiveDateTime": instant(review.completed_at),
        "valueQuantity": {"value": review.current_pain, "unit": "{score}", "system": UCUM, "code": "{score}"},
        "component": [
            {
                "code": {"text": "Patient's global impression of change (PGIC)"},
                "valueString": review.get_pgic_display(),
            },
            {"code": {"text": "Decision"}, "valueString": review.get_decision_display()},
        ],
    }
    if review.percent_reduction is not None:
        resource["component"].append(
            {
                "code": {"text": "Reduction from baseline"},
                "valueQuantity": {
                    "value": _number(review.percent_reduction),
                    "unit": "%",
                    "system": UCUM,
                    "code": "%",
                },
            }
        )
    if review.notes:
        resource["note"] = [{"text": review.notes}]
    return resource


def adverse_event(event, *, infusion_given: bool = True) -> dict:
    session = event.session
    resource = {
        "resourceType": "AdverseEvent",
        "id": f"adverse-event-{event.pk}",
        "actuality": "actual",
        "event": {"text": event.other_text or event.get_event_type_display()},
        "subject": patient_reference(session.patient),
        "date": instant(event.occurred_at),
        "recordedDate": instant(event.recorded_at),
        "severity": {"text": event.get_severity_display()},
    }
    if infusion_given:
        given = f"MedicationAdministration/{medication_administration_id(session)}"
        resource["suspectEntity"] = [{"instance": {"reference": given}}]
    notes = f"Action: {event.get_action_taken_display()}."
    if event.notes:
        notes += f" {event.notes}"
    resource["outcome"] = {"text": notes}
    return resource

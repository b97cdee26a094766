"""Subject access export (UK GDPR, article 15): one patient's whole record as a FHIR `collection`
Bundle, with their letters, in one zip file.

The zip holds:
- `record.json`: the Bundle: Patient, ServiceRequests (referrals, with the letter's text), Appointments
  (sessions), Observations (body weights, every charted vital sign with pain and NEWS2, completed
  outcome reviews), MedicationAdministrations (the doses given), QuestionnaireResponses (pain diary
  entries) and AdverseEvents;
- `letters/`: the referral letters as uploaded and the GP letters of completed outcome reviews (PDF, or
  HTML where this server cannot draw PDFs);
- `README.txt`: what the export is, who made it, when and why, and a manifest of the files with their
  SHA-256.

Used by the clinic admin's page (views.subject_access) and `manage.py export_subject_access`; both
record the export in the access audit (kind subject_access) through `export_for`.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from audit.models import AccessKind
from audit.services import record_access
from followup.models import OutcomeReview, OutcomeReviewStatus, PainDiaryEntry
from infusion_clinic.dates import uk_datetime
from infusion_clinic.pdf import write_pdf
from patients.models import Patient, Referral, WeightRecord
from patients.validators import normalise_nhs_number
from records.fhir import LOINC, UCUM, VITAL_SIGNS_CATEGORY, instant
from records.models import AdverseEvent, Amendment, InfusionRecord, VitalSigns
from sessions.models import InfusionSession, SessionStatus

from . import resources as res
from .selectors import infusions_given

# The reason goes into the audit row's label (200 characters with the patient's name) and the README.
REASON_LENGTH = 140


@dataclass
class Export:
    patient: Patient
    bundle: dict
    letters: list[tuple[str, bytes]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_patient(value: str) -> Patient:
    """A patient by NHS number (with or without spaces) or by id; Patient.DoesNotExist otherwise."""
    cleaned = normalise_nhs_number(value)
    if len(cleaned) == 10 and cleaned.isdigit():
        found = Patient.objects.filter(nhs_number=cleaned).first()
        if found is not None:
            return found
    if value.strip().isdigit():
        return Patient.objects.get(pk=int(value.strip()))
    raise Patient.DoesNotExist(f"No patient with NHS number or id {value}.")


def _weight_observations(weight) -> list[dict]:
    """The body weight as the FHIR server serves it (weight-<id>), and the height recorded with it."""
    found = [res.body_weight(weight)]
    if weight.height_cm is not None:
        found.append(
            {
                "resourceType": "Observation",
                "id": f"height-{weight.pk}",
                "status": "final",
                "category": [VITAL_SIGNS_CATEGORY],
                "code": {
                    "coding": [{"system": LOINC, "code": "8302-2", "display": "Body height"}],
                    "text": "Body height",
                },
                "subject": res.patient_reference(weight.patient),
                "effectiveDateTime": weight.recorded_on.isoformat(),
                "valueQuantity": {
                    "value": _number(weight.height_cm),
                    "unit": "cm",
                    "system": UCUM,
                    "code": "cm",
                },
            }
        )
    return found


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def build_bundle(patient, *, now) -> tuple[dict, list[Referral], list[OutcomeReview]]:
    """The patient's whole record as a collection Bundle, and the rows whose letters go with it."""
    referrals = list(
        Referral.objects.filter(patient=patient).select_related("patient").order_by("received_on", "pk")
    )
    sessions = list(
        InfusionSession.objects.filter(patient=patient)
        .select_related("patient", "chair__location", "protocol_version")
        .order_by("start", "pk")
    )
    weights = list(
        WeightRecord.objects.filter(patient=patient)
        .select_related("patient", "recorded_by")
        .order_by("recorded_on", "pk")
    )
    vitals = list(
        VitalSigns.objects.filter(session__patient=patient)
        .select_related("session__patient", "recorded_by")
        .order_by("observed_at", "pk")
    )
    amendments: dict[int, list] = {}
    for amendment in Amendment.objects.filter(vital_signs__session__patient=patient):
        amendments.setdefault(amendment.vital_signs_id, []).append(amendment)
    records = list(
        InfusionRecord.objects.filter(session__patient=patient)
        .select_related("session__patient", "session__protocol_version", "started_by")
        .order_by("started_at", "pk")
    )
    diary = list(
        PainDiaryEntry.objects.filter(patient=patient).select_related("patient").order_by("recorded_at", "pk")
    )
    reviews = list(
        OutcomeReview.objects.filter(patient=patient, status=OutcomeReviewStatus.COMPLETED)
        .select_related("patient", "completed_by", "course__protocol_version")
        .order_by("completed_at", "pk")
    )
    events = list(
        AdverseEvent.objects.filter(session__patient=patient)
        .select_related("session__patient")
        .order_by("occurred_at", "pk")
    )
    given_sessions = {r.session_id for r in records}

    resources = [res.patient(patient)]
    resources += [res.service_request(r, with_letter=True) for r in referrals]
    resources += [res.appointment(s) for s in sessions]
    resources += [o for w in weights for o in _weight_observations(w)]
    resources += [
        o
        for row in vitals
        for o in res.row_observations(
            row, keys=res.ALL_OBSERVATION_KEYS, amendments=amendments.get(row.pk, ())
        )
    ]
    resources += infusions_given(records, now=now)
    resources += [res.adverse_event(e, infusion_given=e.session_id in given_sessions) for e in events]
    resources += [res.diary_response(d) for d in diary]
    resources += [res.outcome_review(r) for r in reviews]
    bundle = {
        "resourceType": "Bundle",
        "id": f"subject-access-{patient.pk}-{timezone.localtime(now):%Y%m%d%H%M%S}",
        "meta": {"lastUpdated": instant(now)},
        "identifier": {
            "system": f"{res.fhir_base()}/subject-access",
            "value": f"{patient.pk}-{int(now.timestamp())}",
        },
        "type": "collection",
        "timestamp": instant(now),
        "entry": [res.entry(r) for r in resources],
    }
    return bundle, referrals, reviews


def _gp_letter_context(review) -> dict:
    """What followup's GP letter page gives its template (followup/views.py: outcome_letter)."""
    sessions = list(
        InfusionSession.objects.filter(
            course=review.course, status__in=(SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)
        ).order_by("start")
    )
    others = OutcomeReview.objects.filter(course=review.course).exclude(pk=review.pk).order_by("offset_days")
    return {
        "review": review,
        "sessions": sessions,
        "other_reviews": list(others),
        "patient": review.patient,
        "detail_url": reverse("followup:outcome_detail", args=[review.pk]),
    }


def _letters(request, referrals, reviews, notes) -> list[tuple[str, bytes]]:
    letters = []
    for referral in referrals:
        if not referral.letter_file:
            continue
        suffix = PurePosixPath(referral.letter_file.name).suffix.lower() or ".bin"
        name = f"letters/referral-{referral.pk}-{referral.received_on.isoformat()}{suffix}"
        try:
            with referral.letter_file.open("rb") as handle:
                letters.append((name, handle.read()))
        except OSError:
            notes.append(f"The uploaded letter of referral {referral.pk} could not be read from storage.")
    for review in reviews:
        day = timezone.localdate(review.completed_at).isoformat()
        stem = f"letters/gp-letter-{review.pk}-{day}"
        context = _gp_letter_context(review)
        pdf = write_pdf("followup/outcome_letter.html", context, request=request)
        if pdf is None:
            html = render_to_string("followup/outcome_letter.html", context, request=request)
            letters.append((f"{stem}.html", html.encode()))
            notes.append(f"{stem}.html is HTML: this server cannot draw PDFs (the Pango library is missing).")
        else:
            letters.append((f"{stem}.pdf", pdf))
    return letters


def _readme(export: Export, *, by, reason, now, files) -> str:
    patient = export.patient
    lines = [
        f"Subject access export from {settings.CLINIC_NAME}",
        "",
        f"Patient: {patient.full_name}, born {patient.date_of_birth.isoformat()}"
        + (f", NHS number {patient.nhs_number}" if patient.nhs_number else ""),
        f"Made: {uk_datetime(now)} (Europe/London)",
        f"Made by: {by.get_full_name() or by.get_username()} ({by.get_username()})",
        f"Reason: {reason}",
        "",
        "record.json is the patient's whole record as an HL7 FHIR R4 Bundle (type collection):",
        "Patient, ServiceRequest (referrals), Appointment (infusion sessions), Observation (weights,",
        "vital signs coded in LOINC with UCUM units, pain scores, NEWS2 scores, outcome reviews),",
        "MedicationAdministration (the doses given), AdverseEvent and QuestionnaireResponse (pain diary).",
        "letters/ holds the referral letters as received and the letters sent to the GP.",
        "",
        "Files (SHA-256):",
    ]
    lines += [f"  {digest}  {name} ({size} bytes)" for name, digest, size in files]
    if export.notes:
        lines += ["", "Notes:"] + [f"  {note}" for note in export.notes]
    return "\n".join(lines) + "\n"


def build_zip(export: Export, *, by, reason, now) -> bytes:
    payload = [("record.json", json.dumps(export.bundle, indent=2, ensure_ascii=False).encode())]
    payload += export.letters
    files = [(name, hashlib.sha256(data).hexdigest(), len(data)) for name, data in payload]
    buffer = io.BytesIO()
    stamp = timezone.localtime(now).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [
            ("README.txt", _readme(export, by=by, reason=reason, now=now, files=files).encode()),
            *payload,
        ]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def file_name(patient, now: datetime) -> str:
    return f"subject-access-{slugify(patient.last_name) or 'patient'}-{patient.pk}-{timezone.localdate(now).isoformat()}.zip"


def export_for(request, *, patient, reason: str, now=None) -> bytes:
    """The zip of `patient`'s whole record for request.user, recorded in the access audit."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValueError("A subject access export needs a reason.")
    bundle, referrals, reviews = build_bundle(patient, now=now)
    export = Export(patient=patient, bundle=bundle)
    export.letters = _letters(request, referrals, reviews, export.notes)
    data = build_zip(export, by=request.user, reason=reason, now=now)
    label = f"Subject access export: {patient.full_name}. Reason: {reason}"
    record_access(request, kind=AccessKind.SUBJECT_ACCESS, obj=patient, patient_id=patient.pk, label=label)
    return data


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"

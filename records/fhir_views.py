"""Read-only FHIR R4 JSON (application/fhir+json): a session record's Bundle and a Patient resource.

Errors answer as FHIR OperationOutcome JSON, not HTML pages, since the caller is a machine (or a
person saving the file for one).
"""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit.models import AccessKind
from audit.services import record_access
from patients.models import Patient
from sessions.models import InfusionSession

from . import fhir
from .selectors import record_for_export

FHIR_JSON = "application/fhir+json"

# The same permissions as the record page and its vitals.
SESSION_PERMS = ("records.view_vitalsigns",)
PATIENT_PERMS = ("patients.view_patient",)


def _answer(data, *, status=200):
    return JsonResponse(data, status=status, content_type=FHIR_JSON)


def _error(status, code, message):
    return _answer(fhir.operation_outcome(code=code, message=message), status=status)


def _forbidden():
    return _error(403, "forbidden", "You do not have permission to export this record.")


@require_GET
@never_cache
def session_record_fhir(request, pk):
    if not request.user.has_perms(SESSION_PERMS):
        return _forbidden()
    try:
        export = record_for_export(pk=pk)
    except InfusionSession.DoesNotExist:
        return _error(404, "not-found", f"No session with id {pk}.")
    bundle = fhir.session_bundle(
        session=export.session,
        record=export.record,
        vitals=export.vitals,
        amendments=export.amendments,
        delivered=export.delivered,
        now=timezone.now(),
    )
    session = export.session
    label = f"FHIR export of session {session.pk}: {session.patient.full_name}"
    record_access(request, kind=AccessKind.EXPORT, obj=session, patient_id=session.patient_id, label=label)
    return _answer(bundle)


@require_GET
@never_cache
def patient_fhir(request, pk):
    if not request.user.has_perms(PATIENT_PERMS):
        return _forbidden()
    try:
        patient = Patient.objects.get(pk=pk)
    except Patient.DoesNotExist:
        return _error(404, "not-found", f"No patient with id {pk}.")
    label = f"FHIR export of the patient: {patient.full_name}"
    record_access(request, kind=AccessKind.EXPORT, obj=patient, patient_id=patient.pk, label=label)
    return _answer(fhir.patient_resource(patient))

"""The subject access export page (clinic admins): a reason, then the zip (interop/subject_access.py)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from audit.models import AccessEvent, AccessKind
from infusion_clinic.permissions import role_required
from infusion_clinic.shortcuts import get_or_404
from patients.models import Patient

from .forms import SubjectAccessForm
from .subject_access import export_for, file_name

PERMISSION = "interop.export_subject_access"
EARLIER_SHOWN = 5


@never_cache
@role_required(PERMISSION)
def subject_access(request, pk):
    patient = get_or_404(Patient.objects.get, pk=pk, message="No such patient.")
    form = SubjectAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = export_for(request, patient=patient, reason=form.cleaned_data["reason"])
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{file_name(patient, timezone.now())}"'
        return response
    status = 400 if form.errors else 200
    context = {"patient": patient, "form": form, "earlier": _earlier_exports(patient)}
    return render(request, "interop/subject_access.html", context, status=status)


def _earlier_exports(patient) -> list[AccessEvent]:
    """The patient's latest subject access exports from the access audit, each with its reason."""
    events = list(
        AccessEvent.objects.filter(kind=AccessKind.SUBJECT_ACCESS, patient_id=patient.pk)
        .select_related("user")
        .order_by("-at", "-pk")[:EARLIER_SHOWN]
    )
    for event in events:
        event.reason = event.label.partition("Reason: ")[2]
    return events

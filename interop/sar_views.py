"""The subject access export page (clinic admins): a reason, then the zip (interop/subject_access.py)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from infusion_clinic.permissions import role_required
from infusion_clinic.shortcuts import get_or_404
from patients.models import Patient

from .forms import SubjectAccessForm
from .subject_access import export_for, file_name

PERMISSION = "interop.export_subject_access"


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
    return render(request, "interop/subject_access.html", {"patient": patient, "form": form}, status=status)

"""The clinic admin's access audit pages (per patient, per staff member, each with a CSV) and the idle
sign-out's keep-alive."""

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from infusion_clinic.csv_export import csv_response
from infusion_clinic.permissions import role_required

from . import idle, selectors
from .models import AccessKind
from .services import record_access

VIEW = "audit.view_accessevent"
PAGE_SIZE = 50
CSV_HEADER = ["When", "Who", "Username", "Kind", "What", "Patient id", "Page", "Method", "IP", "Browser"]


def _csv_rows(events):
    for e in events.iterator():
        user = e.user
        yield [
            timezone.localtime(e.at).isoformat(timespec="seconds"),
            user.get_full_name() or user.username,
            user.username,
            e.get_kind_display(),
            e.label,
            e.patient_id,
            e.path,
            e.method,
            e.ip,
            e.user_agent,
        ]


def _audit_page(request, *, events, template, context, filename, export_label, patient_id=None):
    if request.GET.get("format") == "csv":
        response = csv_response(filename, CSV_HEADER, _csv_rows(events.select_related("user")))
        # Recorded after the rows are written: the download lists what there was before it.
        record_access(request, kind=AccessKind.EXPORT, patient_id=patient_id, label=export_label)
        return response
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {**context, "page": page})


@role_required(VIEW)
def patient_audit(request, patient_id):
    label = selectors.patient_label(patient_id=patient_id)
    return _audit_page(
        request,
        events=selectors.events_for_patient(patient_id=patient_id),
        template="audit/patient_audit.html",
        context={"patient_id": patient_id, "patient_label": label},
        filename=f"access-audit-patient-{patient_id}",
        export_label=f"Access audit CSV: {label}",
        patient_id=patient_id,
    )


@role_required(VIEW)
def user_audit(request, user_id):
    member = get_object_or_404(get_user_model(), pk=user_id)
    name = member.get_full_name() or member.username
    return _audit_page(
        request,
        events=selectors.events_for_user(user_id=user_id),
        template="audit/user_audit.html",
        context={"member": member},
        filename=f"access-audit-user-{member.username}",
        export_label=f"Access audit CSV: {name}",
    )


@require_POST
def keep_alive(request):
    """'Stay signed in': the idle middleware has checked the session; this counts as activity."""
    idle.touch(request, force=True)
    return HttpResponse(status=204)


@require_POST
def idle_sign_out(request):
    """Where static/js/idle.js sends the browser when the time is up."""
    return idle.sign_out_idle(request)

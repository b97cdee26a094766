"""Thin views: check the permission, parse, call a service or selector, render.

Who sees what (DESIGN.md): every role that may open a patient sees demographics, referral statuses,
eligibility decisions and allergies (allergies are safety information, so they are never hidden).
Clinical notes, eligibility labs and reasons, and the notes on timeline steps need
`patients.view_clinical` (nurses and pain specialists), so Reception and Clinic admin do not see them.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.models import AccessKind
from audit.services import record_access
from infusion_clinic import bounds
from infusion_clinic.forms import service_errors_on
from infusion_clinic.permissions import role_required
from infusion_clinic.shortcuts import get_or_404
from protocols.dosing import EXAMPLE_MESSAGE_START, WITHIN_LIMITS, calculate_dose
from protocols.models import ProtocolFamily
from protocols.selectors import current_versions

from . import selectors, services
from .eligibility import ensure_eligible
from .forms import (
    EligibilityForm,
    PatientForm,
    PrescribeForm,
    ReferralForm,
    TransitionForm,
    WaitingListFilterForm,
    WeightForm,
)
from .history import HISTORY_LIMIT, patient_changes
from .letters import letter_kind
from .models import Patient, Referral
from .picker import PICKER_LIMIT, patient_detail_line
from .rtt import rtt_clock

PAGE_SIZE = 25
PRESCRIBE = "patients.prescribe"


def _can_see_clinical(user) -> bool:
    return user.has_perm("patients.view_clinical")


# --- patients ------------------------------------------------------------------------------------


@role_required("patients.view_patient")
def patient_list(request):
    query = request.GET.get("q", "").strip()
    page = None
    if query:
        paginator = Paginator(selectors.search_patients(query), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
    return render(request, "patients/patient_list.html", {"query": query, "page": page})


@role_required("patients.view_patient")
@require_GET
def patient_picker(request):
    """The patient picker's list (patients/picker.py): the first matches of the patient search, as
    options. An htmx partial, so no access event (the patient list's search records none either)."""
    query = request.GET.get("q", "").strip()[:100]
    patients, more = selectors.pick_patients(query, limit=PICKER_LIMIT)
    return render(
        request,
        "patients/_picker_results.html",
        {
            "patients": [(p, patient_detail_line(p)) for p in patients],
            "more": more,
            "query": query,
            "query_ok": len(query) >= 2,
        },
    )


@role_required("patients.add_patient")
def patient_create(request):
    clinical = _can_see_clinical(request.user)
    form = PatientForm(request.POST or None, clinical=clinical)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            patient = services.create_patient(**form.cleaned_data)
            messages.success(request, f"Registered {patient.full_name}.")
            return redirect(patient)
    return render(request, "patients/patient_form.html", {"form": form, "title": "Register a patient"})


@role_required("patients.change_patient")
def patient_edit(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    clinical = _can_see_clinical(request.user)
    form = PatientForm(request.POST or None, instance=patient, clinical=clinical)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            services.update_patient(patient=patient, **form.cleaned_data)
            messages.success(request, f"Saved {patient.full_name}.")
            return redirect(patient)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "patient": patient, "title": f"Edit {patient.full_name}"},
    )


@role_required("patients.view_patient")
def patient_detail(request, pk):
    patient = get_or_404(selectors.patient_for_detail, pk, message="No such patient.")
    today = timezone.localdate()
    referrals = [(referral, rtt_clock(referral, today=today)) for referral in patient.referrals.all()]
    weights = list(patient.weights.all())
    context = {
        "patient": patient,
        "referrals": referrals,
        "weights": weights[:10],
        "latest_weight": weights[0] if weights else None,
        "eligibility": selectors.eligibility_summary(patient, today=today),
        "families": ProtocolFamily.objects.all()
        if request.user.has_perm("patients.add_eligibilityassessment")
        else [],
        "can_see_clinical": _can_see_clinical(request.user),
        "today": today,
    }
    label = patient.full_name
    record_access(request, kind=AccessKind.PATIENT, obj=patient, patient_id=patient.pk, label=label)
    return render(request, "patients/patient_detail.html", context)


@role_required("patients.view_patient")
def patient_history(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    changes = patient_changes(patient=patient, include_clinical=_can_see_clinical(request.user))
    return render(
        request,
        "patients/patient_history.html",
        {"patient": patient, "changes": changes, "limit": HISTORY_LIMIT},
    )


@role_required("patients.add_weightrecord")
def weight_add(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    form = WeightForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            record = services.record_weight(patient=patient, by=request.user, **form.cleaned_data)
            messages.success(request, f"Recorded {record.weight_kg} kg for {patient.full_name}.")
            return redirect(patient)
    return render(request, "patients/weight_form.html", {"form": form, "patient": patient})


@role_required("patients.add_eligibilityassessment")
def eligibility_assess(request, pk, family):
    patient = get_object_or_404(Patient, pk=pk)
    family = get_object_or_404(ProtocolFamily, slug=family)
    referral = None
    referral_id = bounds.parse_id(request.GET.get("referral") or request.POST.get("referral"))
    if referral_id:
        referral = get_object_or_404(Referral, pk=referral_id, patient=patient)
    latest_weight = patient.weights.order_by("-recorded_on", "-id").first()
    initial = {"weight_kg": latest_weight.weight_kg if latest_weight else None}
    form = EligibilityForm(request.POST or None, family=family, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("contraindications", None)
        with service_errors_on(form):
            services.record_eligibility(
                patient=patient,
                family=family,
                by=request.user,
                referral=referral,
                checklist=form.checklist_answers(),
                **data,
            )
            messages.success(request, f"Eligibility for {family.name} recorded for {patient.full_name}.")
            return redirect(referral or patient)
    return render(
        request,
        "patients/eligibility_form.html",
        {"form": form, "patient": patient, "family": family, "referral": referral},
    )


# --- referrals -----------------------------------------------------------------------------------


@role_required("patients.add_referral", "patients.add_patient")
def referral_intake(request):
    """Reception: a referral for an existing patient (?patient=<id>) or for a new one."""
    patient = None
    patient_id = bounds.parse_id(request.GET.get("patient") or request.POST.get("patient"))
    if patient_id:
        patient = get_object_or_404(Patient, pk=patient_id)
    data = request.POST or None
    files = request.FILES or None
    patient_form = None if patient else PatientForm(data, prefix="patient", clinical=False)
    referral_form = ReferralForm(
        data,
        files,
        prefix="referral",
        patient_form=patient_form,
        initial={name: getattr(patient, name) for name in ReferralForm.REFERRER_FIELDS} if patient else None,
    )
    if request.method == "POST":
        # Both forms, so that every mistake is shown at once; the patient's part first: the referral
        # takes its GP practice from it (and may put a mistake about it there).
        if patient_form is not None:
            patient_form.is_valid()
        referral_form.is_valid()
        if referral_form.is_valid() and (patient_form is None or patient_form.is_valid()):
            try:
                referral = services.register_referral(
                    created_by=request.user,
                    patient=patient,
                    patient_fields=patient_form.cleaned_data if patient_form else None,
                    referral_fields=referral_form.cleaned_data,
                )
            except ValidationError as exc:
                # Errors keyed by field land on whichever form has that field.
                for field, errors in (
                    exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
                ).items():
                    target = patient_form if patient_form and field in patient_form.fields else referral_form
                    target.add_error(field if field in target.fields else None, errors)
            else:
                messages.success(
                    request,
                    f"Referral registered for {referral.patient.full_name}. It is in the triage queue.",
                )
                return redirect(referral)
    return render(
        request,
        "patients/referral_intake.html",
        {"patient": patient, "patient_form": patient_form, "referral_form": referral_form},
    )


def _referral_context(request, referral, transition_form=None):
    user = request.user
    can_triage = user.has_perm("patients.triage_referral")
    actions = []
    if can_triage:
        allowed = services.allowed_transitions(referral.status)
        actions = [
            (name, to_status)
            for name, (to_status, _) in services.ACTIONS.items()
            if to_status in allowed and to_status != "in_treatment"
        ]
    return {
        "referral": referral,
        "rtt": rtt_clock(referral, today=timezone.localdate()),
        "events": list(referral.events.all()),
        "assessments": list(referral.eligibility_assessments.all()),
        "actions": actions,
        "transition_form": transition_form or TransitionForm(),
        "can_see_clinical": _can_see_clinical(user),
        "families": ProtocolFamily.objects.all()
        if user.has_perm("patients.add_eligibilityassessment")
        else [],
    }


@role_required("patients.view_referral")
def referral_detail(request, pk):
    referral = get_or_404(selectors.referral_for_detail, pk, message="No such referral.")
    return render(request, "patients/referral_detail.html", _referral_context(request, referral))


@role_required("patients.triage_referral")
def referral_transition(request, pk):
    referral = get_object_or_404(Referral, pk=pk)
    if request.method != "POST":
        return redirect(referral)
    form = TransitionForm(request.POST)
    if form.is_valid():
        with service_errors_on(form):
            services.apply_action(
                referral=referral,
                action=form.cleaned_data["action"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
            messages.success(request, f"Referral is now {referral.get_status_display().lower()}.")
            if request.POST.get("next") == "triage":
                return redirect("patients:triage_queue")
            return redirect(referral)
    referral = selectors.referral_for_detail(pk)
    return render(
        request, "patients/referral_detail.html", _referral_context(request, referral, form), status=400
    )


# A letter is opened by the viewer's own program, never rendered by the browser from this origin: an
# attachment, no type sniffing, and a CSP sandbox in case a browser renders it anyway.
LETTER_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@role_required("patients.view_referral")
def referral_letter(request, pk):
    """The uploaded letter of a referral, for whoever may open the referral's page."""
    referral = get_object_or_404(Referral.objects.only("pk", "patient_id", "letter_file"), pk=pk)
    if not referral.letter_file:
        raise Http404("This referral has no uploaded letter.")
    label = f"Referral letter (referral {referral.pk})"
    record_access(request, kind=AccessKind.LETTER, obj=referral, patient_id=referral.patient_id, label=label)
    try:
        file = referral.letter_file.storage.open(referral.letter_file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The uploaded letter is missing from the letter storage.") from exc
    # Letters uploaded before the content check may be anything: the type comes from the content,
    # and an unknown one is plain bytes.
    kind = letter_kind(file)
    response = FileResponse(
        file,
        as_attachment=True,
        filename=f"referral-letter-{referral.pk}.{kind.extension if kind else 'bin'}",
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    for header, value in LETTER_HEADERS.items():
        response[header] = value
    return response


@role_required("patients.change_referral")
def referral_edit(request, pk):
    referral = get_object_or_404(Referral.objects.select_related("patient"), pk=pk)
    form = ReferralForm(request.POST or None, request.FILES or None, instance=referral, require_letter=False)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            services.update_referral_details(referral=referral, **form.cleaned_data)
            messages.success(request, "Referral details saved.")
            return redirect(referral)
    return render(request, "patients/referral_form.html", {"form": form, "referral": referral})


@role_required("patients.view_referral")
def waiting_list(request):
    form = WaitingListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    paginator = Paginator(
        selectors.waiting_list(
            today=today,
            condition=filters.get("condition", ""),
            funding_route=filters.get("funding_route", ""),
            status=filters.get("status") or selectors.WAITING,
        ),
        50,
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = [(referral, rtt_clock(referral, today=today)) for referral in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patients/waiting_list.html",
        {"form": form, "page": page, "rows": rows, "querystring": query.urlencode()},
    )


@role_required("patients.triage_referral")
def triage_queue(request):
    today = timezone.localdate()
    new = [(r, rtt_clock(r, today=today)) for r in selectors.triage_queue()[:100]]
    waiting = [(r, rtt_clock(r, today=today)) for r in selectors.awaiting_assessment()[:100]]
    return render(request, "patients/triage_queue.html", {"new": new, "waiting": waiting})


def _preview_context(*, patient, version, override_dose):
    weight = selectors.latest_weight(patient=patient)
    result = calculate_dose(
        version=version,
        weight_kg=weight.weight_kg if weight else None,
        weight_recorded_on=weight.recorded_on if weight else None,
        on_date=timezone.localdate(),
        override_dose=override_dose,
    )
    try:
        ensure_eligible(patient=patient, protocol_version=version, on_date=timezone.localdate())
        eligibility_problem = ""
    except ValidationError as exc:
        # Prescribing is allowed (the assessment may follow); booking refuses it. Say so now.
        eligibility_problem = " ".join(exc.message_dict.get("patient", exc.messages))
    notes = [m for m in result.messages if not m.startswith(EXAMPLE_MESSAGE_START)]
    headline = notes.pop(0) if result.verdict != WITHIN_LIMITS and notes else ""
    return {
        "patient": patient,
        "version": version,
        "result": result,
        "weight": weight,
        "headline": headline,
        "notes": notes,
        "eligibility_problem": eligibility_problem,
    }


@role_required(PRESCRIBE)
def prescribe_view(request, patient_pk):
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = PrescribeForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data["protocol_version"]
        weight = selectors.latest_weight(patient=patient) if version.is_weight_based else None
        # A refusal about the weight (not a form field) is shown above the form.
        with service_errors_on(form):
            prescription = services.prescribe(
                patient=patient,
                protocol_version=version,
                weight_record=weight,
                override_dose=data["override_dose"],
                reason=data["reason"],
                referral=data["referral"],
                by=request.user,
            )
            messages.success(
                request,
                f"Prescribed {prescription.protocol_version.name}: {prescription.dose_mg} mg for {patient.full_name}.",
            )
            return redirect("patients:prescribe", patient_pk=patient.pk)
    preview = None
    # Only a protocol that passed validation is previewed; the calculator itself refuses a bad dose.
    chosen = getattr(form, "cleaned_data", {}).get("protocol_version")
    if chosen:
        preview = _preview_context(
            patient=patient, version=chosen, override_dose=form["override_dose"].value() or None
        )
    context = {
        "patient": patient,
        "form": form,
        "preview": preview,
        "prescriptions": selectors.prescriptions_for(patient=patient),
        "weight": selectors.latest_weight(patient=patient),
    }
    return render(request, "patients/prescribe.html", context)


@require_GET
@role_required(PRESCRIBE)
def dose_preview(request, patient_pk):
    """The htmx fragment under the prescribe form: recalculated on every change of protocol or dose."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    version_id = request.GET.get("protocol_version", "")
    if not version_id:
        return render(request, "patients/_dose_preview.html", {"patient": patient, "result": None})
    if bounds.parse_id(version_id) is None:
        return JsonResponse(
            {"error": "protocol_version must be the id of a current protocol version."}, status=400
        )
    version = current_versions().filter(pk=int(version_id)).first()
    if version is None:
        return JsonResponse({"error": "No current protocol version with that id."}, status=400)
    override = request.GET.get("override_dose", "").strip() or None
    return render(
        request,
        "patients/_dose_preview.html",
        _preview_context(patient=patient, version=version, override_dose=override),
    )

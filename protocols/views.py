from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from infusion_clinic import bounds
from infusion_clinic.forms import service_errors_as_message, service_errors_on
from infusion_clinic.permissions import role_required
from patients.eligibility import ensure_eligible
from patients.models import Patient

from . import selectors, services
from .dosing import EXAMPLE_MESSAGE_START, WITHIN_LIMITS, calculate_dose
from .forms import PrescribeForm, ProtocolVersionForm
from .models import ProtocolVersion

VIEW = "protocols.view_protocolversion"
MANAGE = "protocols.manage_protocols"
PRESCRIBE = "protocols.prescribe"


@role_required(VIEW)
def library(request):
    families = selectors.library()
    return render(request, "protocols/library.html", {"families": families})


@role_required(VIEW)
def version_detail(request, pk):
    try:
        version, history = selectors.version_with_history(pk=pk)
    except ProtocolVersion.DoesNotExist:
        raise Http404("No such protocol version.") from None
    return render(
        request,
        "protocols/version_detail.html",
        {"version": version, "history": history, "warnings": version.warnings()},
    )


@role_required(MANAGE)
def version_create(request, pk):
    base = get_object_or_404(ProtocolVersion.objects.select_related("protocol__family"), pk=pk)
    if not base.is_current:
        current = base.protocol.current_version()
        messages.info(request, "A new version starts from the current one.")
        return redirect("protocols:version_create", pk=current.pk)
    if request.method == "POST":
        form = ProtocolVersionForm(request.POST, instance=ProtocolVersion(protocol=base.protocol))
        if form.is_valid():
            with service_errors_on(form):
                new = services.create_version(from_version=base, by=request.user, **form.cleaned_data)
                messages.success(
                    request,
                    f"Version {new.version} of {base.protocol.name} is now current; version {base.version} is kept in the history.",
                )
                for warning in new.warnings():
                    messages.warning(request, warning)
                return redirect(new)
    else:
        form = ProtocolVersionForm(
            initial={name: _plain(getattr(base, name)) for name in services.EDITABLE_FIELDS}
        )
    return render(request, "protocols/version_form.html", {"form": form, "base": base})


def _plain(value):
    # 4.500 -> "4.5" in the form: a new version should not look more precise than the old one.
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


@require_POST
@role_required(MANAGE)
def version_verify(request, pk):
    version = get_object_or_404(ProtocolVersion, pk=pk)
    with service_errors_as_message(request):
        services.mark_verified(version=version, by=request.user)
        messages.success(request, f"{version} marked verified for this clinic.")
    return redirect(version)


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
        try:
            prescription = services.prescribe(
                patient=patient,
                protocol_version=version,
                weight_record=weight,
                override_dose=data["override_dose"],
                reason=data["reason"],
                referral=data["referral"],
                by=request.user,
            )
        except ValidationError as exc:
            if "weight_record" in exc.message_dict:  # not a form field: show it above the form
                form.add_error(None, exc.message_dict["weight_record"])
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Prescribed {prescription.protocol_version.name}: {prescription.dose_mg} mg for {patient.full_name}.",
            )
            return redirect("protocols:prescribe", patient_pk=patient.pk)
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
    return render(request, "protocols/prescribe.html", context)


@require_GET
@role_required(PRESCRIBE)
def dose_preview(request, patient_pk):
    """The htmx fragment under the prescribe form: recalculated on every change of protocol or dose."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    version_id = request.GET.get("protocol_version", "")
    if not version_id:
        return render(request, "protocols/_dose_preview.html", {"patient": patient, "result": None})
    if bounds.parse_id(version_id) is None:
        return JsonResponse(
            {"error": "protocol_version must be the id of a current protocol version."}, status=400
        )
    version = selectors.current_versions().filter(pk=int(version_id)).first()
    if version is None:
        return JsonResponse({"error": "No current protocol version with that id."}, status=400)
    override = request.GET.get("override_dose", "").strip() or None
    return render(
        request,
        "protocols/_dose_preview.html",
        _preview_context(patient=patient, version=version, override_dose=override),
    )

"""The escalation entry page of a session record (issue 12, item 4). Thin: the rules live in
records/escalation.py and records/escalation_rules.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from infusion_clinic.permissions import role_required
from sessions.models import InfusionSession

from . import escalation as services
from .escalation_forms import EscalationForm
from .escalation_rules import unescalated_alerts_for
from .models import Escalation, VitalSigns
from .news2 import AlertLevel
from .times import at_session_day

PERMS = ("records.view_vitalsigns", "records.add_escalation")


def _initial_alert(request, alerts, pending):
    wanted = request.GET.get("vitals", "")
    if wanted.isdigit():
        chosen = next((v for v in alerts if v.pk == int(wanted)), None)
        if chosen is not None:
            return chosen
    return pending[0] if pending else (alerts[-1] if alerts else None)


@require_http_methods(["GET", "POST"])
@role_required(*PERMS)
def session_record_escalation(request, pk):
    try:
        session = InfusionSession.objects.select_related("patient", "protocol_version", "chair").get(pk=pk)
    except InfusionSession.DoesNotExist:
        raise Http404("No such session") from None
    alerts_qs = VitalSigns.objects.filter(session=session, alert_level__gte=AlertLevel.ALERT).order_by(
        "observed_at", "id"
    )
    alerts = list(alerts_qs)
    pending = unescalated_alerts_for(session=session)
    status = 200
    if request.method == "POST":
        form = EscalationForm(request.POST, alerts=alerts_qs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_escalation(
                    session=session,
                    by=request.user,
                    vital_signs=data["vital_signs"],
                    informed=data["informed"],
                    informed_at=at_session_day(session, data["informed_at"]),
                    action=data["action"],
                    outcome=data["outcome"],
                )
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, "Escalation recorded.")
                return redirect(reverse("records:session_record", args=[pk]) + "#escalations")
        status = 422
    else:
        chosen = _initial_alert(request, alerts, pending)
        form = EscalationForm(alerts=alerts_qs, initial={"vital_signs": chosen.pk if chosen else None})
    context = {
        "session": session,
        "form": form,
        "alerts": alerts,
        "pending": pending,
        "can_record": session.status in services.ESCALATION_STATUSES and bool(alerts),
        "entries": list(
            Escalation.objects.filter(session=session).select_related("vital_signs", "recorded_by")
        ),
    }
    return render(request, "records/escalation_form.html", context, status=status)

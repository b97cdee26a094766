"""Reception's view of reminder deliveries (failures first, with retry) and the clinic's wording."""

from datetime import timedelta
from types import SimpleNamespace

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from infusion_clinic.permissions import role_required

from . import reminders
from .reminder_models import (
    DEFAULT_REMINDER_TEMPLATES,
    TEMPLATE_PLACEHOLDERS,
    ReminderChannel,
    ReminderLog,
    ReminderStatus,
    ReminderTemplate,
)
from .tasks import try_dispatch_delivery

LIST_LIMIT = 200
STATUS_TABS = [
    ("failed", "Failed or unknown"),
    ("waiting", "Waiting or retrying"),
    ("sent", "Sent"),
    ("skipped", "Not sent"),
]
_TAB_STATUSES = {
    "failed": [ReminderStatus.FAILED, ReminderStatus.UNKNOWN],
    "waiting": [ReminderStatus.PENDING, ReminderStatus.SENDING, ReminderStatus.RETRYING],
    "sent": [ReminderStatus.SENT],
    "skipped": [ReminderStatus.SKIPPED],
}


@role_required("infusion_sessions.view_reminderlog")
def reminder_list(request):
    tab = request.GET.get("status", "failed")
    if tab not in _TAB_STATUSES:
        tab = "failed"
    logs = (
        ReminderLog.objects.filter(status__in=_TAB_STATUSES[tab])
        .select_related("session__patient", "session__chair__location")
        .order_by("-claimed_at", "-pk")[:LIST_LIMIT]
    )
    counts = dict(ReminderLog.objects.values_list("status").annotate(n=Count("pk")).order_by())
    tab_counts = {key: sum(counts.get(s, 0) for s in statuses) for key, statuses in _TAB_STATUSES.items()}
    return render(
        request,
        "infusion_sessions/reminders/list.html",
        {
            "logs": list(logs),
            "tab": tab,
            "tabs": [(key, label, tab_counts[key]) for key, label in STATUS_TABS],
            "limit": LIST_LIMIT,
            "retryable": [str(status) for status in reminders.RETRYABLE_BY_STAFF],
            "lead_hours_text": " and ".join(f"{h} hours" for h in settings.REMINDER_LEAD_HOURS),
        },
    )


@require_POST
@role_required("infusion_sessions.change_reminderlog")
def reminder_retry(request, pk):
    log = get_object_or_404(ReminderLog.objects.select_related("session__patient"), pk=pk)
    try:
        log = reminders.retry_failed_reminder(log=log, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("infusion_sessions:reminder_list")
    patient = log.session.patient
    if not try_dispatch_delivery(log.pk):
        messages.warning(
            request,
            f"The {log.get_channel_display()} reminder to {patient.full_name} could not be queued just now "
            "(the task queue is not answering). It is marked to send: the automatic sweep sends it once "
            "the queue is back, within minutes. No need to press Retry again.",
        )
        return redirect("infusion_sessions:reminder_list")
    log.refresh_from_db()
    if log.status == ReminderStatus.SENT:
        messages.success(request, f"{log.get_channel_display()} reminder sent to {patient.full_name}.")
    elif log.status == ReminderStatus.UNKNOWN:
        messages.warning(
            request,
            f"The {log.get_channel_display()} reminder went out again but its outcome is unknown: {log.last_error}",
        )
    elif log.status == ReminderStatus.FAILED:
        messages.error(request, f"The {log.get_channel_display()} reminder failed again: {log.last_error}")
    else:
        messages.info(request, f"The {log.get_channel_display()} reminder to {patient.full_name} is queued.")
    return redirect("infusion_sessions:reminder_list")


class ReminderTemplateForm(forms.ModelForm):
    class Meta:
        model = ReminderTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, channel, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.channel = channel
        if channel == ReminderChannel.SMS:
            del self.fields["subject"]
        else:
            self.fields["subject"].required = True
        self.fields["body"].help_text = "Placeholders: " + ", ".join(
            "{{ " + name + " }} (" + text + ")" for name, text in TEMPLATE_PLACEHOLDERS.items()
        )


def _sample_session():
    """A made-up session for the preview, built from plain values (no database rows)."""
    start = timezone.localtime().replace(hour=14, minute=30, second=0, microsecond=0) + timedelta(days=2)
    return SimpleNamespace(
        start=start,
        patient=SimpleNamespace(first_name="Margaret"),
        chair=SimpleNamespace(location=SimpleNamespace(name="Riverside Infusion Suite")),
    )


def _preview(channel, subject, body):
    try:
        return reminders.render_reminder(
            session=_sample_session(), channel=channel, template={"subject": subject or "", "body": body}
        )
    except Exception:  # an invalid template has no preview; the form shows why
        return None


@role_required("infusion_sessions.view_remindertemplate")
def reminder_templates(request):
    saved = {t.channel: t for t in ReminderTemplate.objects.select_related("updated_by")}
    rows = []
    for channel, label in ReminderChannel.choices:
        template = saved.get(channel)
        wording = (
            {"subject": template.subject, "body": template.body}
            if template
            else DEFAULT_REMINDER_TEMPLATES[channel]
        )
        rows.append(
            {
                "channel": channel,
                "label": label,
                "template": template,
                "preview": _preview(channel, wording["subject"], wording["body"]),
            }
        )
    return render(request, "infusion_sessions/reminders/templates.html", {"rows": rows})


@role_required("infusion_sessions.change_remindertemplate")
def reminder_template_edit(request, channel):
    if channel not in ReminderChannel.values:
        return redirect("infusion_sessions:reminder_templates")
    template = ReminderTemplate.objects.filter(channel=channel).first()
    if template is None:
        template = ReminderTemplate(channel=channel, **DEFAULT_REMINDER_TEMPLATES[channel])
    form = ReminderTemplateForm(request.POST or None, instance=template, channel=channel)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.full_clean()
        saved.save()
        messages.success(request, f"{saved.get_channel_display()} reminder wording saved.")
        return redirect("infusion_sessions:reminder_templates")
    data = form.data if form.is_bound else {"subject": template.subject, "body": template.body}
    preview = _preview(channel, data.get("subject", ""), data.get("body", ""))
    return render(
        request,
        "infusion_sessions/reminders/template_form.html",
        {"form": form, "channel": channel, "label": ReminderChannel(channel).label, "preview": preview},
        status=400 if form.errors else 200,
    )

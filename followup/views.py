"""Follow-up pages: the patient's diary form (no login), the specialist's diary review, outcome reviews."""

from datetime import timedelta
from types import SimpleNamespace

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from audit.models import AccessKind
from audit.services import record_access
from infusion_clinic.dates import uk_datetime
from infusion_clinic.forms import add_service_errors, service_errors_as_message, service_errors_on
from infusion_clinic.pdf import render_pdf
from infusion_clinic.permissions import role_required
from patients.models import Patient
from sessions.models import SessionStatus

from . import diaries, outcomes, reminders
from .forms import DiaryReviewForm, OutcomeReviewForm, PainDiaryForm, StaffDiaryEntryForm
from .models import (
    DEFAULT_REMINDER_TEMPLATES,
    TEMPLATE_PLACEHOLDERS,
    OutcomeReview,
    OutcomeReviewStatus,
    ReminderChannel,
    ReminderLog,
    ReminderStatus,
    ReminderTemplate,
)
from .tasks import try_dispatch_delivery


def _no_referrer(response):
    # The diary link is a credential: never hand it to another site in a Referer header.
    # ("no-referrer" would also make browsers send "Origin: null", failing Django's CSRF check.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- the patient's diary (no login) ----------------------------------------------------------------


def _link_error(request, error):
    response = render(request, "followup/diary_link_error.html", {"error": error}, status=error.status)
    return _no_referrer(response)


@login_not_required
@never_cache
def diary_public(request, token):
    try:
        prompt = diaries.prompt_from_token(token)
    except diaries.DiaryLinkError as error:
        return _link_error(request, error)
    patient = prompt.patient
    if request.method != "POST" and diaries.filled_in_today(prompt):
        response = render(
            request,
            "followup/diary_thanks.html",
            {
                "first_name": patient.first_name,
                "expires_at": diaries.link_expires_at(prompt),
                "done_today": True,
            },
        )
        return _no_referrer(response)
    form = PainDiaryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            diaries.record_diary_entry(patient=patient, prompt=prompt, **form.cleaned_data)
        except diaries.DiaryLinkError as error:  # revoked while the form was open
            return _link_error(request, error)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            response = render(
                request,
                "followup/diary_thanks.html",
                {"first_name": patient.first_name, "expires_at": diaries.link_expires_at(prompt)},
            )
            return _no_referrer(response)
    response = render(
        request,
        "followup/diary_public.html",
        {"form": form, "first_name": patient.first_name, "expires_at": diaries.link_expires_at(prompt)},
        status=400 if form.errors else 200,
    )
    return _no_referrer(response)


# --- staff: diaries --------------------------------------------------------------------------------


QUEUE_PAGE_SIZE = 25


@role_required("followup.review_paindiary")
def diary_queue(request):
    """A page of the patients whose diaries wait for review: two queries (the count and the page's
    rows, aggregated over unreviewed entries) and one for the page's patients."""
    page = Paginator(diaries.review_queue(), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    patients = diaries.review_queue_patients(page.object_list)
    return render(request, "followup/diary_queue.html", {"patients": patients, "page": page})


@role_required("followup.view_paindiaryentry")
def patient_diary(request, patient_id):
    patient = get_object_or_404(Patient, pk=patient_id)
    unreviewed = list(diaries.unreviewed_entries(patient))
    reviewed = list(
        patient.diary_entries.filter(reviewed_at__isnull=False)
        .select_related("reviewed_by", "entered_by")
        .order_by("-recorded_at")[:20]
    )
    form = DiaryReviewForm(
        entry_ids=[e.pk for e in unreviewed], initial={"entry": [e.pk for e in unreviewed]}
    )
    label = f"Pain diary: {patient.full_name}"
    record_access(request, kind=AccessKind.DIARY, obj=patient, patient_id=patient.pk, label=label)
    return render(
        request,
        "followup/patient_diary.html",
        {
            "patient": patient,
            "unreviewed": unreviewed,
            "reviewed": reviewed,
            "review_form": form,
            "chart": diaries.chart_data(patient=patient),
            "links": [
                (link, diaries.link_expires_at(link))
                for link in patient.diary_prompts.select_related("created_by", "revoked_by")[:5]
            ],
            "link_days": settings.DIARY_LINK_DAYS,
            "now": timezone.now(),
            "active": _active_link(request, patient),
        },
    )


def _active_link(request, patient):
    """The working link, for whoever may hand links out: its address, QR code and ways to send it."""
    if not request.user.has_perm("followup.add_paindiaryentry"):
        return None
    prompt = diaries.active_link(patient)
    if prompt is None:
        return None
    url = diaries.link_url(prompt)
    return SimpleNamespace(
        prompt=prompt,
        url=url,
        qr=diaries.qr_svg(url),
        expires_at=diaries.link_expires_at(prompt),
        channels=[
            (channel, diaries.send_refusal(prompt=prompt, channel=channel)) for channel in ReminderChannel
        ],
        sent=list(prompt.messages.select_related("sent_by")[:5]),
    )


@require_POST
@role_required("followup.review_paindiary")
def diary_review(request, patient_id):
    patient = get_object_or_404(Patient, pk=patient_id)
    unreviewed_ids = list(diaries.unreviewed_entries(patient).values_list("pk", flat=True))
    form = DiaryReviewForm(request.POST, entry_ids=unreviewed_ids)
    if form.is_valid():
        with service_errors_on(form):
            count = diaries.review_diary_entries(
                patient=patient,
                entry_ids=form.cleaned_data["entry"],
                reviewer=request.user,
                comment=form.cleaned_data["comment"],
            )
            messages.success(
                request, f"Reviewed {count} diary entr{'y' if count == 1 else 'ies'} for {patient.full_name}."
            )
            return redirect(
                "followup:diary_queue" if request.user.has_perm("followup.review_paindiary") else "dashboard"
            )
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("followup:patient_diary", patient_id=patient.pk)


@role_required("followup.add_paindiaryentry")
def diary_entry_create(request, patient_id):
    patient = get_object_or_404(Patient, pk=patient_id)
    form = StaffDiaryEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            diaries.record_diary_entry(patient=patient, entered_by=request.user, **form.cleaned_data)
            messages.success(request, f"Diary entry saved for {patient.full_name}.")
            return redirect("followup:patient_diary", patient_id=patient.pk)
    return render(
        request,
        "followup/diary_entry_form.html",
        {"patient": patient, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required("followup.add_paindiaryentry")
def diary_link_create(request, patient_id):
    patient = get_object_or_404(Patient, pk=patient_id)
    prompt = diaries.create_diary_link(patient=patient, created_by=request.user)
    expires = timezone.localtime(diaries.link_expires_at(prompt))
    messages.success(
        request,
        f"New diary link for {patient.first_name}, working until "
        f"{uk_datetime(expires)}: copy it, send it or print "
        "the slip from this page while it works. Older links no longer work.",
    )
    return redirect(reverse("followup:patient_diary", args=[patient.pk]) + "#diary-link")


@require_POST
@role_required("followup.add_paindiaryentry")
def diary_link_send(request, patient_id, pk):
    patient = get_object_or_404(Patient, pk=patient_id)
    prompt = get_object_or_404(patient.diary_prompts, pk=pk)
    channel = request.POST.get("channel", "")
    try:
        sent = diaries.send_diary_link(prompt=prompt, channel=channel, by=request.user)
    except ValidationError as exc:
        messages.error(request, f"Nothing was sent. {' '.join(exc.messages)}")
    else:
        how = f"by {'SMS' if sent.channel == ReminderChannel.SMS else 'email'} to {sent.recipient}"
        if sent.status == ReminderStatus.SENT:
            messages.success(request, f"Diary link sent {how}.")
        elif sent.status == ReminderStatus.UNKNOWN:
            messages.warning(request, f"The diary link may not have reached {how}: {sent.last_error}")
        else:
            messages.error(request, f"The diary link was not sent {how}: {sent.last_error}")
    return redirect(reverse("followup:patient_diary", args=[patient.pk]) + "#diary-link")


@role_required("followup.add_paindiaryentry")
def diary_link_slip(request, patient_id, pk):
    """A printable slip to hand the patient: their name, how to use the link, its QR code and expiry."""
    patient = get_object_or_404(Patient, pk=patient_id)
    prompt = get_object_or_404(patient.diary_prompts, pk=pk)
    if prompt != diaries.active_link(patient):
        messages.error(request, "That diary link no longer works: print the slip of the current link.")
        return redirect(reverse("followup:patient_diary", args=[patient.pk]) + "#diary-link")
    url = diaries.link_url(prompt)
    return render(
        request,
        "followup/diary_link_slip.html",
        {
            "patient": patient,
            "url": url,
            "qr": diaries.qr_svg(url),
            "expires_at": diaries.link_expires_at(prompt),
            "clinic_name": settings.CLINIC_NAME,
        },
    )


@require_POST
@role_required("followup.add_paindiaryentry")
def diary_link_revoke(request, patient_id, pk):
    patient = get_object_or_404(Patient, pk=patient_id)
    prompt = get_object_or_404(patient.diary_prompts, pk=pk)
    with service_errors_as_message(request):
        diaries.revoke_diary_link(prompt=prompt, by=request.user)
        messages.success(
            request,
            f"Diary link of {uk_datetime(prompt.created_at)} revoked: it opens nothing now.",
        )
    return redirect("followup:patient_diary", patient_id=patient.pk)


def diary_panel(request, patient_id):
    """The diary and outcome card on the patient's record (loaded by htmx from _patient_diaries.html)."""
    can_see_diary = request.user.has_perm("followup.view_paindiaryentry")
    can_see_outcomes = request.user.has_perm("followup.view_outcomereview")
    if not (can_see_diary or can_see_outcomes):
        raise PermissionDenied
    patient = get_object_or_404(Patient, pk=patient_id)
    context = {"patient": patient, "can_see_diary": can_see_diary, "can_see_outcomes": can_see_outcomes}
    if can_see_diary:
        context["entries"] = list(patient.diary_entries.order_by("-recorded_at")[:5])
        context["unreviewed"] = patient.diary_entries.filter(reviewed_at__isnull=True).count()
    if can_see_outcomes:
        context["reviews"] = list(patient.outcome_reviews.order_by("due_on", "pk")[:6])
    return render(request, "followup/_diary_panel.html", context)


# --- staff: outcome reviews ------------------------------------------------------------------------


@role_required("followup.view_outcomereview")
def outcome_queue(request):
    """Reviews due (overdue first) a page at a time, and the latest completed ones."""
    return render(
        request,
        "followup/outcome_queue.html",
        {
            "due": Paginator(outcomes.reviews_due(), QUEUE_PAGE_SIZE).get_page(request.GET.get("page")),
            "completed": list(outcomes.recently_completed()),
            "today": timezone.localdate(),
        },
    )


def _review(pk):
    return get_object_or_404(
        OutcomeReview.objects.select_related("patient", "course__protocol_version", "completed_by"), pk=pk
    )


def _record_review_access(request, review):
    label = f"Outcome review: {review.patient.full_name}"
    record_access(
        request, kind=AccessKind.OUTCOME_REVIEW, obj=review, patient_id=review.patient_id, label=label
    )


@role_required("followup.change_outcomereview")
def outcome_record(request, pk):
    review = _review(pk)
    if review.status == OutcomeReviewStatus.COMPLETED:
        messages.info(request, "This review is complete and locked.")
        return redirect(review)
    state = outcomes.course_state(review.course)
    baseline = (
        outcomes.diary_baseline(patient=review.patient, first_session_start=state.first_session.start)
        if state.first_session
        else None
    )
    has_diary = bool(baseline and baseline.value is not None)
    form = OutcomeReviewForm(request.POST or None, has_diary_baseline=has_diary)
    if request.method == "GET":
        _record_review_access(request, review)
    if request.method == "POST" and form.is_valid():
        try:
            review = outcomes.record_outcome_review(review=review, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Outcome review recorded. The GP letter is ready to print.")
            return redirect(review)
    return render(
        request,
        "followup/outcome_form.html",
        {"review": review, "form": form, "state": state, "baseline": baseline},
        status=400 if form.errors else 200,
    )


@role_required("followup.view_outcomereview")
def outcome_detail(request, pk):
    review = _review(pk)
    _record_review_access(request, review)
    return render(request, "followup/outcome_detail.html", {"review": review, **_course_context(review)})


@role_required("followup.view_outcomereview")
def outcome_letter(request, pk, as_pdf=False):
    review = _review(pk)
    if review.status != OutcomeReviewStatus.COMPLETED:
        messages.error(request, "The GP letter is written once the review is recorded.")
        return redirect(review)
    context = {"review": review, **_course_context(review)}
    label = f"GP letter{' (PDF)' if as_pdf else ''}: {review.patient.full_name}"
    record_access(request, kind=AccessKind.LETTER, obj=review, patient_id=review.patient_id, label=label)
    if as_pdf:
        name = f"gp-letter-{review.patient.last_name}-{timezone.localdate(review.completed_at):%Y-%m-%d}"
        return render_pdf(request, "followup/outcome_letter.html", context, filename=name)
    return render(request, "followup/outcome_letter.html", context)


def _course_context(review):
    sessions = list(
        review.course.sessions.filter(
            status__in=(SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)
        ).order_by("start")
    )
    others = OutcomeReview.objects.filter(course=review.course).exclude(pk=review.pk).order_by("offset_days")
    return {
        "sessions": sessions,
        "other_reviews": list(others),
        "patient": review.patient,
        "detail_url": reverse("followup:outcome_detail", args=[review.pk]),
    }


REMINDER_PAGE_SIZE = 50
# The Sent and Not sent tabs grow with every session, so they list (and count) the reminders
# claimed in this many days only; the tabs staff act on (failed/unknown, waiting) hold every row.
REMINDER_HISTORY_DAYS = 30
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
_WINDOWED_TABS = ("sent", "skipped")


def _tab_filter(tab, since):
    q = Q(status__in=_TAB_STATUSES[tab])
    return q & Q(claimed_at__gte=since) if tab in _WINDOWED_TABS else q


@role_required("followup.view_reminderlog")
def reminder_list(request):
    """A page of 50 of one tab's reminders, newest claimed first, and the tabs' badges in one query.
    Every condition is on `reminder_status_claimed` (status, claimed_at): the failed/unknown and
    waiting tabs are counted whole (few rows, the ones staff act on); Sent and Not sent are bounded
    to the last REMINDER_HISTORY_DAYS days (docs/performance.md#reminder-list)."""
    tab = request.GET.get("status", "failed")
    if tab not in _TAB_STATUSES:
        tab = "failed"
    since = timezone.now() - timedelta(days=REMINDER_HISTORY_DAYS)
    logs = (
        ReminderLog.objects.filter(_tab_filter(tab, since))
        .select_related("session__patient", "session__chair__location")
        .order_by("-claimed_at", "-pk")
    )
    page = Paginator(logs, REMINDER_PAGE_SIZE).get_page(request.GET.get("page"))
    any_tab = Q()
    for key in _TAB_STATUSES:
        any_tab |= _tab_filter(key, since)
    counts = dict(
        ReminderLog.objects.filter(any_tab).values_list("status").annotate(n=Count("pk")).order_by()
    )
    tab_counts = {key: sum(counts.get(s, 0) for s in statuses) for key, statuses in _TAB_STATUSES.items()}
    return render(
        request,
        "followup/reminders/list.html",
        {
            "page": page,
            "tab": tab,
            "tabs": [(key, label, tab_counts[key], key in _WINDOWED_TABS) for key, label in STATUS_TABS],
            "history_days": REMINDER_HISTORY_DAYS,
            "windowed": tab in _WINDOWED_TABS,
            "retryable": [str(status) for status in reminders.RETRYABLE_BY_STAFF],
            "lead_hours_text": " and ".join(f"{h} hours" for h in settings.REMINDER_LEAD_HOURS),
        },
    )


@require_POST
@role_required("followup.change_reminderlog")
def reminder_retry(request, pk):
    log = get_object_or_404(ReminderLog.objects.select_related("session__patient"), pk=pk)
    try:
        log = reminders.retry_failed_reminder(log=log, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("followup:reminder_list")
    patient = log.session.patient
    if not try_dispatch_delivery(log.pk):
        messages.warning(
            request,
            f"The {log.get_channel_display()} reminder to {patient.full_name} could not be queued just now "
            "(the task queue is not answering). It is marked to send: the automatic sweep sends it once "
            "the queue is back, within minutes. No need to press Retry again.",
        )
        return redirect("followup:reminder_list")
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
    return redirect("followup:reminder_list")


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


@role_required("followup.view_remindertemplate")
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
    return render(request, "followup/reminders/templates.html", {"rows": rows})


@role_required("followup.change_remindertemplate")
def reminder_template_edit(request, channel):
    if channel not in ReminderChannel.values:
        return redirect("followup:reminder_templates")
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
        return redirect("followup:reminder_templates")
    data = form.data if form.is_bound else {"subject": template.subject, "body": template.body}
    preview = _preview(channel, data.get("subject", ""), data.get("body", ""))
    return render(
        request,
        "followup/reminders/template_form.html",
        {"form": form, "channel": channel, "label": ReminderChannel(channel).label, "preview": preview},
        status=400 if form.errors else 200,
    )

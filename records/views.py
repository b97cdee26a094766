"""Views of the session record: thin; the rules live in records/services.py."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audit.models import AccessKind
from audit.services import record_access
from infusion_clinic.dates import uk_date
from infusion_clinic.forms import add_service_errors, service_errors_on
from infusion_clinic.pdf import render_pdf
from infusion_clinic.permissions import role_required
from infusion_clinic.shortcuts import get_or_404
from sessions.models import InfusionSession, SessionStatus

from . import forms, services
from .models import InfusionState
from .selectors import record_page
from .times import at_session_day

VIEW_PERMS = ("records.view_vitalsigns",)
CHART_PERMS = ("infusion_sessions.chart_session",)


def _page(pk):
    return get_or_404(record_page, pk=pk, message="No such session")


def _can(user, perm):
    """The session-level permissions (chart, complete, sign off, amend) are the session's."""
    return user.has_perm(f"infusion_sessions.{perm}")


def _session_detail_url(session):
    """The scheduling app's session page, when it exists."""
    try:
        return reverse("infusion_sessions:session_detail", args=[session.pk])
    except NoReverseMatch:
        return None


def _start_form_kwargs(page):
    result, weight = services.dose_for(session=page.session)
    return {"unit": result.basis_unit, "default_dose": result.basis_dose}, result, weight


def _context(request, page, bound=None):
    """The record page's context: the forms the user may use in the record's current state."""
    bound = bound or {}
    user = request.user
    session, record = page.session, page.record
    ctx = {
        "page": page,
        "session": session,
        "record": record,
        "session_detail_url": _session_detail_url(session),
    }
    can_chart = _can(user, "chart_session") and page.is_open
    ctx["can_chart"] = can_chart
    ctx["can_check_in"] = (
        session.status == SessionStatus.BOOKED
        and _can(user, "checkin_session")
        and timezone.localtime(session.start).date() == timezone.localdate()
    )
    if can_chart and record is None and session.status == SessionStatus.CHECKED_IN:
        kwargs, result, weight = _start_form_kwargs(page)
        ctx["dose"], ctx["weight"] = result, weight
        ctx["start_form"] = bound.get("start_form") or forms.StartInfusionForm(**kwargs)
    if can_chart:
        ctx["vitals_form"] = bound.get("vitals_form") or forms.VitalSignsForm()
        ctx["event_form"] = bound.get("event_form") or forms.AdverseEventForm()
    if can_chart and record is not None and record.state != InfusionState.STOPPED:
        if record.state == InfusionState.RUNNING:
            ctx["rate_form"] = bound.get("rate_form") or forms.RateChangeForm(limits=page.limits)
            ctx["pause_form"] = bound.get("pause_form") or forms.PauseForm()
        else:
            ctx["resume_form"] = bound.get("resume_form") or forms.ResumeForm(limits=page.limits)
        ctx["stop_form"] = bound.get("stop_form") or forms.StopForm()
    if session.status == SessionStatus.IN_PROGRESS and _can(user, "complete_session"):
        ctx["complete_form"] = bound.get("complete_form") or forms.CompleteForm()
    if session.status == SessionStatus.COMPLETED and _can(user, "signoff_session"):
        ctx["signoff_form"] = bound.get("signoff_form") or forms.SignOffForm()
    if page.is_locked and page.vitals and _can(user, "amend_session"):
        ctx["amend_form"] = bound.get("amend_form") or forms.AmendmentForm(vitals=page.vitals)
    if page.is_locked and page.events and _can(user, "amend_session"):
        ctx["amend_event_form"] = bound.get("amend_event_form") or forms.AdverseEventAmendmentForm(
            events=page.events
        )
    if page.is_locked and page.rate_changes and _can(user, "amend_session"):
        ctx["amend_rate_form"] = bound.get("amend_rate_form") or forms.RateChangeAmendmentForm(
            rate_changes=page.rate_changes
        )
    if (page.is_locked or "addendum_form" in bound) and user.has_perm("records.add_addendum"):
        ctx["addendum_form"] = bound.get("addendum_form") or forms.AddendumForm()
    ctx["bound"] = next(iter(bound), "")
    return ctx


def _render(request, pk, *, bound=None, status=200):
    page = _page(pk)
    return render(request, "records/record.html", _context(request, page, bound), status=status)


@require_GET
@role_required(*VIEW_PERMS)
def session_record(request, pk):
    page = _page(pk)
    _record_opened(request, page.session)
    return render(request, "records/record.html", _context(request, page))


def _record_opened(request, session, how=""):
    patient = session.patient
    label = f"Session record{how}: {patient.full_name}, {uk_date(timezone.localtime(session.start))}"
    record_access(request, kind=AccessKind.SESSION_RECORD, obj=session, patient_id=patient.pk, label=label)


@require_GET
@role_required(*VIEW_PERMS)
def session_record_print(request, pk, as_pdf=False):
    page = _page(pk)
    _record_opened(request, page.session, " (PDF)" if as_pdf else " (print)")
    context = {"page": page, "session": page.session, "record": page.record, "printed_at": timezone.now()}
    if as_pdf:
        session = page.session
        name = f"session-record-{session.patient.last_name}-{timezone.localtime(session.start):%Y-%m-%d}"
        return render_pdf(request, "records/print.html", context, filename=name)
    return render(request, "records/print.html", context)


def _session(pk):
    return get_object_or_404(InfusionSession, pk=pk)


def _record_url(pk, anchor=""):
    return reverse("records:session_record", args=[pk]) + (f"#{anchor}" if anchor else "")


def _handle(request, pk, *, form, key, call, success, anchor=""):
    """Validate a form, call a service; errors re-render the page with the form bound (422)."""
    if form.is_valid():
        with service_errors_on(form):
            result = call(form.cleaned_data)
            messages.success(request, success(result) if callable(success) else success)
            return redirect(_record_url(pk, anchor))
    return _render(request, pk, bound={key: form}, status=422)


@require_POST
@role_required("infusion_sessions.checkin_session")
def session_record_check_in(request, pk):
    session = _session(pk)
    try:
        services.check_in_from_record(session=session, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{session.patient.full_name} is checked in.")
    return redirect(_record_url(pk))


@require_POST
@role_required(*CHART_PERMS)
def session_record_start(request, pk):
    session = _session(pk)
    page = _page(pk)
    kwargs = _start_form_kwargs(page)[0] if page.record is None else {}
    form = forms.StartInfusionForm(request.POST, **kwargs)

    def call(data):
        services.start_infusion(
            session=session,
            by=request.user,
            started_at=at_session_day(session, data["started_at"]),
            override_dose=data["dose"],
            soft_limit_reason=data["soft_limit_reason"],
        )

    return _handle(
        request, pk, form=form, key="start_form", call=call, success="Infusion started.", anchor="charting"
    )


@require_POST
@role_required(*CHART_PERMS, "records.add_ratechange")
def session_record_infusion(request, pk, action):
    session = _session(pk)
    form_class, key, service, success = {
        "rate": (forms.RateChangeForm, "rate_form", services.change_rate, "Rate changed."),
        "pause": (forms.PauseForm, "pause_form", services.pause_infusion, "Infusion paused."),
        "resume": (forms.ResumeForm, "resume_form", services.resume_infusion, "Infusion resumed."),
        "stop": (forms.StopForm, "stop_form", services.stop_infusion, "Infusion stopped."),
    }.get(action, (None, None, None, None))
    if form_class is None:
        raise Http404("Unknown action")
    kwargs = {"limits": _page(pk).limits} if issubclass(form_class, forms.PumpRateForm) else {}
    form = form_class(request.POST, **kwargs)

    def call(data):
        values = dict(data)
        values["changed_at"] = at_session_day(session, values["changed_at"])
        service(session=session, by=request.user, **values)

    return _handle(request, pk, form=form, key=key, call=call, success=success, anchor="infusion")


@require_POST
@role_required(*CHART_PERMS, "records.add_adverseevent")
def session_record_event(request, pk):
    session = _session(pk)
    form = forms.AdverseEventForm(request.POST)

    def call(data):
        services.record_adverse_event(
            session=session,
            by=request.user,
            occurred_at=at_session_day(session, data["occurred_at"]),
            event_type=data["event_type"],
            other_text=data["other_text"],
            severity=data["severity"],
            action_taken=data["action_taken"],
            notes=data["notes"],
        )

    return _handle(
        request,
        pk,
        form=form,
        key="event_form",
        call=call,
        success="Adverse event recorded.",
        anchor="events",
    )


@require_POST
@role_required("infusion_sessions.complete_session")
def session_record_complete(request, pk):
    session = _session(pk)
    form = forms.CompleteForm(request.POST)
    return _handle(
        request,
        pk,
        form=form,
        key="complete_form",
        call=lambda data: services.complete_session(session=session, by=request.user, note=data["note"]),
        success=lambda record: _completed_message(pk),
    )


def _completed_message(pk):
    given = _page(pk).delivered
    return (
        f"Session completed: {given.dose_mg} of {given.planned_dose_mg} mg given "
        f"({given.volume_ml} of {given.planned_volume_ml} mL). The record is now read-only and awaits a "
        "specialist's sign-off."
    )


@require_POST
@role_required("infusion_sessions.signoff_session")
def session_record_signoff(request, pk):
    session = _session(pk)
    form = forms.SignOffForm(request.POST)
    return _handle(
        request,
        pk,
        form=form,
        key="signoff_form",
        call=lambda data: services.sign_off_session(session=session, by=request.user, note=data["note"]),
        success="Record signed off.",
    )


# What each amendment form offers (the page's rows), its key on the page, the row's field and the service.
AMENDMENTS = {
    "vitals": (forms.AmendmentForm, "vitals", "amend_form", "vital_signs", services.amend_vital_signs),
    "event": (
        forms.AdverseEventAmendmentForm,
        "events",
        "amend_event_form",
        "adverse_event",
        services.amend_adverse_event,
    ),
    "rate": (
        forms.RateChangeAmendmentForm,
        "rate_changes",
        "amend_rate_form",
        "rate_change",
        services.amend_rate_change,
    ),
}


@require_POST
@role_required("infusion_sessions.amend_session")
def session_record_amend(request, pk, kind):
    """The three amendment forms differ only in the rows offered and the service that amends one."""
    form_class, rows, key, target, service = AMENDMENTS[kind]
    page = _page(pk)
    form = form_class(request.POST, **{rows: getattr(page, rows)})
    return _handle(
        request,
        pk,
        form=form,
        key=key,
        call=lambda data: service(
            **{target: data[target]},
            by=request.user,
            field=data["field"],
            value=data["value"],
            reason=data["reason"],
        ),
        success="Amendment recorded; the history shows the original value.",
        anchor="history",
    )


def _wants_json(request):
    return not request.htmx and "application/json" in request.headers.get("Accept", "")


@require_POST
@role_required(*CHART_PERMS, "records.add_vitalsigns")
def session_record_vitals(request, pk):
    """Chart one row of observations. htmx gets the row form back (and the table, last values,
    alert and chart data out of band); a JSON client gets JSON; a plain form post the whole page."""
    session = _session(pk)
    form = forms.VitalSignsForm(request.POST)
    vitals = None
    if form.is_valid():
        try:
            vitals = services.record_vital_signs(
                session=session,
                by=request.user,
                observed_at=at_session_day(session, form.cleaned_data["observed_at"]),
                **form.service_values(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if vitals is None:
        errors = form.errors.get_json_data()
        if _wants_json(request):
            return JsonResponse({"errors": errors}, status=422)
        if request.htmx:
            page = _page(pk)
            response = render(
                request,
                "records/_vitals_form.html",
                {"vitals_form": form, "session": session, "page": page},
                status=422,
            )
            response["HX-Trigger"] = _json_header({"vitals-refused": {"errors": errors}})
            return response
        return _render(request, pk, bound={"vitals_form": form}, status=422)

    if _wants_json(request):
        return JsonResponse(
            {
                "id": vitals.pk,
                "news2": vitals.news2_total,
                "band": vitals.news2_band,
                "alert_level": vitals.alert_level,
            },
            status=201,
        )
    if not request.htmx:
        messages.success(request, f"Observations charted: NEWS2 {vitals.news2_total}.")
        return redirect(_record_url(pk, "charting"))
    page = _page(pk)
    ctx = _context(request, page)
    ctx["vitals_form"] = forms.VitalSignsForm()
    ctx["saved"] = vitals
    return render(request, "records/_vitals_saved.html", ctx)


def _json_header(value):
    return json.dumps(value, default=str)


@require_POST
@role_required("records.add_addendum")
def session_record_addendum(request, pk):
    session = _session(pk)
    form = forms.AddendumForm(request.POST)
    return _handle(
        request,
        pk,
        form=form,
        key="addendum_form",
        call=lambda data: services.add_addendum(session=session, by=request.user, text=data["text"]),
        success="Addendum added to the record.",
        anchor="addenda",
    )

"""Scheduling pages: book (slot finder), day board, week view, session page, moves and clinic set-up."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from infusion_clinic import bounds
from infusion_clinic.dates import uk_date, uk_weekday_datetime
from infusion_clinic.forms import service_errors_as_message, service_errors_on
from infusion_clinic.permissions import role_required
from infusion_clinic.reference_data import Kind, ReferenceData

from . import booking, selectors
from .forms import (
    BookingForm,
    ChairForm,
    ClosureForm,
    LocationForm,
    MoveForm,
    NurseShiftForm,
    OpeningHoursForm,
    OptionalReasonForm,
    ReasonForm,
    RotaWeekForm,
    SlotSearchForm,
)
from .models import Chair, Closure, Course, InfusionSession, Location, NurseShift, OpeningHours, SessionStatus
from .rota import fill_rota_week
from .slots import find_slots

VIEW = "infusion_sessions.view_infusionsession"
BOOK = "infusion_sessions.book_session"
CHECK_IN = "infusion_sessions.checkin_session"
MANAGE = "infusion_sessions.manage_chairs"


def _query_day(request, name) -> tuple[date, int]:
    """The day a page shows (?name=YYYY-MM-DD, else today) and the status: 400 with a message for a
    date that is not one or lies outside the sane range."""
    try:
        day = bounds.parse_date(request.GET.get(name))
    except ValidationError as exc:
        messages.error(request, f"{exc.messages[0]} Showing today instead.")
        return timezone.localdate(), 400
    return day or timezone.localdate(), 200


def _location(request):
    location_id = bounds.parse_id(request.GET.get("location"))
    if location_id:
        return get_object_or_404(Location, pk=location_id)
    return selectors.default_location()


# --- booking ---------------------------------------------------------------------------------


SEARCH_FIELDS = ("protocol_version", "earliest", "preference", "chair", "referral")
BOOKING_LOOKUP_FORM = "book-patient-lookup"  # the booking form's patient search, a GET form of its own


def _search_initial(request, *, keep_typed=False):
    initial = {"earliest": timezone.localdate(), "preference": "any", "patient": request.GET.get("patient")}
    if keep_typed:  # a patient search without JavaScript keeps what was chosen in the slot finder
        initial.update({key: request.GET[key] for key in SEARCH_FIELDS if request.GET.get(key)})
    return initial


@role_required(BOOK)
def book(request):
    """Reception: find slots for a patient and protocol, then book the session or the whole course.

    The patient fields are pickers (patients/picker.py): without JavaScript their Search buttons ask
    this page again with `patient_lookup` ("search" or "book": which picker) and `patient_q`, and that
    picker offers the matches."""
    lookup = request.GET.get("patient_lookup", "")
    query = request.GET.get("patient_q", "").strip()[:100] if request.method == "GET" else ""
    search = SlotSearchForm(
        request.GET if "protocol_version" in request.GET and lookup != "search" else None,
        initial=_search_initial(request, keep_typed=lookup == "search"),
        patient_query=query if lookup == "search" else "",
    )
    found = None
    booking_initial = {}
    if search.is_bound and search.is_valid():
        found = selectors.slot_search(**search.cleaned_data)
        booking_initial = {
            key: search.cleaned_data[key] for key in ("patient", "protocol_version", "chair", "referral")
        }
    elif request.GET.get("patient"):
        booking_initial = {"patient": request.GET.get("patient")}
    form = BookingForm(
        initial=booking_initial,
        patient_query=query if lookup == "book" else "",
        lookup_form=BOOKING_LOOKUP_FORM,
    )

    if request.method == "POST":
        form = BookingForm(request.POST, lookup_form=BOOKING_LOOKUP_FORM)
        if form.is_valid():
            data = form.cleaned_data
            version = data["protocol_version"]
            with service_errors_on(form):
                if version.course_sessions > 1:
                    course = booking.book_course(**data, booked_by=request.user)
                    first = course.sessions.order_by("start").first()
                    messages.success(
                        request,
                        f"Booked a course of {course.sessions.count()} sessions for {data['patient'].full_name}, "
                        f"first on {uk_weekday_datetime(first.start)}.",
                    )
                    return redirect(first)
                session = booking.book_session(**data, booked_by=request.user)
                messages.success(
                    request,
                    f"Booked {data['patient'].full_name} on {uk_weekday_datetime(session.start)}.",
                )
                return redirect(session)
        messages.error(request, "Nothing was booked. Check the messages next to the fields.")
        status = 400
    else:
        status = 200
    return render(
        request,
        "infusion_sessions/book.html",
        {
            "search": search,
            "found": found,
            "blockers": [(b, request.user.has_perm(b.permission)) for b in found.blockers] if found else [],
            "form": form,
            "lookup_form": BOOKING_LOOKUP_FORM,
            "lookup_keep": [
                (key, value)
                for key, values in request.GET.lists()
                if key not in ("patient_q", "patient_lookup")
                for value in values
            ],
        },
        status=status,
    )


@role_required(BOOK)
@require_GET
def book_referrals(request):
    """The referral field of the slot finder (?form=search) or the booking form (?form=book) for the
    patient just picked (?patient=ID): the picker swaps it in, so only that patient's referrals show."""
    form_class = BookingForm if request.GET.get("form") == "book" else SlotSearchForm
    form = form_class(initial={"patient": request.GET.get("patient")})
    return render(request, "infusion_sessions/_referral_field.html", {"field": form["referral"]})


# --- the day board and the week view ---------------------------------------------------------


@role_required(VIEW)
def day_board(request):
    location = _location(request)
    day, status = _query_day(request, "date")
    board = selectors.day_board(location=location, day=day) if location else None
    return render(
        request,
        "infusion_sessions/day_board.html",
        {
            "board": board,
            "day": day,
            "location": location,
            "locations": Location.objects.filter(is_active=True),
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "today": timezone.localdate(),
            "week_start": day - timedelta(days=day.weekday()),
        },
        status=status,
    )


@role_required(VIEW)
def week_view(request):
    location = _location(request)
    day, status = _query_day(request, "week")
    week_start = day - timedelta(days=day.weekday())
    days = selectors.week_view(location=location, week_start=week_start) if location else []
    return render(
        request,
        "infusion_sessions/week.html",
        {
            "days": days,
            "location": location,
            "locations": Location.objects.filter(is_active=True),
            "week_start": week_start,
            "previous_week": week_start - timedelta(days=7),
            "next_week": week_start + timedelta(days=7),
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_POST
@role_required(CHECK_IN)
def check_in(request, pk):
    session = get_object_or_404(InfusionSession, pk=pk)
    try:
        session = booking.check_in(session=session, by=request.user)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if request.htmx:
            return JsonResponse({"error": message}, status=409)
        messages.error(request, message)
        return redirect(request.POST.get("next") or session.get_absolute_url())
    if request.htmx:
        session = selectors.session_queryset().get(pk=session.pk)
        return render(
            request, "infusion_sessions/_board_session.html", {"s": session, "today": timezone.localdate()}
        )
    messages.success(request, f"{session.patient.full_name} is checked in.")
    return redirect(request.POST.get("next") or session.get_absolute_url())


# --- one session -----------------------------------------------------------------------------


def _render_session(request, pk, *, cancel_form=None, status=200):
    session = get_object_or_404(
        selectors.session_queryset().select_related("rescheduled_to", "cancelled_by"), pk=pk
    )
    course_sessions = []
    if session.course_id:
        course_sessions = list(
            selectors.session_queryset().filter(course_id=session.course_id).order_by("start", "pk")
        )
    return render(
        request,
        "infusion_sessions/session_detail.html",
        {
            "session": session,
            "course_sessions": course_sessions,
            "cancel_form": cancel_form or ReasonForm(),
            "dna_form": OptionalReasonForm(),
            "can_cancel": session.status in booking.CANCELLABLE,
            "can_move": session.status == SessionStatus.BOOKED,
            "can_dna": session.status == SessionStatus.BOOKED and session.start <= timezone.now(),
            "rescheduled_from": InfusionSession.objects.filter(rescheduled_to=session).first(),
        },
        status=status,
    )


@role_required(VIEW)
def session_detail(request, pk):
    return _render_session(request, pk)


@require_POST
@role_required(BOOK)
def cancel(request, pk):
    session = get_object_or_404(InfusionSession, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        with service_errors_on(form):
            session = booking.cancel_session(
                session=session, by=request.user, reason=form.cleaned_data["reason"]
            )
            late = " (late cancellation: under 48 hours' notice)" if session.late_cancellation else ""
            messages.success(request, f"Session cancelled{late}. The chair time is free again.")
            return redirect(session)
    messages.error(request, "Nothing was cancelled. Check the message next to the field.")
    return _render_session(request, pk, cancel_form=form, status=400)


@require_POST
@role_required(CHECK_IN)
def did_not_attend(request, pk):
    session = get_object_or_404(InfusionSession, pk=pk)
    form = OptionalReasonForm(request.POST)
    form.is_valid()
    with service_errors_as_message(request):
        booking.mark_did_not_attend(
            session=session, by=request.user, reason=form.cleaned_data.get("reason", "")
        )
        messages.success(request, "Marked as did not attend.")
    return redirect(session)


def _slot_suggestions(*, session, chair=None, count=8, patient_exclude=()):
    return find_slots(
        protocol_version=session.protocol_version,
        earliest=timezone.localdate(),
        chair=chair,
        location=session.chair.location,
        patient=session.patient,
        exclude_session_ids=patient_exclude,
        count=count,
    )


def _move_page(request, *, sessions, move, title, **context):
    """Move one session, or the rest of a course (`sessions`, the first shown): `move(**form data)` books
    the new time(s) and gives back the session to show next and the message to say."""
    status = 200
    if request.method == "POST":
        form = MoveForm(request.POST)
        if form.is_valid():
            with service_errors_on(form):
                shown, message = move(**form.cleaned_data)
                messages.success(request, message)
                return redirect(shown)
        status = 400
    else:
        form = MoveForm(initial={"chair": sessions[0].chair})
    suggestions = _slot_suggestions(session=sessions[0], patient_exclude=[s.pk for s in sessions])
    return render(
        request,
        "infusion_sessions/move.html",
        {"session": sessions[0], "form": form, "suggestions": suggestions, "title": title, **context},
        status=status,
    )


@role_required(BOOK)
def move(request, pk):
    session = get_object_or_404(selectors.session_queryset(), pk=pk)
    if session.status != SessionStatus.BOOKED:
        messages.error(request, "Only a booked session can be moved.")
        return redirect(session)

    def move_session(**data):
        new = booking.move_session(session=session, by=request.user, **data)
        return new, f"Moved to {uk_weekday_datetime(new.start)} on {new.chair}."

    return _move_page(request, sessions=[session], move=move_session, title="Move this session")


@role_required(BOOK)
def reschedule_course(request, pk):
    course = get_object_or_404(
        Course.objects.select_related("patient", "protocol_version__protocol__family"), pk=pk
    )
    remaining = booking.remaining_sessions(course)
    if not remaining:
        messages.error(request, "This course has no booked sessions left to reschedule.")
        return redirect(course.sessions.order_by("-start").first() or "infusion_sessions:day_board")

    def reschedule(**data):
        new = booking.reschedule_rest_of_course(course=course, by=request.user, **data)
        return new[0], f"Rescheduled the remaining {len(new)} session(s) of the course."

    return _move_page(
        request,
        sessions=remaining,
        move=reschedule,
        title="Reschedule the rest of this course",
        course=course,
        remaining=remaining,
    )


# --- clinic set-up (clinic admin) ------------------------------------------------------------

SETUP = ReferenceData(
    permission=MANAGE,
    form_template="infusion_sessions/setup/form.html",
    list_url="infusion_sessions:setup",
    invalid_status=400,
    initial=lambda: {"location": selectors.default_location()},
    kinds={
        "location": Kind(model=Location, form_class=LocationForm, label="location"),
        "chair": Kind(model=Chair, form_class=ChairForm, label="chair"),
        "hours": Kind(model=OpeningHours, form_class=OpeningHoursForm, label="opening hours", deletable=True),
        "closure": Kind(model=Closure, form_class=ClosureForm, label="closure", deletable=True),
        "shift": Kind(model=NurseShift, form_class=NurseShiftForm, label="nurse shift", deletable=True),
    },
)


@role_required(MANAGE)
def setup(request):
    today = timezone.localdate()
    locations = Location.objects.prefetch_related("chairs", "opening_hours")
    return render(
        request,
        "infusion_sessions/setup/index.html",
        {
            "locations": locations,
            "closures": Closure.objects.filter(ends_on__gte=today).select_related("location"),
            "shifts": NurseShift.objects.filter(
                date__gte=today, date__lt=today + timedelta(days=14)
            ).select_related("location"),
            "rota_form": RotaWeekForm(
                initial={"week_starting": today, "location": selectors.default_location()}
            ),
        },
    )


@role_required(MANAGE)
def rota_week(request):
    form = RotaWeekForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = fill_rota_week(**data)
        messages.success(
            request, f"Rota for the week of {uk_date(data['week_starting'])}: {created} shift(s)."
        )
        return redirect(
            f"{reverse('infusion_sessions:week_view')}?week={data['week_starting']:%Y-%m-%d}&location={data['location'].pk}"
        )
    return render(
        request,
        "infusion_sessions/setup/rota_week.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )

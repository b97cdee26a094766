"""Scheduling pages: book (slot finder), day board, week view, session page, moves and clinic set-up."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from infusion_clinic import bounds
from infusion_clinic.dates import uk_date, uk_weekday_datetime
from infusion_clinic.permissions import role_required

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
    add_service_errors,
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


def _search_initial(request):
    return {
        "earliest": timezone.localdate(),
        "preference": "any",
        "patient": request.GET.get("patient"),
    }


@role_required(BOOK)
def book(request):
    """Reception: find slots for a patient and protocol, then book the session or the whole course."""
    search = SlotSearchForm(
        request.GET if "protocol_version" in request.GET else None, initial=_search_initial(request)
    )
    slots = []
    if search.is_bound and search.is_valid():
        data = search.cleaned_data
        slots = find_slots(
            protocol_version=data["protocol_version"],
            earliest=data["earliest"],
            preference=data["preference"],
            chair=data["chair"],
            patient=data["patient"],
            count=10,
        )
    booking_initial = {}
    if search.is_bound and search.is_valid():
        booking_initial = {
            "patient": search.cleaned_data["patient"],
            "protocol_version": search.cleaned_data["protocol_version"],
            "chair": search.cleaned_data["chair"],
        }
    elif request.GET.get("patient"):
        booking_initial = {"patient": request.GET.get("patient")}
    form = BookingForm(initial=booking_initial)

    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            version = data["protocol_version"]
            try:
                if version.course_sessions > 1:
                    course = booking.book_course(
                        patient=data["patient"],
                        protocol_version=version,
                        chair=data["chair"],
                        start=data["start"],
                        booked_by=request.user,
                        referral=data["referral"],
                    )
                    first = course.sessions.order_by("start").first()
                    messages.success(
                        request,
                        f"Booked a course of {course.sessions.count()} sessions for {data['patient'].full_name}, "
                        f"first on {uk_weekday_datetime(first.start)}.",
                    )
                    return redirect(first)
                session = booking.book_session(
                    patient=data["patient"],
                    protocol_version=version,
                    chair=data["chair"],
                    start=data["start"],
                    booked_by=request.user,
                    referral=data["referral"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
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
        {"search": search, "slots": slots, "form": form},
        status=status,
    )


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
        message = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
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
        try:
            session = booking.cancel_session(
                session=session, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
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
    try:
        booking.mark_did_not_attend(
            session=session, by=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
    else:
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


@role_required(BOOK)
def move(request, pk):
    session = get_object_or_404(selectors.session_queryset(), pk=pk)
    if session.status != SessionStatus.BOOKED:
        messages.error(request, "Only a booked session can be moved.")
        return redirect(session)
    status = 200
    if request.method == "POST":
        form = MoveForm(request.POST)
        if form.is_valid():
            try:
                new = booking.move_session(session=session, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Moved to {uk_weekday_datetime(new.start)} on {new.chair}.")
                return redirect(new)
        status = 400
    else:
        form = MoveForm(initial={"chair": session.chair})
    suggestions = _slot_suggestions(session=session, patient_exclude=[session.pk])
    return render(
        request,
        "infusion_sessions/move.html",
        {"session": session, "form": form, "suggestions": suggestions, "title": "Move this session"},
        status=status,
    )


@role_required(BOOK)
def reschedule_course(request, pk):
    course = get_object_or_404(
        Course.objects.select_related("patient", "protocol_version__protocol__family"), pk=pk
    )
    remaining = booking.remaining_sessions(course)
    if not remaining:
        messages.error(request, "This course has no booked sessions left to reschedule.")
        return redirect(course.sessions.order_by("-start").first() or "infusion_sessions:day_board")
    status = 200
    if request.method == "POST":
        form = MoveForm(request.POST)
        if form.is_valid():
            try:
                new = booking.reschedule_rest_of_course(course=course, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Rescheduled the remaining {len(new)} session(s) of the course.")
                return redirect(new[0])
        status = 400
    else:
        form = MoveForm(initial={"chair": remaining[0].chair})
    suggestions = _slot_suggestions(session=remaining[0], patient_exclude=[s.pk for s in remaining])
    return render(
        request,
        "infusion_sessions/move.html",
        {
            "session": remaining[0],
            "course": course,
            "remaining": remaining,
            "form": form,
            "suggestions": suggestions,
            "title": "Reschedule the rest of this course",
        },
        status=status,
    )


# --- clinic set-up (clinic admin) ------------------------------------------------------------

SETUP_KINDS = {
    "location": (Location, LocationForm, "location"),
    "chair": (Chair, ChairForm, "chair"),
    "hours": (OpeningHours, OpeningHoursForm, "opening hours"),
    "closure": (Closure, ClosureForm, "closure"),
    "shift": (NurseShift, NurseShiftForm, "nurse shift"),
}


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


def _setup_kind(kind):
    if kind not in SETUP_KINDS:
        raise Http404("Unknown kind")
    return SETUP_KINDS[kind]


@role_required(MANAGE)
def setup_edit(request, kind, pk=None):
    model, form_class, label = _setup_kind(kind)
    instance = get_object_or_404(model, pk=pk) if pk else None
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, instance=instance)
        if form.is_valid():
            form.save()
            messages.success(request, f"Saved the {label}.")
            return redirect("infusion_sessions:setup")
        status = 400
    else:
        form = form_class(instance=instance, initial={"location": selectors.default_location()})
    return render(
        request,
        "infusion_sessions/setup/form.html",
        {"form": form, "label": label, "instance": instance},
        status=status,
    )


@require_POST
@role_required(MANAGE)
def setup_delete(request, kind, pk):
    model, _form, label = _setup_kind(kind)
    if model in (Location, Chair):
        raise Http404("Locations and chairs are made inactive, not deleted, so that past sessions keep them.")
    get_object_or_404(model, pk=pk).delete()
    messages.success(request, f"Deleted the {label}.")
    return redirect("infusion_sessions:setup")


@role_required(MANAGE)
def rota_week(request):
    form = RotaWeekForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = fill_rota_week(
            location=data["location"],
            week_starting=data["week_starting"],
            band_split=data["band_split"],
            morning_nurses=data["morning_nurses"],
            afternoon_nurses=data["afternoon_nurses"],
        )
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

"""Booking writes: book, course, cancel, did not attend, move, reschedule the rest of a course, check in.

Every function takes keyword arguments, runs in one transaction and raises ValidationError keyed by
form field ("patient", "chair", "start", "reason", ...) so that a form shows each message next to
its input. Nothing is saved when any part fails (a course is all or nothing).

Concurrency: inside the transaction the location row, then the chair rows (by id), then the patient
row are locked with SELECT ... FOR UPDATE, always in that order so that two bookings cannot
deadlock; the checks then run on fresh data. On PostgreSQL two exclusion constraints (migration
0002) refuse overlapping active sessions on one chair or for one patient even if a code path
forgot the locks; their IntegrityError becomes a ValidationError here.

Referrals: every session belongs to a referral, because billing (invoice, pre-authorisation), the
RTT clock and the commissioner's activity report all follow it. The caller may name one; otherwise
the patient's only active referral (accepted or in treatment) is attached. Booking is refused when
the patient has none, or several and the caller chose none, or the one named is not active; moves
and reschedules keep the session's referral (or attach the active one to an older session that has
none).

Courses: a course is planned from ProtocolVersion.course_sessions and course_interval_days. Each
session is planned interval days after the previous session's date; a date on which the location
is closed (no opening hours that weekday, or a closure) moves to the next open day. All sessions
keep the first session's time of day and chair; when that chair is taken on a later date another
free chair at the same location at the same time is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from infusion_clinic.dates import uk_date, uk_datetime, uk_weekday_datetime
from patients.eligibility import ensure_eligible
from patients.models import Patient, Referral, ReferralStatus

from .hooks import run_booking_checks
from .models import Chair, Closure, Course, InfusionSession, Location, OpeningHours, SessionStatus
from .slots import _tz, session_end, slot_problems

LATE_CANCELLATION = timedelta(hours=48)
MAX_COURSE_DAY_SHIFT = 31  # give up when no open day follows within a month
CANCELLABLE = (SessionStatus.BOOKED, SessionStatus.CHECKED_IN)
# A referral whose patient may be booked: the specialist accepted it, or treatment has begun.
BOOKABLE_REFERRAL_STATUSES = (ReferralStatus.ACCEPTED, ReferralStatus.IN_TREATMENT)
# Still on its way to acceptance: the steps a specialist takes before the patient can be booked.
AWAITING_DECISION = (ReferralStatus.RECEIVED, ReferralStatus.TRIAGED, ReferralStatus.AWAITING_ASSESSMENT)


# --- locks and checks -----------------------------------------------------------------------


def _lock(*, chairs, patient) -> None:
    location_ids = sorted({c.location_id for c in chairs})
    list(Location.objects.select_for_update().filter(pk__in=location_ids).order_by("pk").values_list("pk"))
    list(
        Chair.objects.select_for_update()
        .filter(pk__in=sorted({c.pk for c in chairs}))
        .order_by("pk")
        .values_list("pk")
    )
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").first()


def _referral_for(*, patient, referral=None) -> Referral:
    """The referral a new session belongs to: the one named, or the patient's only active one."""
    if referral is not None:
        referral = Referral.objects.get(pk=referral.pk)  # fresh: its status may have moved on
        if referral.patient_id != patient.pk:
            raise ValidationError({"referral": "This referral belongs to another patient."})
        if referral.status not in BOOKABLE_REFERRAL_STATUSES:
            raise ValidationError(
                {
                    "referral": f"This referral is {referral.get_status_display().lower()}: only an accepted "
                    "referral or one in treatment can be booked."
                }
            )
        return referral
    active = list(
        Referral.objects.filter(patient=patient, status__in=BOOKABLE_REFERRAL_STATUSES).order_by("pk")[:2]
    )
    if not active:
        raise ValidationError(
            {
                "referral": f"{patient.full_name} has no accepted referral. A session is booked against "
                "an accepted referral (it carries the funding): accept the referral first."
            }
        )
    if len(active) > 1:
        raise ValidationError(
            {"referral": f"{patient.full_name} has more than one active referral: choose the one to book."}
        )
    return active[0]


def _check_eligible(*, patient, protocol_version, on_date):
    ensure_eligible(patient=patient, protocol_version=protocol_version, on_date=on_date)


# --- what stops a booking, before any slot is chosen ----------------------------------------


@dataclass(frozen=True)
class Blocker:
    """One reason the patient cannot be booked yet, and where it is put right.

    `permission` is what the fixing page asks for; `who` names the role that holds it, for the
    reader who cannot fix it themselves."""

    field: str  # the booking form's field the message belongs to: "patient" or "referral"
    message: str
    action: str = ""  # e.g. "Record eligibility"; empty when the fix is on this page
    url: str = ""
    permission: str = ""
    who: str = ""


def _eligibility_blocker(*, patient, protocol_version, error) -> Blocker:
    family = protocol_version.protocol.family
    return Blocker(
        field="patient",
        message=" ".join(error.messages),
        action=f"Record eligibility for {family.name}",
        url=reverse("patients:eligibility_assess", args=[patient.pk, family.slug]),
        permission="patients.add_eligibilityassessment",
        who="a pain specialist",
    )


def _referral_blocker(*, patient, referral, error) -> Blocker:
    message = " ".join(error.messages)
    if referral is not None:
        return Blocker(
            field="referral",
            message=message,
            action="Open the referral",
            url=reverse("patients:referral_detail", args=[referral.pk]),
            permission="patients.view_referral",
            who="reception or a pain specialist",
        )
    waiting = (
        Referral.objects.filter(patient=patient, status__in=AWAITING_DECISION)
        .order_by("-received_on", "-pk")
        .first()
    )
    if waiting is None:
        if Referral.objects.filter(patient=patient, status__in=BOOKABLE_REFERRAL_STATUSES).exists():
            return Blocker(field="referral", message=message)  # several: chosen on this page
        return Blocker(
            field="referral",
            message=f"{message} No referral is waiting to be accepted either.",
            action="Register a referral",
            url=reverse("patients:referral_intake") + f"?patient={patient.pk}",
            permission="patients.add_referral",
            who="reception",
        )
    step = "Triage the referral" if waiting.status == ReferralStatus.RECEIVED else "Accept the referral"
    return Blocker(
        field="referral",
        message=f"{message} The referral of {uk_date(waiting.received_on)} is "
        f"{waiting.get_status_display().lower()}.",
        action=step,
        url=reverse("patients:referral_detail", args=[waiting.pk]),
        permission="patients.triage_referral",
        who="a pain specialist",
    )


@dataclass(frozen=True)
class BookingCheck:
    blockers: list[Blocker]
    referral: Referral | None  # the referral the booking would belong to, when one is chosen

    def referral_or_raise(self) -> Referral:
        """The referral, or ValidationError (keyed by field) with every blocker's message."""
        if self.blockers:
            errors = {}
            for blocker in self.blockers:
                errors.setdefault(blocker.field, []).append(blocker.message)
            raise ValidationError(errors)
        return self.referral


@transaction.atomic  # the checks of the apps above may lock rows (billing's pre-authorisation)
def check_booking(
    *, patient, protocol_version, on_date: date, referral=None, session_count: int = 1
) -> BookingCheck:
    """Everything that stops `patient` being booked on `protocol_version` from `on_date` (no blockers
    when nothing does). The one rule for both the slot finder (asked before any slot is shown) and
    booking (asked again inside the booking transaction, after the locks)."""
    blockers = []
    try:
        ensure_eligible(patient=patient, protocol_version=protocol_version, on_date=on_date)
    except ValidationError as error:
        blockers.append(_eligibility_blocker(patient=patient, protocol_version=protocol_version, error=error))
    try:
        chosen = _referral_for(patient=patient, referral=referral)
    except ValidationError as error:
        blockers.append(_referral_blocker(patient=patient, referral=referral, error=error))
        return BookingCheck(blockers, None)
    try:
        run_booking_checks(
            patient=patient, referral=chosen, protocol_version=protocol_version, session_count=session_count
        )
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            blockers.append(
                Blocker(
                    field=field,
                    message=" ".join(messages),
                    action="Open the referral",
                    url=reverse("patients:referral_detail", args=[chosen.pk]),
                    permission="patients.view_referral",
                    who="reception",
                )
            )
    return BookingCheck(blockers, chosen)


def _save_session(session: InfusionSession) -> InfusionSession:
    session.full_clean()
    try:
        with transaction.atomic():  # a savepoint: the outer transaction survives the IntegrityError
            session.save()
    except IntegrityError as exc:
        text = str(exc)
        if "session_no_patient_overlap" in text:
            raise ValidationError({"patient": "The patient already has a session at this time."}) from exc
        if "session_no_chair_overlap" in text:
            raise ValidationError(
                {"chair": "The chair was just booked by someone else. Choose another slot."}
            ) from exc
        raise
    return session


def _new_session(
    *, patient, protocol_version, chair, start, booked_by, referral, course, sequence, exclude_ids=()
):
    problems = slot_problems(
        protocol_version=protocol_version,
        chair=chair,
        start=start,
        patient=patient,
        exclude_session_ids=exclude_ids,
    )
    if problems:
        raise ValidationError(problems)
    session = InfusionSession(
        patient=patient,
        referral=referral,
        course=course,
        sequence=sequence,
        protocol_version=protocol_version,
        chair=chair,
        start=start,
        end=session_end(start, protocol_version),
        booked_by=booked_by,
    )
    return _save_session(session)


def _check_start(start):
    if start is None or not isinstance(start, datetime):
        raise ValidationError({"start": "Enter a date and time."})
    if timezone.is_naive(start):
        raise ValidationError({"start": "The start time needs a time zone."})
    if start < timezone.now():  # before eligibility: a past date is the clearer message
        raise ValidationError({"start": f"{uk_datetime(start)} is in the past. Choose a future time."})


# --- one session -----------------------------------------------------------------------------


@transaction.atomic
def book_session(*, patient, protocol_version, chair, start, booked_by, referral=None) -> InfusionSession:
    """Book one session (not part of a course)."""
    _check_start(start)
    _lock(chairs=[chair], patient=patient)
    referral = check_booking(
        patient=patient,
        protocol_version=protocol_version,
        on_date=start.astimezone(_tz()).date(),
        referral=referral,
        session_count=1,
    ).referral_or_raise()
    return _new_session(
        patient=patient,
        protocol_version=protocol_version,
        chair=chair,
        start=start,
        booked_by=booked_by,
        referral=referral,
        course=None,
        sequence=1,
    )


# --- courses ---------------------------------------------------------------------------------


def _open_day(*, location, day, hours_by_weekday, closed_days):
    """The first day on or after `day` on which the location is open."""
    for _ in range(MAX_COURSE_DAY_SHIFT):
        if hours_by_weekday.get(day.weekday()) and day not in closed_days:
            return day
        day += timedelta(days=1)
    raise ValidationError({"start": f"{location} has no open day within a month after {uk_date(day)}."})


def plan_course_starts(
    *, location, first_start: datetime, sessions: int, interval_days: int
) -> list[datetime]:
    """Start times of a course's sessions (see the module docstring for the rule)."""
    tz = _tz()
    first_start = first_start.astimezone(tz)
    horizon = first_start.date() + timedelta(
        days=(sessions + 1) * max(interval_days, 1) + 2 * MAX_COURSE_DAY_SHIFT
    )
    hours_by_weekday = {}
    for weekday in OpeningHours.objects.filter(location=location).values_list("weekday", flat=True):
        hours_by_weekday[weekday] = True
    closed_days = set()
    for starts_on, ends_on in Closure.objects.filter(
        location=location, starts_on__lte=horizon, ends_on__gte=first_start.date()
    ).values_list("starts_on", "ends_on"):
        d = starts_on
        while d <= ends_on:
            closed_days.add(d)
            d += timedelta(days=1)
    starts = [first_start]
    day = first_start.date()
    for _ in range(1, sessions):
        day = _open_day(
            location=location,
            day=day + timedelta(days=max(interval_days, 1)),
            hours_by_weekday=hours_by_weekday,
            closed_days=closed_days,
        )
        starts.append(datetime.combine(day, first_start.timetz().replace(tzinfo=None), tzinfo=tz))
    return starts


def _chair_for(*, preferred, start, protocol_version, patient, exclude_ids):
    """The preferred chair when free at start, else another free active chair of its location."""
    problems = slot_problems(
        protocol_version=protocol_version,
        chair=preferred,
        start=start,
        patient=patient,
        exclude_session_ids=exclude_ids,
    )
    if set(problems) != {"chair"}:
        return preferred, problems
    for other in Chair.objects.filter(location_id=preferred.location_id, is_active=True).exclude(
        pk=preferred.pk
    ):
        other_problems = slot_problems(
            protocol_version=protocol_version,
            chair=other,
            start=start,
            patient=patient,
            exclude_session_ids=exclude_ids,
        )
        if not other_problems:
            return other, {}
    return preferred, problems


def _book_series(
    *, patient, protocol_version, chair, starts, booked_by, referral, course, first_sequence, exclude_ids=()
):
    for start in starts:
        _check_eligible(
            patient=patient, protocol_version=protocol_version, on_date=start.astimezone(_tz()).date()
        )
    location_chairs = list(Chair.objects.filter(location_id=chair.location_id))
    _lock(chairs=location_chairs, patient=patient)
    sessions = []
    for offset, start in enumerate(starts):
        sequence = first_sequence + offset
        use_chair, problems = _chair_for(
            preferred=chair,
            start=start,
            protocol_version=protocol_version,
            patient=patient,
            exclude_ids=exclude_ids,
        )
        if problems:
            label = f"Session {sequence} on {uk_weekday_datetime(start)}"
            raise ValidationError({field: f"{label}: {message}" for field, message in problems.items()})
        sessions.append(
            _new_session(
                patient=patient,
                protocol_version=protocol_version,
                chair=use_chair,
                start=start,
                booked_by=booked_by,
                referral=referral,
                course=course,
                sequence=sequence,
                exclude_ids=exclude_ids,
            )
        )
    return sessions


@transaction.atomic
def book_course(*, patient, protocol_version, chair, start, booked_by, referral=None) -> Course:
    """Book every session of the protocol's course template, all or nothing."""
    _check_start(start)
    starts = plan_course_starts(
        location=chair.location,
        first_start=start,
        sessions=protocol_version.course_sessions,
        interval_days=protocol_version.course_interval_days,
    )
    referral = check_booking(
        patient=patient,
        protocol_version=protocol_version,
        on_date=starts[0].astimezone(_tz()).date(),
        referral=referral,
        session_count=len(starts),
    ).referral_or_raise()
    course = Course(
        patient=patient, referral=referral, protocol_version=protocol_version, created_by=booked_by
    )
    course.full_clean()
    course.save()
    _book_series(
        patient=patient,
        protocol_version=protocol_version,
        chair=chair,
        starts=starts,
        booked_by=booked_by,
        referral=referral,
        course=course,
        first_sequence=1,
    )
    return course


# --- status changes --------------------------------------------------------------------------


def _locked(session) -> InfusionSession:
    return (
        InfusionSession.objects.select_for_update()
        .select_related("chair__location", "patient")
        .get(pk=session.pk)
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason."})
    return reason


def _release(session, *, status, by, reason, now):
    """Cancelled or moved: the chair is free again; under 48 hours before the start it is late."""
    session.status = status
    session.cancelled_at = now
    session.cancelled_by = by
    session.cancel_reason = reason
    session.late_cancellation = session.start - now < LATE_CANCELLATION


@transaction.atomic
def cancel_session(*, session, by, reason: str, now=None) -> InfusionSession:
    """Cancel a booked or checked-in session; under 48 hours before its start it is a late cancellation."""
    now = now or timezone.now()
    reason = _require_reason(reason)
    session = _locked(session)
    if session.status not in CANCELLABLE:
        raise ValidationError(
            {"status": f"A session that is {session.get_status_display().lower()} cannot be cancelled."}
        )
    _release(session, status=SessionStatus.CANCELLED, by=by, reason=reason, now=now)
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def mark_did_not_attend(*, session, by, reason: str = "", now=None) -> InfusionSession:
    """The patient did not come. Allowed from the session's start time on."""
    now = now or timezone.now()
    session = _locked(session)
    if session.status != SessionStatus.BOOKED:
        raise ValidationError(
            {"status": "Only a booked session that nobody checked in can be marked as did not attend."}
        )
    if session.start > now:
        raise ValidationError(
            {"status": "A session can be marked as did not attend once its start time has passed."}
        )
    session.status = SessionStatus.DID_NOT_ATTEND
    session.cancelled_at = now
    session.cancelled_by = by
    session.cancel_reason = (reason or "").strip() or "Did not attend"
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def check_in(*, session, by, now=None) -> InfusionSession:
    """The patient has arrived: booked -> checked in, on the session's day only."""
    now = now or timezone.now()
    session = _locked(session)
    if session.status != SessionStatus.BOOKED:
        raise ValidationError(
            {"status": f"This session is {session.get_status_display().lower()}, not booked."}
        )
    tz = _tz()
    if session.start.astimezone(tz).date() != now.astimezone(tz).date():
        raise ValidationError({"status": "Patients are checked in on the day of their session."})
    session.status = SessionStatus.CHECKED_IN
    session.checked_in_at = now
    session.full_clean()
    session.save()
    return session


def _mark_rescheduled(*, session, by, reason, now):
    _release(session, status=SessionStatus.RESCHEDULED, by=by, reason=reason, now=now)
    session.save()


@transaction.atomic
def move_session(*, session, chair, start, by, reason: str, now=None) -> InfusionSession:
    """Rebook one session elsewhere or at another time; the old row becomes 'rescheduled' and links to the new.

    The other sessions of its course are not touched.
    """
    now = now or timezone.now()
    reason = _require_reason(reason)
    _check_start(start)
    session = _locked(session)
    if session.status != SessionStatus.BOOKED:
        raise ValidationError({"status": "Only a booked session can be moved."})
    _check_eligible(
        patient=session.patient,
        protocol_version=session.protocol_version,
        on_date=start.astimezone(_tz()).date(),
    )
    _lock(chairs=[chair, session.chair], patient=session.patient)
    referral = _referral_for(patient=session.patient, referral=session.referral)
    # Free the old row first (the exclusion constraints count only active rows): a move by half an
    # hour on the same chair must not collide with itself. Any failure below rolls this back.
    _mark_rescheduled(session=session, by=by, reason=reason, now=now)
    new = _new_session(
        patient=session.patient,
        protocol_version=session.protocol_version,
        chair=chair,
        start=start,
        booked_by=by,
        referral=referral,
        course=session.course,
        sequence=session.sequence,
        exclude_ids=[session.pk],
    )
    session.rescheduled_to = new
    session.save(update_fields=["rescheduled_to"])
    return new


def remaining_sessions(course) -> list[InfusionSession]:
    """The course's sessions still to come: booked and not yet started."""
    return list(
        course.sessions.filter(status=SessionStatus.BOOKED, start__gt=timezone.now())
        .select_related("chair__location", "patient", "protocol_version__protocol__family")
        .order_by("start")
    )


@transaction.atomic
def reschedule_rest_of_course(*, course, chair, start, by, reason: str, now=None) -> list[InfusionSession]:
    """Re-plan every remaining session of the course from a new first start, in one step, all or nothing."""
    now = now or timezone.now()
    reason = _require_reason(reason)
    _check_start(start)
    Course.objects.select_for_update().filter(pk=course.pk).values_list("pk").first()
    remaining = list(
        InfusionSession.objects.select_for_update()
        .filter(course=course, status=SessionStatus.BOOKED, start__gt=now)
        .select_related("chair__location", "patient", "protocol_version__protocol__family")
        .order_by("start")
    )
    if not remaining:
        raise ValidationError({"start": "This course has no booked sessions left to reschedule."})
    first = remaining[0]
    version = first.protocol_version
    referral = _referral_for(patient=first.patient, referral=first.referral or course.referral)
    starts = plan_course_starts(
        location=chair.location,
        first_start=start,
        sessions=len(remaining),
        interval_days=version.course_interval_days,
    )
    for old in remaining:  # released first, as in move_session; rolled back if the new plan fails
        _mark_rescheduled(session=old, by=by, reason=reason, now=now)
    new_sessions = _book_series(
        patient=first.patient,
        protocol_version=version,
        chair=chair,
        starts=starts,
        booked_by=by,
        referral=referral,
        course=course,
        first_sequence=first.sequence,
        exclude_ids=[s.pk for s in remaining],
    )
    for old, new in zip(remaining, new_sessions, strict=True):
        old.rescheduled_to = new
        old.save(update_fields=["rescheduled_to"])
    return new_sessions

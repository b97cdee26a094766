"""Reads for the scheduling pages. Each runs a fixed number of queries whatever the number of sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from infusion_clinic.dates import uk_time

from . import booking, hooks
from .models import (
    ACTIVE_STATUSES,
    Chair,
    Closure,
    InfusionSession,
    Location,
    NurseShift,
    OpeningHours,
    SessionStatus,
)
from .slots import Slot, _at, _tz, default_nurses, find_slots


@dataclass
class SlotSearch:
    """What the Book page shows for a search: what stops the booking, or the slots by day and time."""

    blockers: list[booking.Blocker]
    slots: list[Slot]
    prescribed: bool  # the patient has an active prescription for the protocol's family


def slot_search(*, patient, protocol_version, earliest, preference, chair=None, referral=None, count=10):
    """Check the booking first (the same rule Book applies); offer slots only when nothing stops it."""
    blockers = booking.check_booking(
        patient=patient,
        protocol_version=protocol_version,
        on_date=earliest,
        referral=referral,
        session_count=protocol_version.course_sessions,
    ).blockers
    slots = []
    if not blockers:
        slots = find_slots(
            protocol_version=protocol_version,
            earliest=earliest,
            preference=preference,
            chair=chair,
            patient=patient,
            count=count,
        )
    prescribed = patient.prescriptions.filter(family_id=protocol_version.protocol.family_id, is_active=True)
    return SlotSearch(blockers=blockers, slots=slots, prescribed=prescribed.exists())


def session_queryset():
    return InfusionSession.objects.select_related(
        "patient", "chair__location", "protocol_version__protocol__family", "course"
    )


def upcoming_sessions_for_patient(*, patient, limit: int = 20):
    """The patient's active sessions from today on, soonest first."""
    today_start = _at(timezone.localdate(), 0, _tz())
    return list(
        session_queryset()
        .filter(patient=patient, status__in=ACTIVE_STATUSES)
        .overlapping(today_start)
        .exclude(status__in=[SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF])
        .order_by("start")[:limit]
    )


def default_location() -> Location | None:
    return Location.objects.filter(is_active=True).order_by("name").first()


# --- the day board ---------------------------------------------------------------------------


@dataclass
class HourLoad:
    hour: int
    patients: int  # most patients in chairs at once during the hour
    nurses_needed: float  # the most nurse shares needed at once (patient / ratio)
    nurses_on_duty: int  # the fewest nurses on duty during the hour
    left: float = 0.0  # position on the timeline, percent
    width: float = 0.0

    @property
    def over(self) -> bool:
        return self.nurses_needed > self.nurses_on_duty + 1e-9

    @property
    def percent(self) -> int:
        if not self.nurses_on_duty:
            return 100 if self.nurses_needed else 0
        return min(100, round(100 * self.nurses_needed / self.nurses_on_duty))


@dataclass
class ChairRow:
    chair: Chair
    sessions: list = field(default_factory=list)


@dataclass
class DayBoard:
    location: Location
    day: date
    opens: int  # minute of day the timeline starts
    closes: int
    rows: list[ChairRow]
    hours: list[HourLoad]
    closure: Closure | None
    rota_set: bool
    session_count: int
    inactive: list = field(default_factory=list)  # cancelled / did not attend: their time is free again

    @property
    def span(self) -> int:
        return max(self.closes - self.opens, 60)

    @property
    def hour_count(self) -> int:
        return max(len(self.hours), 1)


def _minute(dt: datetime, day: date, tz) -> int:
    local = dt.astimezone(tz)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


def day_board(*, location: Location, day: date) -> DayBoard:
    """Chairs with their sessions for one day at a location, plus nurse load per hour against the rota."""
    tz = _tz()
    start, end = _at(day, 0, tz), _at(day + timedelta(days=1), 0, tz)
    sessions = (
        session_queryset()
        .filter(chair__location=location)
        .overlapping(start, end)
        .exclude(status=SessionStatus.RESCHEDULED)
        .order_by("start")
    )
    # Higher apps annotate the board's sessions (the session record: its latest NEWS2 for the badge),
    # as subqueries, so the board's query count stays constant (sessions/hooks.py).
    for annotate in hooks.board_sessions:
        sessions = annotate(sessions)
    chairs = list(
        Chair.objects.filter(location=location)
        .order_by("display_order", "name")
        .prefetch_related(Prefetch("sessions", queryset=sessions, to_attr="day_sessions"))
    )
    windows = [
        (o.hour * 60 + o.minute, c.hour * 60 + c.minute)
        for o, c in OpeningHours.objects.filter(location=location, weekday=day.weekday()).values_list(
            "opens", "closes"
        )
    ]
    shifts = list(
        NurseShift.objects.filter(location=location, date=day).values_list("starts", "ends", "nurses")
    )
    closure = Closure.objects.filter(location=location, starts_on__lte=day, ends_on__gte=day).first()

    active = []
    inactive = []
    rows = []
    for chair in chairs:
        chair_sessions = []
        for s in chair.day_sessions:
            s.board_start = max(_minute(s.start, day, tz), 0)
            s.board_end = _minute(s.end, day, tz)
            if s.status in ACTIVE_STATUSES:
                chair_sessions.append(s)
                active.append(s)
            else:
                inactive.append(s)
        if chair.is_active or chair_sessions:
            rows.append(ChairRow(chair=chair, sessions=chair_sessions))

    minutes = [m for w in windows for m in w] + [m for s in active for m in (s.board_start, s.board_end)]
    opens = min(minutes, default=8 * 60) // 60 * 60
    closes = max(minutes, default=18 * 60)
    closes = -(-closes // 60) * 60
    for row in rows:
        for s in row.sessions:
            s.board_left = 100 * (s.board_start - opens) / max(closes - opens, 60)
            s.board_width = 100 * (s.board_end - s.board_start) / max(closes - opens, 60)

    def nurses_at(minute):
        if shifts:
            return sum(
                n for st, en, n in shifts if st.hour * 60 + st.minute <= minute < en.hour * 60 + en.minute
            )
        return default_nurses() if any(o <= minute < c for o, c in windows) else 0

    hours = []
    for hour in range(opens // 60, closes // 60):
        # Load only changes at a session's start; sample each 5 minutes of the hour.
        patients = needed = 0.0
        on_duty = None
        for minute in range(hour * 60, hour * 60 + 60, 5):
            here = [s for s in active if s.board_start <= minute < s.board_end]
            patients = max(patients, len(here))
            needed = max(
                needed, sum(1 / max(s.protocol_version.protocol.family.nurse_ratio, 1) for s in here)
            )
            duty = nurses_at(minute)
            on_duty = duty if on_duty is None else min(on_duty, duty)
        hours.append(
            HourLoad(
                hour=hour,
                patients=int(patients),
                nurses_needed=round(needed, 2),
                nurses_on_duty=on_duty or 0,
                left=100 * (hour * 60 - opens) / max(closes - opens, 60),
                width=100 * 60 / max(closes - opens, 60),
            )
        )

    return DayBoard(
        location=location,
        day=day,
        opens=opens,
        closes=closes,
        rows=rows,
        hours=hours,
        closure=closure,
        rota_set=bool(shifts),
        session_count=len(active),
        inactive=sorted(inactive, key=lambda s: s.start),
    )


# --- the week view ---------------------------------------------------------------------------


@dataclass
class WeekDay:
    day: date
    sessions: list
    open: bool
    closure: Closure | None
    nurses: str


def week_view(*, location: Location, week_start: date) -> list[WeekDay]:
    tz = _tz()
    week_end = week_start + timedelta(days=7)
    sessions = list(
        session_queryset()
        .filter(chair__location=location, start__gte=_at(week_start, 0, tz), start__lt=_at(week_end, 0, tz))
        .exclude(status=SessionStatus.RESCHEDULED)
        .order_by("start", "chair__display_order")
    )
    weekdays_open = set(OpeningHours.objects.filter(location=location).values_list("weekday", flat=True))
    closures = list(
        Closure.objects.filter(location=location, starts_on__lt=week_end, ends_on__gte=week_start)
    )
    shifts = {}
    for d, starts, ends, n in (
        NurseShift.objects.filter(location=location, date__gte=week_start, date__lt=week_end)
        .order_by("date", "starts")
        .values_list("date", "starts", "ends", "nurses")
    ):
        shifts.setdefault(d, []).append(f"{n} nurse{'s' if n != 1 else ''} {uk_time(starts)}–{uk_time(ends)}")
    days = []
    for offset in range(7):
        d = week_start + timedelta(days=offset)
        closure = next((c for c in closures if c.starts_on <= d <= c.ends_on), None)
        is_open = d.weekday() in weekdays_open and closure is None
        nurses = (
            "Rota: " + ", ".join(shifts[d])
            if d in shifts
            else (f"{default_nurses()} nurses (default)" if is_open else "")
        )
        days.append(
            WeekDay(
                day=d,
                sessions=[s for s in sessions if s.start.astimezone(tz).date() == d],
                open=is_open,
                closure=closure,
                nurses=nurses,
            )
        )
    return days


def todays_sessions(*, statuses=None):
    """Today's sessions at every location (dashboard cards)."""
    tz = _tz()
    today = timezone.localdate()
    qs = session_queryset().filter(
        start__gte=_at(today, 0, tz), start__lt=_at(today + timedelta(days=1), 0, tz)
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("start", "chair__display_order")


def next_session_day(*, statuses=None):
    """The first day after today with a session (dashboard cards on a closed day), or None."""
    tz = _tz()
    qs = InfusionSession.objects.filter(start__gte=_at(timezone.localdate() + timedelta(days=1), 0, tz))
    if statuses:
        qs = qs.filter(status__in=statuses)
    first = qs.order_by("start").values_list("start", flat=True).first()
    return timezone.localtime(first, tz).date() if first else None

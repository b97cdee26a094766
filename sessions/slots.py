"""The slot finder: where and when can a session of this protocol version start?

Rules (the booking service checks a requested slot with the same code, `slot_problems`):

- A session holds its chair from start to start + setup + infusion + observation
  (`ProtocolVersion.chair_minutes`), entirely inside one opening-hours band of the chair's location
  on that weekday, on a day without a closure, on an active chair with no other active session.
- The patient is never in two sessions at once, at any location.
- Nurse ratio, as nurse workload: a patient on a protocol whose family allows R patients per nurse
  needs 1/R of a nurse. At every minute of the session the sum of these shares over all patients
  in chairs at the location (this one included) must not exceed the nurses on duty. With 2 nurses
  that is 6 lidocaine patients (ratio 3), or 4 ketamine patients (ratio 2), or 2 ketamine + 3
  lidocaine. This is the "strictest ratio" rule made exact for mixed rooms: a room of only one
  family gets exactly nurses x ratio patients.
- Nurses on duty come from the rota (NurseShift): the nurses of all shifts covering a minute add up.
  A day with no shift at a location is staffed by settings.DEFAULT_NURSES_ON_DUTY (default 2)
  throughout its opening hours; on a day with shifts, minutes no shift covers have no nurse.
- Starts lie on a 15-minute grid (from midnight, UK time). Morning means a start before 12:00,
  afternoon from 12:00. Today's starts must be in the future.
- Time is real time: a day is counted in elapsed minutes from its local midnight (1380 on the
  spring-forward Sunday, 1500 on the autumn one), so a session holds its chair for its real duration
  across a clock change (`session_end` adds the duration in UTC) and opening hours, shifts and
  bookings are placed where their wall-clock times really fall that day.
- A chair of a location that is not in use is never offered nor booked.
- Which slots: earliest day first. When a day has more starts than are asked for, load levelling
  chooses among them: the start that keeps the day's peak of concurrent patients lowest, then the
  lowest peak during the session itself, then the fewest other sessions starting at the same minute
  (staggered starts), then the earliest time. One chair is offered per start time: the preferred
  chair, else the chair whose previous session ends closest before the start (keeps chairs' free
  time in long blocks).
- Order: the slots chosen come back by day and time (a list out of time order reads as a mistake).
  The levelling is a hint, not the order: `Slot.quieter` marks the starts of a day that keep the
  fewest patients in chairs at once, when some of that day's starts would put more in.

Speed: bookings, hours, closures and shifts are each loaded with one query per block of days,
never per candidate; each day becomes per-minute arrays and a candidate is a few slice operations.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from operator import sub
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone

from infusion_clinic.dates import uk_datetime, uk_time, uk_weekday

from .models import Chair, Closure, InfusionSession, Location, NurseShift, OpeningHours

GRID_MINUTES = 15
NOON = 12 * 60
DAY_MINUTES = 25 * 60  # the longest local day (the autumn clock change): per-minute arrays fit any day
FIRST_BLOCK_DAYS = 7
BLOCK_DAYS = 56
DEFAULT_HORIZON_DAYS = 180


class Preference(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning (starts before 12:00)"
    AFTERNOON = "afternoon", "Afternoon (starts from 12:00)"


@dataclass(frozen=True)
class Slot:
    chair: Chair
    start: datetime
    end: datetime
    peak_patients: int  # patients in chairs at the busiest minute of this slot, this one included
    day_peak_patients: int  # the location's busiest minute that day, this one included
    quieter: bool = False  # among the day's starts that keep the fewest patients in chairs at once

    @property
    def location(self):
        return self.chair.location


def default_nurses() -> int:
    return getattr(settings, "DEFAULT_NURSES_ON_DUTY", 2)


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def session_end(start: datetime, protocol_version) -> datetime:
    """When a session starting at `start` frees its chair: its real duration later, across a clock change too.

    Python adds a timedelta to an aware datetime on the wall clock (same tzinfo), which is an hour
    wrong on the UK clock-change days; adding in UTC is the real duration."""
    return (start.astimezone(UTC) + protocol_version.chair_time).astimezone(start.tzinfo)


@functools.lru_cache(maxsize=4096)
def _midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _day_length(day: date, tz) -> int:
    """Real minutes in the local day: 1440, or 1380 / 1500 on the clock-change days."""
    return int((_midnight(day + timedelta(days=1), tz) - _midnight(day, tz)).total_seconds() // 60)


def _minute_of_day(dt: datetime, day: date, tz) -> int:
    """Real minutes since local midnight of `day`, clamped to the day."""
    minutes = int((dt - _midnight(day, tz)).total_seconds() // 60)
    return min(max(minutes, 0), _day_length(day, tz))


def _wall_minute(day: date, t: time, tz) -> int:
    """Where the wall-clock time `t` of `day` falls, in real minutes since local midnight."""
    return _minute_of_day(datetime.combine(day, t, tzinfo=tz), day, tz)


def _at(day: date, minute: int, tz) -> datetime:
    return (_midnight(day, tz) + timedelta(minutes=minute)).astimezone(tz)


def _ratio(value) -> int:
    return max(int(value or 1), 1)


@dataclass
class _Booking:
    chair_id: int
    location_id: int
    start: datetime
    end: datetime
    ratio: int


@dataclass
class _Data:
    """Everything the finder needs about a block of days, loaded in a fixed number of queries."""

    hours: dict = field(default_factory=dict)  # (location_id, weekday) -> [(opens, closes)] wall times
    closed: set = field(default_factory=set)  # (location_id, date)
    closure_reason: dict = field(default_factory=dict)  # (location_id, date) -> reason
    shifts: dict = field(
        default_factory=lambda: defaultdict(list)
    )  # (location_id, date) -> [(s, e, n)] times
    bookings: dict = field(default_factory=lambda: defaultdict(list))  # (location_id, date) -> [_Booking]
    patient_busy: dict = field(default_factory=lambda: defaultdict(list))  # date -> [(start, end)]


def _load(*, location_ids, first: date, last: date, patient=None, exclude_ids=(), tz) -> _Data:
    data = _Data()
    for row in (
        OpeningHours.objects.filter(location_id__in=location_ids)
        .order_by()
        .values_list("location_id", "weekday", "opens", "closes")
    ):
        loc, weekday, opens, closes = row
        data.hours.setdefault((loc, weekday), []).append((opens, closes))
    for loc, starts_on, ends_on, reason in (
        Closure.objects.filter(location_id__in=location_ids, starts_on__lte=last, ends_on__gte=first)
        .order_by()
        .values_list("location_id", "starts_on", "ends_on", "reason")
    ):
        d = max(starts_on, first)
        while d <= min(ends_on, last):
            data.closed.add((loc, d))
            data.closure_reason[(loc, d)] = reason
            d += timedelta(days=1)
    for loc, d, starts, ends, nurses in (
        NurseShift.objects.filter(location_id__in=location_ids, date__range=(first, last))
        .order_by()
        .values_list("location_id", "date", "starts", "ends", "nurses")
    ):
        data.shifts[(loc, d)].append((starts, ends, nurses))

    range_start = _at(first, 0, tz)
    range_end = _at(last + timedelta(days=1), 0, tz)
    sessions = (
        InfusionSession.objects.active()
        .filter(chair__location_id__in=location_ids)
        .overlapping(range_start, range_end)
        .exclude(pk__in=list(exclude_ids))
        .order_by()  # the model's ordering joins locations and sorts: not needed here
        .values_list(
            "chair_id",
            "chair__location_id",
            "start",
            "end",
            "protocol_version__protocol__family__nurse_ratio",
        )
    )
    for chair_id, loc, start, end, ratio in sessions:
        booking = _Booking(chair_id, loc, start, end, _ratio(ratio))
        d = start.astimezone(tz).date()
        while d <= end.astimezone(tz).date() and d <= last:
            if d >= first:
                data.bookings[(loc, d)].append(booking)
            d += timedelta(days=1)
    if patient is not None:
        for start, end in (
            InfusionSession.objects.active()
            .filter(patient=patient)
            .overlapping(range_start, range_end)
            .exclude(pk__in=list(exclude_ids))
            .order_by()
            .values_list("start", "end")
        ):
            d = start.astimezone(tz).date()
            while d <= end.astimezone(tz).date():
                data.patient_busy[d].append((start, end))
                d += timedelta(days=1)
    return data


class _Day:
    """One location on one date as per-minute arrays: nurse slack (in shares) and patients in chairs."""

    def __init__(self, *, data: _Data, location_id: int, day: date, ratio: int, tz):
        self.day = day
        self.windows = sorted(
            (_wall_minute(day, opens, tz), _wall_minute(day, closes, tz))
            for opens, closes in data.hours.get((location_id, day.weekday()), [])
        )
        self.closed = (location_id, day) in data.closed
        self.closure_reason = data.closure_reason.get((location_id, day), "")
        bookings = data.bookings.get((location_id, day), [])
        self.chair_busy = defaultdict(list)
        self.starts = Counter()
        self._minutes = []
        for b in bookings:
            s, e = _minute_of_day(b.start, day, tz), _minute_of_day(b.end, day, tz)
            if s >= e:
                continue
            self._minutes.append((s, e, b.ratio))
            self.chair_busy[b.chair_id].append((s, e))
            self.starts[s] += 1
        for busy in self.chair_busy.values():
            busy.sort()
        self._data, self._location_id, self._ratio, self._tz = data, location_id, ratio, tz
        self._arrays = False

    def _build_arrays(self):
        """Per-minute nurse slack and patients in chairs; built only when a chair is free somewhere."""
        data, location_id, day, ratio, tz = self._data, self._location_id, self.day, self._ratio, self._tz
        # Shares of a nurse in integer units: a patient of ratio R weighs unit // R.
        self.unit = math.lcm(ratio, *(r for _s, _e, r in self._minutes))
        self.weight = self.unit // ratio

        capacity = [0] * (DAY_MINUTES + 1)
        shifts = data.shifts.get((location_id, day))
        if shifts:
            for starts, ends, nurses in shifts:
                s, e = _wall_minute(day, starts, tz), _wall_minute(day, ends, tz)
                capacity[s] += nurses * self.unit
                capacity[e] -= nurses * self.unit
        else:
            for opens, closes in self.windows:
                capacity[opens] += default_nurses() * self.unit
                capacity[closes] -= default_nurses() * self.unit
        load = [0] * (DAY_MINUTES + 1)
        patients = [0] * (DAY_MINUTES + 1)
        for s, e, r in self._minutes:
            load[s] += self.unit // r
            load[e] -= self.unit // r
            patients[s] += 1
            patients[e] -= 1
        self.slack = list(map(sub, accumulate(capacity), accumulate(load)))
        self.patients = list(accumulate(patients))
        self.peak = max(self.patients)
        self._arrays = True

    def window_for(self, s: int, e: int):
        for opens, closes in self.windows:
            if opens <= s and e <= closes:
                return opens, closes
        return None

    def nurses_ok(self, s: int, e: int) -> bool:
        if not self._arrays:
            self._build_arrays()
        return min(self.slack[s:e]) >= self.weight

    def chair_free(self, chair_id: int, s: int, e: int) -> bool:
        return not any(bs < e and be > s for bs, be in self.chair_busy.get(chair_id, ()))

    def gap_before(self, chair_id: int, s: int, opens: int) -> int:
        ends = [be for _bs, be in self.chair_busy.get(chair_id, ()) if be <= s]
        return s - max(ends, default=opens)

    def peaks_with(self, s: int, e: int) -> tuple[int, int]:
        if not self._arrays:
            self._build_arrays()
        slot_peak = max(self.patients[s:e]) + 1
        return max(self.peak, slot_peak), slot_peak


def _patient_free(data: _Data, day: date, start: datetime, end: datetime) -> bool:
    return not any(bs < end and be > start for bs, be in data.patient_busy.get(day, ()))


def find_slots(
    *,
    protocol_version,
    earliest: date | datetime,
    preference: str = Preference.ANY,
    chair: Chair | None = None,
    location: Location | None = None,
    patient=None,
    count: int = 10,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    exclude_session_ids=(),
    now: datetime | None = None,
) -> list[Slot]:
    """The next `count` feasible slots from `earliest` by day and time; load levelling chooses within
    a day and marks its quieter starts (see the module docstring)."""
    tz = _tz()
    now = (now or timezone.now()).astimezone(tz)
    first = earliest.astimezone(tz).date() if isinstance(earliest, datetime) else earliest
    first = max(first, now.date())
    not_before = now
    if isinstance(earliest, datetime):
        not_before = max(now, earliest.astimezone(tz))
    duration = protocol_version.chair_minutes
    ratio = _ratio(protocol_version.protocol.family.nurse_ratio)

    chairs = Chair.objects.filter(is_active=True, location__is_active=True).select_related("location")
    if chair is not None:
        chairs = chairs.filter(pk=chair.pk)
    if location is not None:
        chairs = chairs.filter(location=location)
    chairs_by_location = defaultdict(list)
    for c in chairs:
        chairs_by_location[c.location_id].append(c)
    if not chairs_by_location:
        return []

    found: list[Slot] = []
    last_day = first + timedelta(days=horizon_days)
    block_start = first
    block_days = FIRST_BLOCK_DAYS  # most searches end within a week; a full diary loads in bigger blocks
    while block_start <= last_day and len(found) < count:
        block_end = min(block_start + timedelta(days=block_days - 1), last_day)
        block_days = min(block_days * 2, BLOCK_DAYS)
        data = _load(
            location_ids=list(chairs_by_location),
            first=block_start,
            last=block_end,
            patient=patient,
            exclude_ids=exclude_session_ids,
            tz=tz,
        )
        day = block_start
        while day <= block_end and len(found) < count:
            found.extend(
                _slots_on_day(
                    data=data,
                    day=day,
                    chairs_by_location=chairs_by_location,
                    duration=duration,
                    ratio=ratio,
                    preference=preference,
                    not_before=not_before,
                    preferred_chair=chair,
                    tz=tz,
                )
            )
            day += timedelta(days=1)
        block_start = block_end + timedelta(days=1)
    return sorted(
        found[:count], key=lambda slot: (slot.start, slot.chair.location_id, slot.chair.display_order)
    )


def _slots_on_day(
    *, data, day, chairs_by_location, duration, ratio, preference, not_before, preferred_chair, tz
):
    ranked = []
    for location_id, chairs in chairs_by_location.items():
        if (location_id, day) in data.closed or not data.hours.get((location_id, day.weekday())):
            continue
        plan = _Day(data=data, location_id=location_id, day=day, ratio=ratio, tz=tz)
        earliest_minute = 0
        if day == not_before.date():
            since_midnight = (not_before - _midnight(day, tz)).total_seconds()
            earliest_minute = math.ceil(since_midnight / 60)
        for opens, closes in plan.windows:
            s = max(opens, earliest_minute)
            s = -(-s // GRID_MINUTES) * GRID_MINUTES
            while s + duration <= closes:
                e = s + duration
                wanted = _wanted(_at(day, s, tz), preference)
                free = [c for c in chairs if plan.chair_free(c.pk, s, e)] if wanted else []
                if free and plan.nurses_ok(s, e):
                    start, end = _at(day, s, tz), _at(day, e, tz)
                    if _patient_free(data, day, start, end):
                        best = min(
                            free,
                            key=lambda c, s=s, o=opens: (plan.gap_before(c.pk, s, o), c.display_order, c.pk),
                        )
                        day_peak, slot_peak = plan.peaks_with(s, e)
                        key = (day_peak, slot_peak, plan.starts[s], s, location_id)
                        ranked.append((key, Slot(best, start, end, slot_peak, day_peak)))
                s += GRID_MINUTES
    ranked.sort(key=lambda pair: pair[0])
    loads = {key[:2] for key, _slot in ranked}
    if len(loads) < 2:  # every start loads the day alike: no hint to give
        return [slot for _key, slot in ranked]
    quietest = min(loads)
    return [replace(slot, quieter=key[:2] == quietest) for key, slot in ranked]


def _wanted(start: datetime, preference: str) -> bool:
    minute = start.hour * 60 + start.minute  # morning and afternoon are wall-clock times
    if preference == Preference.MORNING:
        return minute < NOON
    if preference == Preference.AFTERNOON:
        return minute >= NOON
    return True


def slot_problems(
    *, protocol_version, chair: Chair, start: datetime, patient=None, exclude_session_ids=(), now=None
) -> dict[str, str]:
    """Why this chair cannot take this session at this start, keyed by form field; {} when it can."""
    tz = _tz()
    now = now or timezone.now()
    start = start.astimezone(tz)
    end = session_end(start, protocol_version)
    day = start.date()
    if start < now:
        return {"start": f"{uk_datetime(start)} is in the past. Choose a future time."}
    if not chair.is_active:
        return {"chair": f"{chair} is not in use. Choose another chair."}
    location = chair.location
    if not location.is_active:
        return {"chair": f"{location} is not in use. Choose a chair at another location."}
    data = _load(
        location_ids=[location.pk],
        first=day,
        last=day,
        patient=patient,
        exclude_ids=exclude_session_ids,
        tz=tz,
    )
    if (location.pk, day) in data.closed:
        return {
            "start": f"{location} is closed on {uk_weekday(day)} ({data.closure_reason[(location.pk, day)]})."
        }
    plan = _Day(
        data=data,
        location_id=location.pk,
        day=day,
        ratio=_ratio(protocol_version.protocol.family.nurse_ratio),
        tz=tz,
    )
    if not plan.windows:
        return {"start": f"{location} is closed on {day:%A}s."}
    s = _minute_of_day(start, day, tz)
    e = s + protocol_version.chair_minutes
    if end.date() != day or plan.window_for(s, e) is None:
        hours = ", ".join(
            f"{uk_time(o)}-{uk_time(c)}" for o, c in sorted(data.hours.get((location.pk, day.weekday()), []))
        )
        return {
            "start": f"{uk_time(start)}-{uk_time(end)} is outside opening hours ({hours}); "
            f"a {protocol_version.chair_minutes}-minute session must fit inside them."
        }
    problems = {}
    if not plan.chair_free(chair.pk, s, e):
        problems["chair"] = f"{chair} is already booked between {uk_time(start)} and {uk_time(end)}."
    if patient is not None and not _patient_free(data, day, start, end):
        problems["patient"] = (
            f"{patient.full_name} already has a session between {uk_time(start)} and {uk_time(end)}."
        )
    if not problems and not plan.nurses_ok(s, e):
        problems["start"] = (
            f"Not enough nurses on duty between {uk_time(start)} and {uk_time(end)} for another "
            f"{protocol_version.protocol.family.name} patient (1 nurse per "
            f"{protocol_version.protocol.family.nurse_ratio} patients)."
        )
    return problems

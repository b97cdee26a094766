"""Demo clinic day: a busy day board for the clinic day, bookings later this week and next, and four
weeks of history for the reports and billing.

The clinic day is today when the clinic is open, otherwise the next open day. On it the board gets a morning
session completed and signed off, one in progress with observations charted, one checked in and the
rest booked - as far as the clock allows: a step whose time is still in the future is left undone,
so before the clinic opens (or on a weekend) every session stays booked. Seeded later in the day
than the plan (after about 14:30), the sessions that have started since are taken on towards
completion, so an evening board shows a finished day rather than stale "in progress" and "booked". Sessions that start in the
future are booked through the booking service; earlier ones are written the way record_demo.py
writes its past session, after the same slot checks (hours, chair, patient, nurse ratio) at their
start time. History (completed, did not attend, late cancellation) is written the same way.

Runs after record_demo.py (which charts only while no infusion record exists). Idempotent: each
block is guarded by an existence check on its marker patient.
"""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from infusion_clinic.dates import day_bounds, on_day, uk_format
from infusion_clinic.roles import NURSE, RECEPTION, SPECIALIST
from patients.models import Patient
from protocols.models import ProtocolVersion
from records import services
from records.models import InfusionRecord
from sessions.booking import book_course, book_session, cancel_session, check_in, mark_did_not_attend
from sessions.models import Chair, Closure, InfusionSession, Location, OpeningHours, SessionStatus
from sessions.slots import find_slots, slot_problems

SIGNED_OFF, COMPLETED, IN_PROGRESS, CHECKED_IN, BOOKED = (
    "signed_off",
    "completed",
    "in_progress",
    "checked_in",
    "booked",
)

# The clinic day's board, in minutes from the anchor (roughly "now"): patient, offset, chair, aim.
DAY_PLAN = [
    ("Rahman", -165, 0, SIGNED_OFF),  # the marker: the board is seeded once it has a session
    ("Ellis", -45, 1, IN_PROGRESS),
    ("MacLeod", -10, 2, CHECKED_IN),
    ("Okonkwo", 20, 3, BOOKED),
    ("Sharma", 60, 4, BOOKED),
    ("Byrne", 100, 5, BOOKED),
]
# History: patient, weekdays back from the clinic day, start time, chair, outcome.
HISTORY = [
    ("Whitfield", 18, time(9, 0), 1, SIGNED_OFF),
    ("Rahman", 19, time(11, 0), 2, SIGNED_OFF),
    ("Ellis", 12, time(9, 30), 3, "did_not_attend"),
    ("MacLeod", 20, time(13, 0), 4, SIGNED_OFF),  # self-pay, accepted referral: billing invoices it
    ("Okonkwo", 7, time(10, 0), 5, "late_cancellation"),
    ("Whitfield", 4, time(14, 0), 2, SIGNED_OFF),
]
# Later bookings: patient, open days after the clinic day (the slot finder picks the time). Each is
# on the clinic day's board, so the next infusion is about four weeks on, as the protocol repeats.
LATER = [("Rahman", 20), ("Ellis", 21), ("MacLeod", 22)]

VITALS = {  # systolic, diastolic, HR, RR, SpO2, temperature, pain
    "first": (126, 79, 76, 15, 98, "36.7", 6),
    "mid": (122, 77, 74, 14, 98, "36.8", 5),
    "late": (119, 75, 72, 14, 99, "36.7", 4),
}
# Observations every 15 minutes while the infusion runs (minutes after its start), then the stop.
OBSERVATIONS = [(5, "first"), (20, "mid"), (35, "mid"), (50, "late"), (65, "late")]
STOP_AFTER = 80


def _is_open(day, location=None):
    """The demo location has opening hours on this weekday and no closure covers the day."""
    location = location or Location.objects.filter(is_active=True).order_by("name").first()
    if location is None:
        return day.weekday() < 5
    if not OpeningHours.objects.filter(location=location, weekday=day.weekday()).exists():
        return False
    return not Closure.objects.filter(location=location, starts_on__lte=day, ends_on__gte=day).exists()


def _clinic_day(today, location=None):
    """Today when the clinic is open, otherwise the next open day."""
    day = today
    for _ in range(60):
        if _is_open(day, location):
            return day
        day += timedelta(days=1)
    return today


def _weekdays_from(day, count, location=None):
    """The open day `count` open days after (or, when negative, before) `day`."""
    step = 1 if count >= 0 else -1
    for _ in range(abs(count)):
        day += timedelta(days=step)
        while not _is_open(day, location):
            day += timedelta(days=step)
    return day


def _at(day, minutes):
    return timezone.make_aware(datetime.combine(day, time(0, 0))) + timedelta(minutes=minutes)


def _patient(last):
    return Patient.objects.filter(last_name=last, email__endswith="@example.org").first()


def _referral(patient):
    """The patient's referral that sessions belong to: accepted or in treatment, the latest first."""
    return (
        patient.referrals.filter(status__in=("accepted", "in_treatment"))
        .order_by("-received_on", "-id")
        .first()
    )


def _free(chair, patient, start, end):
    active = InfusionSession.objects.exclude(
        status__in=(SessionStatus.CANCELLED, SessionStatus.RESCHEDULED, SessionStatus.DID_NOT_ATTEND)
    ).overlapping(start, end)
    return not active.filter(chair=chair).exists() and not active.filter(patient=patient).exists()


def _write_session(*, patient, version, chair, start, booked_by, check_slot=True, course=None, sequence=1):
    """A session whose start may have passed, written directly (booking refuses a past start) after
    the slot checks."""
    if check_slot:
        if slot_problems(protocol_version=version, chair=chair, start=start, patient=patient, now=start):
            return None
    elif not _free(chair, patient, start, start + version.chair_time):
        return None
    referral = _referral(patient)
    session = InfusionSession(
        patient=patient,
        referral=referral,
        course=course,
        sequence=sequence,
        protocol_version=version,
        chair=chair,
        start=start,
        end=start + version.chair_time,
        booked_by=booked_by,
    )
    session.full_clean()
    session.save()
    return session


def settle_record_times(*, session, completed_at, signed_off_at=None):
    """The services stamp completion and sign-off with the real clock; a session the demo charts after
    the fact was completed just after its infusion stopped and signed off later that day."""
    now = timezone.now()
    InfusionRecord.objects.filter(session=session).update(completed_at=min(completed_at, now))
    if signed_off_at is not None:
        InfusionRecord.objects.filter(session=session).update(signed_off_at=min(signed_off_at, now))


def chart_vitals(*, session, by, observed_at, values):
    """Chart a demo patient's observations, alert and comfortable on air: `values` are systolic,
    diastolic, HR, RR, SpO2, temperature and pain."""
    sbp, dbp, hr, rr, spo2, temp, pain = values
    return services.record_vital_signs(
        session=session,
        by=by,
        observed_at=observed_at,
        systolic=sbp,
        diastolic=dbp,
        heart_rate=hr,
        respiratory_rate=rr,
        spo2=spo2,
        on_oxygen=False,
        temperature=temp,
        acvpu="A",
        sedation="1",
        pain=pain,
    )


def _chart(*, session, nurse, specialist, aim, checked_in_at, now):
    """Take the session as far towards its aim as the clock allows."""
    if checked_in_at > now:
        return
    check_in(session=session, by=nurse, now=checked_in_at)
    if aim == CHECKED_IN:
        return
    started = checked_in_at + timedelta(minutes=10)
    obs = [(started + timedelta(minutes=m), key) for m, key in OBSERVATIONS]
    obs = [(t, key) for t, key in obs if t <= now]
    # The bag runs to its end before the stop: a demo infusion is complete, never stopped early.
    stop = started + timedelta(minutes=max(STOP_AFTER, session.protocol_version.infusion_minutes))
    if started > now or not obs:
        return
    services.start_infusion(session=session, by=nurse, started_at=started)
    for observed_at, key in obs:
        chart_vitals(session=session, by=nurse, observed_at=observed_at, values=VITALS[key])
    if aim == IN_PROGRESS or stop > now:
        return
    services.stop_infusion(session=session, by=nurse, reason="Infusion complete", changed_at=stop)
    services.complete_session(session=session, by=nurse, note="Tolerated well; no adverse events.")
    if aim == COMPLETED:
        settle_record_times(session=session, completed_at=stop + timedelta(minutes=10))
        return
    services.sign_off_session(session=session, by=specialist, note="Reviewed; continue as planned.")
    settle_record_times(
        session=session, completed_at=stop + timedelta(minutes=10), signed_off_at=stop + timedelta(hours=2)
    )


def _book(*, patient, version, chair, start, booked_by, stdout):
    kwargs = {
        "patient": patient,
        "protocol_version": version,
        "chair": chair,
        "start": start,
        "booked_by": booked_by,
        "referral": _referral(patient),
    }
    try:
        with transaction.atomic():
            if version.course_sessions > 1:
                return book_course(**kwargs)
            return book_session(**kwargs)
    except ValidationError as exc:
        stdout.write(f"  demo booking for {patient.full_name} skipped: {exc.messages[0]}")
        return None


def seed(*, users, stdout):
    nurse, specialist = users.get(NURSE), users.get(SPECIALIST)
    reception = users.get(RECEPTION)
    location = Location.objects.filter(is_active=True).order_by("name").first()
    lidocaine = ProtocolVersion.objects.filter(is_current=True, protocol__slug="lidocaine").first()
    ketamine = ProtocolVersion.objects.filter(is_current=True, protocol__slug="ketamine").first()
    if None in (nurse, specialist, reception, location, lidocaine):
        return
    chairs = list(Chair.objects.filter(location=location, is_active=True).order_by("display_order"))
    if len(chairs) < 6:
        return
    now = timezone.now()
    today = timezone.localdate()
    day = _clinic_day(today, location)
    # History first: the first infusion stops the referral's RTT clock, so the earliest must start first.
    seed_history(day=day, chairs=chairs, version=lidocaine, users=users, stdout=stdout)
    seed_board(day=day, today=today, now=now, chairs=chairs, version=lidocaine, users=users, stdout=stdout)
    seed_later(day=day, version=lidocaine, ketamine=ketamine, booked_by=reception, stdout=stdout)


def seed_board(*, day, today, now, chairs, version, users, stdout):
    marker = _patient(DAY_PLAN[0][0])
    if marker is None or InfusionSession.objects.filter(patient=marker, **on_day("start", day)).exists():
        return
    nurse, specialist, reception = users[NURSE], users[SPECIALIST], users[RECEPTION]
    # The anchor is "now" on the clinic day, kept where the whole plan fits inside opening hours.
    if day == today:
        local = timezone.localtime(now)
        minutes = local.hour * 60 + local.minute // 15 * 15
    else:
        minutes = 0
    anchor = min(max(minutes, 10 * 60 + 45), 14 * 60 + 30)
    # Later in the day than the plan's snapshot: the sessions that have started since carried on, so
    # they are taken towards completion (as far as the clock allows) instead of standing still.
    later_than_plan = minutes > anchor
    made = 0
    for last, offset, chair_index, aim in DAY_PLAN:
        patient = _patient(last)
        if patient is None:
            continue
        start = _at(day, anchor + offset)
        session = None
        # The planned chair first; when demo/bookings.py took it, the next free one.
        for chair in chairs[chair_index:] + chairs[:chair_index]:
            if start > now:
                if slot_problems(protocol_version=version, chair=chair, start=start, patient=patient):
                    continue
                session = _book(
                    patient=patient,
                    version=version,
                    chair=chair,
                    start=start,
                    booked_by=reception,
                    stdout=stdout,
                )
            else:
                session = _write_session(
                    patient=patient, version=version, chair=chair, start=start, booked_by=reception
                )
            if session is not None:
                break
        if session is None:
            continue
        made += 1
        if later_than_plan and start <= now and aim != SIGNED_OFF:
            aim = COMPLETED
        if aim != BOOKED:
            checked_in_at = start - timedelta(minutes=5)
            _chart(
                session=session,
                nurse=nurse,
                specialist=specialist,
                aim=aim,
                checked_in_at=checked_in_at,
                now=now,
            )
    if made:
        stdout.write(f"  day board for {uk_format(day, 'weekday_day_month')}: {made} demo sessions")


def seed_history(*, day, chairs, version, users, stdout):
    first = _patient(HISTORY[0][0])
    if first is None:
        return
    earliest = _weekdays_from(day, -HISTORY[0][1])
    if InfusionSession.objects.filter(patient=first, **on_day("start", earliest)).exists():
        return
    nurse, specialist, reception = users[NURSE], users[SPECIALIST], users[RECEPTION]
    made = 0
    for last, back, start_time, chair_index, outcome in HISTORY:
        patient = _patient(last)
        if patient is None:
            continue
        on = _weekdays_from(day, -back)
        start = timezone.make_aware(datetime.combine(on, start_time))
        # Past weeks have no nurse rota, so only the chair and the patient are checked here.
        session = _write_session(
            patient=patient,
            version=version,
            chair=chairs[chair_index],
            start=start,
            booked_by=reception,
            check_slot=False,
        )
        if session is None:
            continue
        made += 1
        if outcome == "did_not_attend":
            mark_did_not_attend(session=session, by=reception, reason="No answer on the phone.")
        elif outcome == "late_cancellation":
            cancel_session(
                session=session,
                by=reception,
                reason="Patient unwell with a cold.",
                now=start - timedelta(hours=20),
            )
        else:
            _chart(
                session=session,
                nurse=nurse,
                specialist=specialist,
                aim=SIGNED_OFF,
                checked_in_at=start - timedelta(minutes=5),
                now=timezone.now(),
            )
    if made:
        stdout.write(f"  history: {made} demo sessions over the last four weeks")


def _book_first_slot(*, patient, version, earliest, booked_by, stdout):
    """Book the slot finder's first free slot from `earliest`; the booking, or None."""
    slots = find_slots(protocol_version=version, earliest=earliest, patient=patient, count=1)
    if not slots:
        return None
    return _book(
        patient=patient,
        version=version,
        chair=slots[0].chair,
        start=slots[0].start,
        booked_by=booked_by,
        stdout=stdout,
    )


def seed_later(*, day, version, ketamine, booked_by, stdout):
    marker = _patient(LATER[0][0])
    if marker is None or marker.infusion_sessions.filter(start__gte=day_bounds(day)[1]).exists():
        return
    booked = 0
    for last, ahead in LATER:
        patient = _patient(last)
        if patient is not None and _book_first_slot(
            patient=patient,
            version=version,
            earliest=_weekdays_from(day, ahead),
            booked_by=booked_by,
            stdout=stdout,
        ):
            booked += 1
    whitfield = _patient("Whitfield")
    # demo/bookings.py may already have booked his ketamine course
    if ketamine is not None and whitfield and not whitfield.courses.exists():
        monday = day + timedelta(days=7 - day.weekday())
        if _book_first_slot(
            patient=whitfield, version=ketamine, earliest=monday, booked_by=booked_by, stdout=stdout
        ):
            booked += 1
    if booked:
        stdout.write(f"  booked {booked} later demo session(s) or course(s)")

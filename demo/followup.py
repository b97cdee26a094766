"""Demo follow-up data: a finished lidocaine course with a pain diary and an outcome review due, and a
second patient's diary waiting for review. Idempotent; skipped when demo patients are missing."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from demo.day import _chart, _free, _referral, _weekdays_from, _write_session
from followup import outcomes
from followup.models import PainDiaryEntry
from infusion_clinic.roles import NURSE, RECEPTION, SPECIALIST
from patients.models import Patient
from protocols.models import ProtocolVersion
from sessions.models import Chair, Course, Location

# days before today, (pain now, average, worst), reviewed?
COURSE_DIARY = [
    (30, (7, 7, 9), True),
    (28, (8, 7, 9), True),
    (26, (7, 8, 9), True),
    (20, (6, 6, 8), True),
    (17, (5, 5, 7), True),
    (13, (4, 5, 6), False),
    (9, (4, 4, 6), False),
    (5, (3, 4, 5), False),
    (2, (3, 3, 5), False),
]


def _at(days_ago, hour):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _review_at(days_ago):
    """The specialist reviews an entry the next working day at 09:00."""
    day = timezone.localdate() - timedelta(days=days_ago - 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return min(timezone.make_aware(datetime.combine(day, time(9))), timezone.now())


def _entries(patient, rows, reviewer):
    for days_ago, (now, average, worst), reviewed in rows:
        PainDiaryEntry.objects.create(
            patient=patient,
            recorded_at=_at(days_ago, 19),
            pain_now=now,
            pain_average=average,
            pain_worst=worst,
            sleep="disturbed" if worst >= 7 else "good",
            activity="reduced" if worst >= 7 else "normal",
            reviewed_at=_review_at(days_ago) if reviewed else None,
            reviewed_by=reviewer if reviewed else None,
            review_comment="Reviewed in clinic." if reviewed else "",
        )


# The course's sessions: open days (no weekend, no closure) this many open days before today.
COURSE_DAYS_BACK = (17, 16, 15)


def _finished_course(patient, users):
    """A three-session lidocaine course a few weeks ago, booked on open days within opening hours and
    charted through the session record's services, so each session has its observations and sign-off
    and the first infusion stops the referral's RTT clock."""
    specialist = users[SPECIALIST]
    nurse = users.get(NURSE)
    version = ProtocolVersion.objects.filter(is_current=True, protocol__family__slug="lidocaine").first()
    location = Location.objects.filter(is_active=True).order_by("name").first()
    if version is None or location is None or nurse is None:
        return None
    course = Course.objects.create(
        patient=patient, referral=_referral(patient), protocol_version=version, created_by=specialist
    )
    today = timezone.localdate()
    chairs = Chair.objects.filter(location=location, is_active=True).order_by("-display_order")
    for number, back in enumerate(COURSE_DAYS_BACK, start=1):
        day = _weekdays_from(today, -back, location)
        start = timezone.make_aware(datetime.combine(day, time(9)))
        chair = next((c for c in chairs if _free(c, patient, start, start + version.chair_time)), None)
        if chair is None:
            continue
        with transaction.atomic():
            session = _write_session(
                patient=patient,
                version=version,
                chair=chair,
                start=start,
                booked_by=users.get(RECEPTION, specialist),
                check_slot=False,
                course=course,
                sequence=number,
            )
            _chart(
                session=session,
                nurse=nurse,
                specialist=specialist,
                aim="signed_off",
                checked_in_at=start - timedelta(minutes=5),
                now=timezone.now(),
            )
    return course


def seed(*, users, stdout):
    if PainDiaryEntry.objects.exists():
        return
    specialist = users[SPECIALIST]
    priya = Patient.objects.filter(first_name="Priya", last_name="Sharma").first()
    margaret = Patient.objects.filter(first_name="Margaret", last_name="Thornton").first()
    if priya is None or margaret is None:
        return
    course = _finished_course(priya, users)
    _entries(priya, COURSE_DIARY, specialist)
    _entries(margaret, [(3, (6, 6, 8), False), (1, (6, 7, 9), False)], specialist)
    if course is not None and course.sessions.exists():
        outcomes.schedule_outcome_reviews(course=course)
    stdout.write("Follow-up: pain diaries for 2 patients and outcome reviews for 1 finished course.")

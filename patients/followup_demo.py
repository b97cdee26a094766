"""Demo follow-up data: a finished lidocaine course with a pain diary and an outcome review due, and a
second patient's diary waiting for review. Idempotent; skipped when demo patients are missing."""

from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from infusion_clinic.roles import SPECIALIST

from . import outcomes
from .followup_models import PainDiaryEntry
from .models import Patient

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
            reviewed_at=_at(days_ago - 1, 9) if reviewed else None,
            reviewed_by=reviewer if reviewed else None,
            review_comment="Reviewed in clinic." if reviewed else "",
        )


def _finished_course(patient, specialist):
    from protocols.models import ProtocolVersion
    from sessions.models import Chair, Course, InfusionSession, SessionStatus

    version = ProtocolVersion.objects.filter(is_current=True, protocol__family__slug="lidocaine").first()
    if version is None:
        return None
    course = Course.objects.create(patient=patient, protocol_version=version, created_by=specialist)
    for number, days_ago in enumerate((24, 23, 22), start=1):
        start = _at(days_ago, 9)
        for chair in Chair.objects.filter(is_active=True).order_by("-display_order"):
            try:
                with transaction.atomic():  # a demo booking may hold the chair: try the next one
                    InfusionSession.objects.create(
                        patient=patient,
                        course=course,
                        sequence=number,
                        protocol_version=version,
                        chair=chair,
                        start=start,
                        end=start + version.chair_time,
                        status=SessionStatus.SIGNED_OFF,
                        booked_by=specialist,
                    )
                break
            except IntegrityError:
                continue
    return course


def seed(*, users, stdout):
    if PainDiaryEntry.objects.exists():
        return
    specialist = users[SPECIALIST]
    priya = Patient.objects.filter(first_name="Priya", last_name="Sharma").first()
    margaret = Patient.objects.filter(first_name="Margaret", last_name="Thornton").first()
    if priya is None or margaret is None:
        return
    course = _finished_course(priya, specialist)
    _entries(priya, COURSE_DIARY, specialist)
    _entries(margaret, [(3, (6, 6, 8), False), (1, (6, 7, 9), False)], specialist)
    if course is not None and course.sessions.exists():
        outcomes.schedule_outcome_reviews(course=course)
    stdout.write("Follow-up: pain diaries for 2 patients and outcome reviews for 1 finished course.")

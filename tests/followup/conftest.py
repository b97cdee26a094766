"""Fixtures for the follow-up tests: sessions at chosen times, courses, SMS outboxes."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from followup.messaging import LocmemSMSBackend
from sessions.models import Course, InfusionSession, SessionStatus
from tests import factories

_chair_numbers = itertools.count(1)


def make_session(
    *, patient=None, start=None, status=SessionStatus.BOOKED, course=None, chair=None, hours=1.75
):
    """A session row as booking would leave it (built directly: booking has its own tests)."""
    patient = patient or (course.patient if course else factories.PatientFactory())
    start = start or timezone.now() + timedelta(hours=30)
    chair = chair or factories.ChairFactory(name=f"Follow-up chair {next(_chair_numbers)}")
    version = course.protocol_version if course else factories.ProtocolVersionFactory()
    return InfusionSession.objects.create(
        patient=patient,
        course=course,
        protocol_version=version,
        chair=chair,
        start=start,
        end=start + timedelta(hours=hours),
        status=status,
        booked_by=factories.UserFactory(),
    )


def make_course(*, patient=None, starts=(), statuses=None):
    """A course with one session per start; statuses default to signed off."""
    patient = patient or factories.PatientFactory()
    course = Course.objects.create(
        patient=patient,
        protocol_version=factories.ProtocolVersionFactory(),
        created_by=factories.UserFactory(),
    )
    statuses = statuses or [SessionStatus.SIGNED_OFF] * len(starts)
    for number, (start, status) in enumerate(zip(starts, statuses, strict=True), start=1):
        session = make_session(course=course, start=start, status=status)
        session.sequence = number
        session.save(update_fields=["sequence"])
    return course


@pytest.fixture
def sms_outbox(settings):
    """SMS go to an in-memory outbox; quiet hours off unless a test turns them on."""
    settings.SMS_BACKEND = "followup.messaging.LocmemSMSBackend"
    settings.SMS_QUIET_HOURS = ""
    LocmemSMSBackend.outbox.clear()
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def session_factory(db):
    return make_session


@pytest.fixture
def course_factory(db):
    return make_course

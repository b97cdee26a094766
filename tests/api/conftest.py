import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from api import tokens
from patients.models import EligibilityAssessment, EligibilityDecision
from sessions import booking
from sessions.models import InfusionSession, SessionStatus

from .. import factories

LONDON = ZoneInfo("Europe/London")

VITALS = {
    "systolic": 120,
    "diastolic": 75,
    "heart_rate": 80,
    "respiratory_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "temperature": "36.8",
    "acvpu": "A",
    "sedation": "1",
    "pain": 4,
}


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def call(client, method, url, body=None, **headers):
    """A JSON request (headers as WSGI environ keys: HTTP_AUTHORIZATION=...); returns the response."""
    kwargs = {}
    if body is not None:
        kwargs = {
            "data": body if isinstance(body, str | bytes) else json.dumps(body),
            "content_type": "application/json",
        }
    return getattr(client, method.lower())(url, **kwargs, **headers)


def token_client(user, *, admin=None) -> Client:
    """A client without a session, sending a token issued to `user` by a clinic admin."""
    admin = admin or factories.admin_user(username=f"issuer-{user.username}")
    _, key = tokens.issue_token(user=user, name="Test integration", by=admin)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def session_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


class World:
    """A clinic on the pinned Wednesday morning: a patient with an accepted, eligible referral; a booked
    session tomorrow; a checked-in session today (charting open); a signed-off one (locked)."""

    def __init__(self):
        self.location = factories.LocationFactory()
        self.chairs = [
            factories.ChairFactory(location=self.location, name=f"Bay 1 Chair {i}", display_order=i)
            for i in range(1, 4)
        ]
        self.version = factories.ProtocolVersionFactory()
        self.family = self.version.protocol.family
        self.booker = factories.reception_user(username="world-reception")
        self.patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
        self.referral = factories.ReferralFactory(patient=self.patient, status="accepted")
        self.eligible(self.patient)
        factories.WeightRecordFactory(patient=self.patient)
        self.tomorrow = timezone.localdate() + timedelta(days=1)
        self.booked = booking.book_session(
            patient=self.patient,
            protocol_version=self.version,
            chair=self.chairs[0],
            start=at(self.tomorrow, 10),
            booked_by=self.booker,
        )
        self.today_patient = factories.PatientFactory(first_name="Charles", last_name="Babbage")
        now = timezone.now()
        self.checked_in = self._session(
            self.today_patient,
            self.chairs[1],
            now - timedelta(minutes=35),
            SessionStatus.CHECKED_IN,
            checked_in_at=now - timedelta(minutes=30),
        )
        self.signed_off = self._session(
            factories.PatientFactory(),
            self.chairs[2],
            now - timedelta(hours=3),
            SessionStatus.SIGNED_OFF,
            checked_in_at=now - timedelta(hours=3),
        )

    def eligible(self, patient):
        EligibilityAssessment.objects.create(
            patient=patient,
            protocol_family=self.family,
            assessed_on=timezone.localdate() - timedelta(days=1),
            assessed_by=factories.specialist_user(),
            decision=EligibilityDecision.ELIGIBLE,
            weight_kg=70,
        )

    def _session(self, patient, chair, start, status, **fields):
        return InfusionSession.objects.create(
            patient=patient,
            protocol_version=self.version,
            chair=chair,
            start=start,
            end=start + self.version.chair_time,
            status=status,
            booked_by=self.booker,
            **fields,
        )


@pytest.fixture
def world(db, clinic_morning):
    return World()


@pytest.fixture
def no_role_user(db):
    return factories.UserFactory(username="norole")

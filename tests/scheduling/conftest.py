from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from patients.models import EligibilityAssessment, EligibilityDecision

from .. import factories

LONDON = ZoneInfo("Europe/London")


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def make_eligible(patient, family, *, by=None):
    return EligibilityAssessment.objects.create(
        patient=patient,
        protocol_family=family,
        assessed_on=timezone.localdate() - timedelta(days=1),
        assessed_by=by or factories.specialist_user(),
        decision=EligibilityDecision.ELIGIBLE,
        weight_kg=70,
    )


@pytest.fixture
def location(db):
    return factories.LocationFactory()


@pytest.fixture
def chairs(location):
    return [
        factories.ChairFactory(location=location, name=f"Bay 1 Chair {i}", display_order=i)
        for i in range(1, 4)
    ]


@pytest.fixture
def chair(chairs):
    return chairs[0]


@pytest.fixture
def lidocaine(db):
    """Lidocaine: 15 + 60 + 30 = 105 minutes in the chair, ratio 3, a single session."""
    family = factories.ProtocolFamilyFactory(slug="lidocaine", name="Lidocaine", nurse_ratio=3)
    family.nurse_ratio = 3
    family.save()
    return factories.ProtocolVersionFactory(
        protocol=factories.ProtocolFactory(family=family, slug="lidocaine")
    )


@pytest.fixture
def ketamine(db):
    """Ketamine: 15 + 240 + 60 = 315 minutes, ratio 2, five consecutive days."""
    family = factories.ProtocolFamilyFactory(slug="ketamine", name="Ketamine", nurse_ratio=2)
    family.nurse_ratio = 2
    family.save()
    return factories.ProtocolVersionFactory(
        protocol=factories.ProtocolFactory(family=family, slug="ketamine", name="Ketamine"),
        name="Ketamine 0.3 mg/kg/h over 4 h",
        drug="Ketamine",
        infusion_minutes=240,
        observation_minutes=60,
        course_sessions=5,
        course_interval_days=1,
    )


def accepted_referral(patient, **fields):
    """Sessions are booked against an accepted referral (it carries the funding)."""
    return factories.ReferralFactory(patient=patient, **{"status": "accepted", **fields})


@pytest.fixture
def patient(lidocaine, ketamine):
    p = factories.PatientFactory()
    accepted_referral(p)
    make_eligible(p, lidocaine.protocol.family)
    make_eligible(p, ketamine.protocol.family)
    return p


@pytest.fixture
def booker(db):
    return factories.reception_user(username="booker")


@pytest.fixture
def monday():
    """A Monday at least a week ahead: far from 'now', and a whole week to work with."""
    d = timezone.localdate() + timedelta(days=7)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def eligible_patient(*versions):
    p = factories.PatientFactory()
    accepted_referral(p)
    for v in versions:
        make_eligible(p, v.protocol.family)
    return p

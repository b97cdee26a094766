"""Fixtures of the FHIR server and subject access tests: a small clinic with charted infusions, and a
validator that checks every resource (and every entry of every Bundle) with fhir.resources (R4B)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from records import services
from sessions.models import InfusionSession, SessionStatus
from tests import factories
from tests.record.conftest import NORMAL

NHS_NUMBER = "9434765919"
FHIR_JSON = "application/fhir+json"


@pytest.fixture(autouse=True)
def _pinned_clock(clinic_morning):
    """Charted times are "minutes ago": the pinned morning keeps them on one day, away from clock changes."""


def validate(data: dict) -> dict:
    """Validate a resource with its fhir.resources R4B model; a Bundle's entries each with theirs too.
    Returns the data, so that a test can validate and read in one line."""
    get_fhir_model_class(data["resourceType"]).model_validate(data)
    if data["resourceType"] == "Bundle":
        for entry in data.get("entry", []):
            get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return data


def fhir_get(client, url, **params):
    """GET as a FHIR client does; the answer's JSON validated when it is FHIR."""
    response = client.get(url, params, headers={"Accept": FHIR_JSON})
    if response["Content-Type"].startswith(FHIR_JSON):
        validate(response.json())
    return response


def make_session(*, patient, referral=None, start=None, status=SessionStatus.CHECKED_IN, version=None):
    now = timezone.now()
    version = version or factories.ProtocolVersionFactory()
    start = start or now - timedelta(minutes=95)
    return InfusionSession.objects.create(
        patient=patient,
        referral=referral,
        protocol_version=version,
        chair=factories.ChairFactory(),
        start=start,
        end=start + version.chair_time,
        status=status,
        booked_by=factories.UserFactory(),
        checked_in_at=None if status == SessionStatus.BOOKED else start + timedelta(minutes=5),
    )


def chart(session, by, *, minutes_ago, **overrides):
    return services.record_vital_signs(
        session=session,
        by=by,
        observed_at=timezone.now() - timedelta(minutes=minutes_ago),
        **{**NORMAL, **overrides},
    )


def infusion(patient, nurse, *, referral=None, charted=(50, 40, 30), stop=True):
    """A session for `patient` checked in 90 minutes ago, the infusion started an hour ago, observations
    charted `charted` minutes ago, and stopped early two minutes ago when `stop`."""
    factories.WeightRecordFactory(patient=patient, weight_kg="70.0")
    session = make_session(patient=patient, referral=referral)
    services.start_infusion(session=session, by=nurse, started_at=timezone.now() - timedelta(minutes=60))
    for minutes in charted:
        chart(session, nurse, minutes_ago=minutes)
    if stop:
        services.stop_infusion(
            session=session, by=nurse, reason="Dizziness", changed_at=timezone.now() - timedelta(minutes=2)
        )
    session.refresh_from_db()
    return session


class Clinic:
    """Ada (NHS number 943 476 5919) with a referral, a charted infusion and a booked session next week;
    Bob with a referral and a charted infusion of his own."""


@pytest.fixture
def clinic(db, nurse):
    world = Clinic()
    world.ada = factories.PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=date(1961, 3, 9), nhs_number=NHS_NUMBER
    )
    world.bob = factories.PatientFactory(
        first_name="Bob", last_name="Babbage", date_of_birth=date(1971, 12, 26)
    )
    world.ada_referral = factories.ReferralFactory(patient=world.ada, received_on=date(2026, 10, 1))
    world.bob_referral = factories.ReferralFactory(
        patient=world.bob, received_on=date(2026, 11, 2), status="declined"
    )
    world.ada_session = infusion(world.ada, nurse, referral=world.ada_referral)
    world.bob_session = infusion(world.bob, nurse, referral=world.bob_referral, charted=(45,))
    world.ada_next = make_session(
        patient=world.ada,
        referral=world.ada_referral,
        start=timezone.now() + timedelta(days=7),
        status=SessionStatus.BOOKED,
    )
    return world

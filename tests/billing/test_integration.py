"""The billing hooks wired into the other apps' services: booking (sessions.booking) and completion
(records.services)."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import Invoice, PreAuthorisationUse
from billing.services import create_price
from patients.models import EligibilityAssessment
from records import services as record_services
from sessions import booking
from sessions.models import InfusionSession

from .. import factories
from .conftest import version

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def _eligible(patient, pv):
    EligibilityAssessment.objects.create(
        patient=patient,
        protocol_family=pv.protocol.family,
        assessed_on=timezone.localdate() - timedelta(days=1),
        assessed_by=factories.specialist_user(),
        decision="eligible",
        weight_kg=70,
    )


def test_booking_an_insured_session_with_no_authorised_sessions_left_is_refused_and_nothing_saved():
    pv = version()
    preauth = factories.PreAuthorisationFactory(sessions_authorised=1)
    ref = preauth.referral
    _eligible(ref.patient, pv)
    chair = factories.ChairFactory()
    day = factories.next_weekday()
    booker = factories.reception_user()
    booking.book_session(
        patient=ref.patient,
        protocol_version=pv,
        chair=chair,
        referral=ref,
        booked_by=booker,
        start=datetime.combine(day, time(9), tzinfo=LONDON),
    )
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=ref.patient,
            protocol_version=pv,
            chair=chair,
            referral=ref,
            booked_by=booker,
            start=datetime.combine(day, time(13), tzinfo=LONDON),
        )
    assert "authorised no more sessions" in exc.value.message_dict["referral"][0]
    assert InfusionSession.objects.filter(referral=ref).count() == 1


def test_completing_a_private_session_through_the_session_record_drafts_an_invoice():
    pv = version()
    create_price(
        protocol_family=pv.protocol.family,
        funding_route="insured",
        effective_from=timezone.localdate() - timedelta(days=30),
        session_price=Decimal("510"),
        review_fee=Decimal("150"),
    )
    preauth = factories.PreAuthorisationFactory(sessions_authorised=2)
    ref = preauth.referral
    nurse = factories.nurse_user()
    factories.WeightRecordFactory(patient=ref.patient, weight_kg="70.0")
    now = timezone.now()
    start = now - timedelta(minutes=95)
    session = InfusionSession.objects.create(
        patient=ref.patient,
        referral=ref,
        protocol_version=pv,
        chair=factories.ChairFactory(),
        start=start,
        end=start + pv.chair_time,
        status="checked_in",
        booked_by=nurse,
        checked_in_at=now - timedelta(minutes=90),
    )
    record_services.start_infusion(session=session, by=nurse, started_at=now - timedelta(minutes=60))
    record_services.record_vital_signs(
        session=session,
        by=nurse,
        observed_at=now - timedelta(minutes=5),
        systolic=120,
        diastolic=75,
        heart_rate=80,
        respiratory_rate=16,
        spo2=97,
        on_oxygen=False,
        temperature="36.8",
        acvpu="A",
        sedation="1",
        pain=4,
    )
    record_services.stop_infusion(
        session=session,
        by=nurse,
        reason="Stopped at the end of the session",
        changed_at=now - timedelta(minutes=2),
    )
    record_services.complete_session(session=session, by=nurse)
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("510.00") and invoice.insurer == preauth.insurer
    assert PreAuthorisationUse.objects.get().session == session

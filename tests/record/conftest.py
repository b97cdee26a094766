from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from records import escalation, services
from records.models import AdverseEventAction, AdverseEventType, Severity
from sessions.models import InfusionSession, SessionStatus
from tests import factories

NORMAL = dict(
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


@pytest.fixture(autouse=True)
def _pinned_clock(clinic_morning):
    """Record times are entered as HH:MM "minutes ago": pin the day so none crosses midnight or a clock change."""


@pytest.fixture
def make_session(db):
    """A session today for a new patient on a new chair; checked in `checked_in_ago` before now."""

    def make(
        *,
        status=SessionStatus.CHECKED_IN,
        checked_in_ago=timedelta(minutes=90),
        patient=None,
        version=None,
        weight=True,
        referral=None,
    ):
        now = timezone.now()
        version = version or factories.ProtocolVersionFactory()
        patient = patient or factories.PatientFactory()
        if weight:
            factories.WeightRecordFactory(patient=patient, weight_kg="70.0")
        start = now - checked_in_ago - timedelta(minutes=5)
        return InfusionSession.objects.create(
            patient=patient,
            referral=referral,
            protocol_version=version,
            chair=factories.ChairFactory(),
            start=start,
            end=start + version.chair_time,
            status=status,
            booked_by=factories.UserFactory(),
            checked_in_at=None if status == SessionStatus.BOOKED else now - checked_in_ago,
        )

    return make


@pytest.fixture
def started_session(make_session, nurse):
    """A lidocaine session whose infusion started an hour ago."""
    session = make_session()
    services.start_infusion(session=session, by=nurse, started_at=timezone.now() - timedelta(minutes=60))
    session.refresh_from_db()
    return session


def chart(session, by, *, minutes_ago=1, **overrides):
    values = {**NORMAL, **overrides}
    return services.record_vital_signs(
        session=session, by=by, observed_at=timezone.now() - timedelta(minutes=minutes_ago), **values
    )


def escalate(session, by, vitals, *, action="doctor_review", minutes_after=1):
    """Record the escalation of an alerting observation, as the nurse does before completing."""
    return escalation.record_escalation(
        session=session,
        by=by,
        vital_signs=vitals,
        informed="Dr Priya Shah, pain specialist",
        informed_at=min(vitals.observed_at + timedelta(minutes=minutes_after), timezone.now()),
        action=action,
        outcome="Reviewed at the chair; continue with observations.",
    )


def finish(session, by):
    """Stop the infusion (with one observation charted), escalate any alert, and complete the session."""
    from records.escalation_rules import unescalated_alerts_for
    from records.models import VitalSigns

    if not VitalSigns.objects.filter(session=session).exists():
        chart(session, by, minutes_ago=5)
    for vitals in unescalated_alerts_for(session=session):
        escalate(session, by, vitals)
    services.stop_infusion(
        session=session,
        by=by,
        reason="Stopped at the end of the session",
        changed_at=timezone.now() - timedelta(minutes=2),
    )
    services.complete_session(session=session, by=by)
    session.refresh_from_db()
    return session


def chart_markers_at_one_minute(session, by, *, minutes_ago):
    """At one minute: a rate change to 142.5 mL/h and two mild adverse events, one described in free text
    with markup in it (and in both notes); returns that minute."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    services.change_rate(
        session=session, by=by, rate_ml_per_h=Decimal("142.5"), reason="Dizzy", changed_at=at
    )
    for event_type, other in (
        (AdverseEventType.DIZZINESS, ""),
        (AdverseEventType.OTHER, "<script>x()</script>"),
    ):
        services.record_adverse_event(
            session=session,
            by=by,
            occurred_at=at,
            event_type=event_type,
            other_text=other,
            severity=Severity.MILD,
            action_taken=AdverseEventAction.NONE,
            notes="<script>alert(1)</script>",
        )
    return at

"""Demo session record: the last open day's lidocaine infusion, charted, completed and
waiting for the specialist's sign-off, so that the chart, the NEWS2 alert and the sign-off queue have
something to show. Runs after the bookings' seed; does nothing once any infusion record exists."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from demo.day import _is_open, chart_vitals, settle_record_times
from infusion_clinic.roles import NURSE, RECEPTION
from patients.models import WeightRecord
from protocols.models import ProtocolVersion
from records import escalation, services
from records.models import InfusionRecord
from sessions.models import InfusionSession, Location, SessionStatus

# minutes after 09:00, then the values: systolic, diastolic, HR, RR, SpO2, temperature, pain
OBSERVATIONS = [
    (15, 128, 80, 74, 14, 98, "36.7", 7),
    (35, 124, 78, 78, 16, 97, "36.8", 6),
    (50, 104, 66, 104, 22, 95, "37.1", 5),  # dizzy: NEWS2 5, the rate is halved
    (65, 116, 72, 86, 18, 97, "36.9", 4),
    (80, 121, 76, 80, 16, 98, "36.8", 3),
    (100, 123, 77, 76, 15, 98, "36.7", 3),
]


def _last_weekday(today, location=None):
    """The last day before today that the clinic was open (not a weekend, not a closure)."""
    day = today - timedelta(days=1)
    for _ in range(60):
        if _is_open(day, location):
            break
        day -= timedelta(days=1)
    return day


def seed(*, users, stdout):
    nurse = users.get(NURSE)
    if nurse is None or InfusionRecord.objects.exists():
        return
    location = Location.objects.filter(is_active=True).order_by("name").first()
    version = ProtocolVersion.objects.filter(is_current=True, protocol__slug="lidocaine").first()
    weight = WeightRecord.objects.select_related("patient").order_by("-recorded_on", "id").first()
    chair = location.chairs.filter(is_active=True).order_by("display_order").first() if location else None
    if chair is None or version is None or weight is None:
        return
    day = _last_weekday(timezone.localdate(), location)

    def at(minutes):
        return timezone.make_aware(datetime.combine(day, time(9, 0))) + timedelta(minutes=minutes)

    if InfusionSession.objects.filter(chair=chair).overlapping(at(0), at(180)).exists():
        return
    referral = (
        weight.patient.referrals.filter(status__in=("accepted", "in_treatment"))
        .order_by("-received_on")
        .first()
    )
    session = InfusionSession.objects.create(
        patient=weight.patient,
        referral=referral,
        protocol_version=version,
        chair=chair,
        start=at(0),
        end=at(0) + version.chair_time,
        status=SessionStatus.CHECKED_IN,
        checked_in_at=at(5),
        booked_by=users.get(RECEPTION, nurse),
    )
    services.start_infusion(session=session, by=nurse, started_at=at(20))
    for minutes, *values in OBSERVATIONS:
        chart_vitals(session=session, by=nurse, observed_at=at(minutes), values=values)
        if minutes == 50:
            services.record_adverse_event(
                session=session,
                by=nurse,
                occurred_at=at(50),
                event_type="dizziness",
                severity="mild",
                action_taken="rate_reduced",
                notes="Settled within 10 minutes at the lower rate.",
            )
            services.change_rate(
                session=session, by=nurse, rate_ml_per_h=200, reason="Dizziness", changed_at=at(52)
            )
            escalation.record_escalation(
                session=session,
                by=nurse,
                vital_signs=session.vital_signs.order_by("-observed_at", "-id").first(),
                informed="Dr Priya Shah, pain specialist (on the unit)",
                informed_at=at(52),
                action="rate_reduced",
                outcome="Reviewed at the chair: rate halved to 125 mL/h; NEWS2 1 at 65 minutes.",
            )
    services.stop_infusion(session=session, by=nurse, reason="Infusion complete", changed_at=at(95))
    services.complete_session(session=session, by=nurse, note="Tolerated well; mild dizziness settled.")

    settle_record_times(session=session, completed_at=at(105))
    stdout.write(f"  charted a completed demo session for {session.patient.full_name} (awaiting sign-off)")

"""Demo bookings: a few sessions for patients a specialist has found eligible.

Runs after the patients' seed. Skips quietly when there are no eligible patients or no current
protocol versions; books only for patients without any session yet, so it is idempotent.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from demo.day import _clinic_day, _weekdays_from
from infusion_clinic.roles import RECEPTION
from patients.models import EligibilityAssessment, EligibilityDecision
from protocols.models import ProtocolVersion
from sessions.booking import book_course, book_session
from sessions.models import InfusionSession
from sessions.slots import find_slots

MAX_PATIENTS = 4
REPEAT_AFTER_OPEN_DAYS = 20  # about four weeks: the lidocaine protocol repeats every 28 days


def seed(*, users, stdout):
    booked_by = users.get(RECEPTION)
    if booked_by is None:
        return
    assessments = (
        EligibilityAssessment.objects.filter(decision=EligibilityDecision.ELIGIBLE)
        .select_related("patient", "protocol_family")
        .order_by("patient_id", "-assessed_on")
    )
    seen = set()
    booked = 0

    clinic_day = _clinic_day(timezone.localdate())
    after_clinic_day = _weekdays_from(clinic_day, 1)
    four_weeks_on = _weekdays_from(clinic_day, REPEAT_AFTER_OPEN_DAYS)
    for assessment in assessments:
        patient = assessment.patient
        if patient.pk in seen or booked >= MAX_PATIENTS:
            continue
        seen.add(patient.pk)
        if InfusionSession.objects.filter(patient=patient).exists():
            continue
        version = (
            ProtocolVersion.objects.filter(is_current=True, protocol__family=assessment.protocol_family)
            .select_related("protocol__family")
            .first()
        )
        if version is None:
            continue
        # A course starts after the clinic day (whose board demo/day.py plans for these same
        # patients); a single session is the repeat infusion, about four weeks on (protocol interval).
        earliest = after_clinic_day if version.course_sessions > 1 else four_weeks_on
        slots = find_slots(protocol_version=version, earliest=earliest, patient=patient, count=1 + booked * 3)
        if not slots:
            continue
        slot = slots[-1]
        # The session belongs to the referral the specialist accepted (it bills and stops the RTT clock).
        referral = (
            patient.referrals.filter(status__in=("accepted", "in_treatment")).order_by("-received_on").first()
        )
        kwargs = {
            "patient": patient,
            "protocol_version": version,
            "chair": slot.chair,
            "start": slot.start,
            "booked_by": booked_by,
            "referral": referral,
        }
        try:
            with transaction.atomic():
                if version.course_sessions > 1:
                    book_course(**kwargs)
                else:
                    book_session(**kwargs)
        except ValidationError as exc:
            stdout.write(f"  demo booking for {patient.full_name} skipped: {exc.messages[0]}")
            continue
        booked += 1
    if booked:
        stdout.write(f"  booked demo sessions for {booked} patient(s)")

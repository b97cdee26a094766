"""Demo bookings: a few sessions for patients a specialist has found eligible.

Runs after the patients' seed. Skips quietly when there are no eligible patients or no current
protocol versions; books only for patients without any session yet, so it is idempotent.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from infusion_clinic.roles import RECEPTION
from patients.models import EligibilityAssessment, EligibilityDecision
from protocols.models import ProtocolVersion

from .booking import book_course, book_session
from .models import InfusionSession
from .slots import find_slots

MAX_PATIENTS = 4


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
        # Stagger the demo patients over the coming days so the day board has something to show.
        slots = find_slots(
            protocol_version=version, earliest=timezone.localdate(), patient=patient, count=1 + booked * 3
        )
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

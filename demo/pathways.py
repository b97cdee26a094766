"""Demo pathways: make each demo patient's referral agree with their sessions. Runs last.

A demo patient with sessions has a referral the specialist accepted (moved there through the
patients app's services, so the timeline records each step), their sessions and courses belong to
that referral, and once an infusion has started the referral is in treatment with the RTT clock
stopped on the day of the first infusion. Completed private and insured sessions get the invoice the
billing hook makes. On a fresh demo database the earlier seeders already leave it so and this finds
nothing to do; it mends a demo database seeded by an older version. Idempotent.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import services as billing_services
from billing.models import InvoiceLine
from infusion_clinic.roles import NURSE, SPECIALIST
from patients import services
from patients.models import Patient, ReferralEvent, ReferralStatus
from records.models import InfusionRecord
from sessions.models import Course, InfusionSession, SessionStatus

S = ReferralStatus
# The steps from each waiting status to accepted, as the specialist takes them on the referral page.
TO_ACCEPTED = {
    S.RECEIVED: (services.triage_referral, services.request_assessment, services.accept_referral),
    S.TRIAGED: (services.request_assessment, services.accept_referral),
    S.AWAITING_ASSESSMENT: (services.accept_referral,),
}


def _first_infusion(patient):
    return InfusionRecord.objects.filter(session__patient=patient).order_by("started_at").first()


def seed(*, users, stdout):
    specialist, nurse = users[SPECIALIST], users.get(NURSE, users[SPECIALIST])
    mended = 0
    for patient in Patient.objects.filter(email__endswith="@example.org").order_by("pk"):
        if not patient.infusion_sessions.exists():
            continue
        try:
            with transaction.atomic():
                mended += _mend(patient=patient, specialist=specialist, nurse=nurse)
        except ValidationError as exc:
            stdout.write(
                f"  {patient.full_name}'s demo pathway left as it is ({exc.messages[0]}); "
                "a fresh demo database is coherent."
            )
    _backdate_bookings()
    invoiced = _bill_completed_sessions()
    if mended or invoiced:
        stdout.write(
            f"Patients: {mended} referral timeline(s) matched to their sessions, {invoiced} invoice(s) added."
        )


def _mend(*, patient, specialist, nurse) -> bool:
    referral = patient.referrals.order_by("-received_on", "-id").first()
    if referral is None or referral.status in (S.DECLINED, S.DISCHARGED):
        return False
    changed = False
    for step in TO_ACCEPTED.get(referral.status, ()):
        step(referral=referral, by=specialist, note="Eligible; sessions booked.")
        changed = True
    if patient.infusion_sessions.filter(referral__isnull=True).update(referral=referral):
        changed = True
    patient.courses.filter(referral__isnull=True).update(referral=referral)
    first = _first_infusion(patient)
    if first is None:
        return changed
    first_day = timezone.localdate(first.started_at)
    if referral.status == S.ACCEPTED:
        services.start_treatment(referral=referral, by=nurse, on_date=first_day)
        changed = True
    # The timeline shows the move to "in treatment" when the first infusion started.
    moved = ReferralEvent.objects.filter(referral=referral, to_status=S.IN_TREATMENT).exclude(
        at=first.started_at
    )
    if moved.update(at=first.started_at):
        referral.refresh_from_db()
        referral.status_changed_at = first.started_at
        referral.save(update_fields=["status_changed_at"])
        changed = True
    stopped_by_infusion = referral.rtt_stop_reason == services.CLOCK_STOPS[S.IN_TREATMENT]
    if stopped_by_infusion and referral.rtt_stopped_on != first_day:
        referral.rtt_stopped_on = first_day
        referral.save(update_fields=["rtt_stopped_on"])
        changed = True
    return changed


def _backdate_bookings() -> None:
    """Sessions the demo wrote after their time (history, the finished course) were booked a week
    before, and never before the referral was accepted; their course was created with the first."""
    from datetime import timedelta

    late = InfusionSession.objects.filter(
        patient__email__endswith="@example.org", booked_at__gt=F("start")
    ).select_related("referral")
    for session in late:
        booked_at = session.start - timedelta(days=7)
        accepted = session.referral and session.referral.events.filter(to_status=S.ACCEPTED).first()
        if accepted is not None and booked_at <= accepted.at:
            booked_at = min(accepted.at + timedelta(hours=1), session.start - timedelta(hours=1))
        InfusionSession.objects.filter(pk=session.pk).update(booked_at=booked_at)
    for course in Course.objects.filter(patient__email__endswith="@example.org"):
        first = course.sessions.order_by("booked_at").values_list("booked_at", flat=True).first()
        if first is not None and course.created_at > first:
            Course.objects.filter(pk=course.pk).update(created_at=first)


def _bill_completed_sessions() -> int:
    """Completed private and insured sessions get the invoice billing's completion hook makes."""
    billed = InvoiceLine.objects.filter(session__isnull=False).values("session_id")
    unbilled = (
        InfusionSession.objects.filter(
            status__in=(SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF),
            referral__funding_route__in=("self_pay", "insured"),
        )
        .exclude(pk__in=billed)
        .exclude(package_use__isnull=False)
        .select_related("referral", "patient", "protocol_version__protocol__family")
    )
    invoiced = 0
    for session in unbilled:
        if billing_services.session_completed(session=session) is not None:
            invoiced += 1
    return invoiced

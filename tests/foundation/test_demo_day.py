from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone


def _counts():
    from billing.models import Invoice, InvoiceLine, PreAuthorisation
    from patients.models import EligibilityAssessment, Patient, Referral, ReferralEvent, WeightRecord
    from records.models import InfusionRecord, VitalSigns
    from sessions.models import InfusionSession

    models = (
        Patient,
        Referral,
        WeightRecord,
        EligibilityAssessment,
        InfusionSession,
        InfusionRecord,
        VitalSigns,
        Invoice,
        InvoiceLine,
        PreAuthorisation,
        ReferralEvent,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_seed_demo_fills_the_clinic_day_board_and_is_idempotent(capsys):
    from demo.day import _clinic_day
    from sessions.models import InfusionSession, SessionStatus

    call_command("seed_demo")
    today = timezone.localdate()
    day = _clinic_day(today)
    on_board = InfusionSession.objects.filter(start__date=day)
    assert on_board.count() >= 5
    assert on_board.values("chair").distinct().count() >= 5
    now = timezone.localtime()
    if day == today and (10, 15) <= (now.hour, now.minute) < (15, 0):
        # the plan's in-progress session starts at 10:00 at the earliest; before its first
        # observation is due, charting it would need times in the future, so it stays booked.
        # From 15:00 the day has moved on past the plan: its infusions are completing.
        assert on_board.filter(status=SessionStatus.IN_PROGRESS).exists()
    if day == today and (now.hour, now.minute) >= (18, 0):
        # an evening board is a finished day: nothing still booked or in a chair
        assert not on_board.filter(
            status__in=(SessionStatus.BOOKED, SessionStatus.CHECKED_IN, SessionStatus.IN_PROGRESS)
        ).exists()
    assert 6 <= _counts()["Patient"] <= 10
    before = _counts()

    call_command("seed_demo")

    assert _counts() == before


def _demo_sessions():
    from sessions.models import InfusionSession

    return InfusionSession.objects.filter(patient__email__endswith="@example.org").select_related(
        "patient", "referral", "chair__location"
    )


@pytest.mark.django_db
def test_it_gives_every_demo_patient_with_sessions_an_accepted_referral_with_the_rtt_clock_right(capsys):
    from patients.models import OPEN_STATUSES, EligibilityAssessment, Patient, ReferralEvent, ReferralStatus
    from records.models import InfusionRecord

    call_command("seed_demo")

    with_sessions = Patient.objects.filter(infusion_sessions__isnull=False).distinct()
    assert with_sessions.count() >= 8
    for patient in with_sessions:
        referral = patient.referrals.get()
        assert referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_TREATMENT), patient
        sessions = patient.infusion_sessions.all()
        assert all(s.referral_id == referral.pk for s in sessions), patient
        assert all(c.referral_id == referral.pk for c in patient.courses.all()), patient
        first_session = min(timezone.localdate(s.start) for s in sessions)
        assert referral.received_on < first_session, patient
        accepted = referral.events.get(to_status=ReferralStatus.ACCEPTED)
        assert timezone.localdate(accepted.at) < first_session, patient
        first_infusion = (
            InfusionRecord.objects.filter(session__patient=patient).order_by("started_at").first()
        )
        if first_infusion is None:
            assert referral.status == ReferralStatus.ACCEPTED and referral.rtt_stopped_on is None
            continue
        assert referral.status == ReferralStatus.IN_TREATMENT, patient
        assert referral.rtt_stopped_on == timezone.localdate(first_infusion.started_at), patient
        assert referral.events.get(to_status=ReferralStatus.IN_TREATMENT).at == first_infusion.started_at
    # The waiting list and the triage queue still have patients who are waiting, without sessions.
    waiting = Patient.objects.filter(referrals__status__in=OPEN_STATUSES, infusion_sessions__isnull=True)
    assert waiting.filter(referrals__status=ReferralStatus.RECEIVED).exists()
    assert waiting.filter(referrals__status=ReferralStatus.AWAITING_ASSESSMENT).exists()
    assert not ReferralEvent.objects.filter(at__gt=timezone.now()).exists()
    # Letters are registered, referrals triaged and patients assessed on working days.
    for event in ReferralEvent.objects.all():
        assert timezone.localtime(event.at).weekday() < 5, (event.referral.patient, event.to_status)
    assert all(a.assessed_on.weekday() < 5 for a in EligibilityAssessment.objects.all())
    from followup.models import PainDiaryEntry

    reviewed = PainDiaryEntry.objects.filter(reviewed_at__isnull=False)
    assert reviewed.exists()
    assert all(timezone.localtime(e.reviewed_at).weekday() < 5 for e in reviewed)
    assert all(e.recorded_at < e.reviewed_at <= timezone.now() for e in reviewed)


@pytest.mark.django_db
def test_it_books_every_demo_session_inside_opening_hours_and_never_on_a_closure(capsys):
    from sessions.models import Closure, OpeningHours

    call_command("seed_demo")

    sessions = list(_demo_sessions())
    assert len(sessions) >= 20
    for session in sessions:
        start, end = timezone.localtime(session.start), timezone.localtime(session.end)
        hours = OpeningHours.objects.filter(location=session.chair.location, weekday=start.weekday()).first()
        assert hours is not None, f"{session.patient} on a closed weekday, {start:%a %d %b}"
        assert hours.opens <= start.time() and end.time() <= hours.closes and end.date() == start.date()
        assert not Closure.objects.filter(
            location=session.chair.location, starts_on__lte=start.date(), ends_on__gte=start.date()
        ).exists()
        # one session a patient a day
        same_day = [
            s
            for s in sessions
            if s.patient_id == session.patient_id
            and timezone.localdate(s.start) == start.date()
            and s.status not in ("cancelled", "rescheduled")
        ]
        assert len(same_day) <= 1 or session.status in ("cancelled", "rescheduled"), session.patient
        # booked before it started (the demo writes its history after the fact)
        assert session.booked_at < session.start, session.patient
        if session.course_id:
            assert session.course.created_at <= session.booked_at


@pytest.mark.django_db
def test_it_spaces_a_patients_repeat_infusions_as_the_protocol_repeats(capsys):
    call_command("seed_demo")

    given = (
        _demo_sessions()
        .filter(course__isnull=True)
        .exclude(status__in=("cancelled", "rescheduled", "dna"))
        .select_related("protocol_version__protocol")
        .order_by("start")
    )
    last = {}
    for session in given:
        key = (session.patient_id, session.protocol_version.protocol.family_id)
        if key in last:
            gap = (session.start - last[key]).days
            assert gap >= 14, f"{session.patient}: infusions {gap} days apart"
        last[key] = session.start


@pytest.mark.django_db
def test_it_charts_and_bills_every_completed_demo_session_and_books_insured_ones_with_a_preauthorisation(
    capsys,
):
    from billing.models import InvoiceLine, PreAuthorisation
    from records.models import InfusionRecord, VitalSigns
    from sessions.models import SessionStatus

    call_command("seed_demo")

    done = [s for s in _demo_sessions() if s.status in (SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)]
    assert len(done) >= 6
    private = 0
    for session in done:
        record = InfusionRecord.objects.get(session=session)
        assert record.stopped_at is not None and VitalSigns.objects.filter(session=session).exists()
        # completed when the infusion stopped, signed off later, never stamped with the seeding time
        assert record.stopped_at <= record.completed_at <= record.stopped_at + timedelta(hours=1)
        if session.status == SessionStatus.SIGNED_OFF:
            assert record.completed_at <= record.signed_off_at <= timezone.now()
            assert timezone.localdate(record.signed_off_at) == timezone.localdate(session.start)
        if session.referral.funding_route in ("self_pay", "insured"):
            private += 1
            assert InvoiceLine.objects.filter(session=session).exists(), session
    assert private >= 3
    insured = [s for s in _demo_sessions() if s.referral.funding_route == "insured"]
    assert insured and PreAuthorisation.objects.filter(referral=insured[0].referral).exists()
    # An in-progress infusion on the board shows observations, never a NEWS2 score from nothing.
    for session in _demo_sessions().filter(status=SessionStatus.IN_PROGRESS):
        assert VitalSigns.objects.filter(session=session).exists()

import pytest
from django.core.management import call_command
from django.utils import timezone


def _counts():
    from billing.models import Invoice
    from patients.models import EligibilityAssessment, Patient, Referral, WeightRecord
    from sessions.models import InfusionSession
    from sessions.record_models import InfusionRecord, VitalSigns

    models = (
        Patient,
        Referral,
        WeightRecord,
        EligibilityAssessment,
        InfusionSession,
        InfusionRecord,
        VitalSigns,
        Invoice,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_seed_demo_fills_the_clinic_day_board_and_is_idempotent(capsys):
    from sessions.demo_day import _clinic_day
    from sessions.models import InfusionSession, SessionStatus

    call_command("seed_demo")
    today = timezone.localdate()
    day = _clinic_day(today)
    on_board = InfusionSession.objects.filter(start__date=day)
    assert on_board.count() >= 5
    assert on_board.values("chair").distinct().count() >= 5
    now = timezone.localtime()
    if day == today and (now.hour, now.minute) >= (10, 15):
        # the plan's in-progress session starts at 10:00 at the earliest; before its first
        # observation is due, charting it would need times in the future, so it stays booked
        assert on_board.filter(status=SessionStatus.IN_PROGRESS).exists()
    assert 6 <= _counts()["Patient"] <= 10
    before = _counts()

    call_command("seed_demo")

    assert _counts() == before

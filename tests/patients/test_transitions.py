from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients import services
from patients.models import ReferralEvent, ReferralStatus

from .. import factories
from .conftest import referral_in

pytestmark = pytest.mark.django_db

S = ReferralStatus
LEGAL = {
    (S.RECEIVED, S.TRIAGED),
    (S.TRIAGED, S.AWAITING_ASSESSMENT),
    (S.TRIAGED, S.DECLINED),
    (S.AWAITING_ASSESSMENT, S.ACCEPTED),
    (S.AWAITING_ASSESSMENT, S.DECLINED),
    (S.ACCEPTED, S.IN_TREATMENT),
    (S.ACCEPTED, S.DECLINED),
    (S.IN_TREATMENT, S.DISCHARGED),
}
ALL_PAIRS = [(a.value, b.value) for a in S for b in S if a != b]


def move(referral, to_status, by):
    if to_status == S.IN_TREATMENT:
        return services.start_treatment(referral=referral, by=by, on_date=timezone.localdate())
    if to_status == S.DECLINED:
        return services.decline_referral(referral=referral, by=by, reason="Not suitable.")
    action = {
        S.TRIAGED: "triage",
        S.AWAITING_ASSESSMENT: "request_assessment",
        S.ACCEPTED: "accept",
        S.DISCHARGED: "discharge",
        S.RECEIVED: None,
    }[to_status]
    if action is None:  # nothing moves a referral back to received
        return services._move(referral=referral, to_status=S.RECEIVED, by=by)
    return services.apply_action(referral=referral, action=action, by=by, note="ok")


def test_the_transition_table_is_the_one_documented():
    table = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}
    assert table == LEGAL


@pytest.mark.parametrize("from_status,to_status", sorted(LEGAL))
def test_it_makes_each_legal_transition_and_records_who_and_when(from_status, to_status, specialist):
    referral = referral_in(from_status, by=specialist)
    before = referral.events.count()
    move(referral, to_status, specialist)
    referral.refresh_from_db()
    assert referral.status == to_status
    event = referral.events.order_by("-at", "-id").first()
    assert referral.events.count() == before + 1
    assert (event.from_status, event.to_status, event.by) == (from_status, to_status, specialist)
    assert event.at is not None


@pytest.mark.parametrize(
    "from_status,to_status",
    [pair for pair in ALL_PAIRS if pair not in {(a.value, b.value) for a, b in LEGAL}],
)
def test_it_refuses_each_illegal_transition_with_a_clear_message(from_status, to_status, specialist):
    referral = referral_in(from_status, by=specialist)
    events = referral.events.count()
    with pytest.raises(ValidationError) as error:
        move(referral, to_status, specialist)
    message = error.value.message_dict["status"][0]
    assert f"cannot be moved to {S(to_status).label.lower()}" in message
    referral.refresh_from_db()
    assert referral.status == from_status
    assert referral.events.count() == events


def test_a_decision_not_to_treat_stops_the_rtt_clock_and_needs_a_reason(specialist, today):
    referral = referral_in("triaged", by=specialist)
    with pytest.raises(ValidationError) as error:
        services.decline_referral(referral=referral, by=specialist, reason="  ")
    assert "reason" in error.value.message_dict["note"][0]
    services.decline_referral(referral=referral, by=specialist, reason="Pain is not neuropathic.")
    referral.refresh_from_db()
    assert referral.rtt_stopped_on == today
    assert referral.rtt_stop_reason == "decision not to treat"


def test_start_treatment_stops_the_clock_on_the_first_infusion_day_and_ignores_later_infusions(
    specialist, nurse
):
    referral = referral_in("accepted", by=specialist, received_on=timezone.localdate() - timedelta(days=60))
    first = timezone.localdate() - timedelta(days=2)
    services.start_treatment(referral=referral, by=nurse, on_date=first)
    services.start_treatment(referral=referral, by=nurse, on_date=timezone.localdate())
    referral.refresh_from_db()
    assert referral.status == S.IN_TREATMENT
    assert referral.rtt_stopped_on == first
    assert referral.rtt_stop_reason == "first infusion"
    assert referral.events.filter(to_status=S.IN_TREATMENT).count() == 1


def test_start_treatment_refuses_a_referral_that_was_not_accepted(specialist):
    referral = referral_in("awaiting_assessment", by=specialist)
    with pytest.raises(ValidationError) as error:
        services.start_treatment(referral=referral, by=specialist, on_date=timezone.localdate())
    assert "awaiting assessment cannot be moved to in treatment" in error.value.message_dict["status"][0]


def test_start_treatment_for_patient_finds_the_accepted_referral_or_does_nothing(specialist):
    referral = referral_in("accepted", by=specialist)
    assert (
        services.start_treatment_for_patient(
            patient=factories.PatientFactory(), by=specialist, on_date=timezone.localdate()
        )
        is None
    )
    services.start_treatment_for_patient(
        patient=referral.patient, by=specialist, on_date=timezone.localdate()
    )
    referral.refresh_from_db()
    assert referral.status == S.IN_TREATMENT


def test_a_new_referral_starts_its_timeline_at_received(referral, reception):
    event = ReferralEvent.objects.get(referral=referral)
    assert (event.from_status, event.to_status, event.by) == ("", S.RECEIVED, reception)


def test_a_closed_referral_says_a_new_referral_is_needed(specialist):
    referral = referral_in("declined", by=specialist)
    with pytest.raises(ValidationError) as error:
        services.triage_referral(referral=referral, by=specialist)
    assert "new referral" in error.value.message_dict["status"][0]


def test_the_patient_service_stores_an_nhs_number_typed_with_spaces_as_digits():
    patient = services.create_patient(
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=timezone.localdate() - timedelta(days=365 * 40),
        nhs_number="943 476 5919",
    )
    assert patient.nhs_number == "9434765919"
    with pytest.raises(ValidationError) as error:
        services.create_patient(
            first_name="Ada",
            last_name="Twin",
            date_of_birth=timezone.localdate() - timedelta(days=365 * 40),
            nhs_number="9434765919",
        )
    assert "already registered" in error.value.message_dict["nhs_number"][0]

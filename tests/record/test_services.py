"""The session record's services: what they accept, and bad input refused with nothing changed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import ReferralStatus
from records import services
from records.models import (
    AdverseEvent,
    Amendment,
    InfusionRecord,
    InfusionState,
    RateChange,
    RateChangeKind,
    VitalSigns,
)
from records.news2 import AlertLevel, Band
from sessions.models import SessionStatus
from tests import factories

from .conftest import NORMAL, chart, finish

pytestmark = pytest.mark.django_db


# --- starting the infusion ------------------------------------------------------------------


def test_it_starts_the_infusion_with_the_calculators_dose(make_session, nurse):
    session = make_session()
    record = services.start_infusion(session=session, by=nurse)
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_PROGRESS
    assert record.dose_mg == Decimal("350.0")  # 5 mg/kg x 70 kg
    assert record.volume_ml == Decimal("285.0")  # 35 mL of 10 mg/mL added to 250 mL
    assert record.drug_volume_ml == Decimal("35.0")
    assert record.rate_ml_per_h == Decimal("285.0")  # 285 mL over 60 min
    assert record.basis_dose == Decimal("5") and record.basis_unit == "mg/kg"
    assert record.weight_kg == Decimal("70.0")
    assert list(RateChange.objects.filter(session=session).values_list("kind", flat=True)) == [
        RateChangeKind.START
    ]


def test_it_refuses_a_dose_above_the_hard_limit_and_starts_nothing(make_session, nurse):
    session = make_session()
    with pytest.raises(ValidationError) as exc:
        services.start_infusion(session=session, by=nurse, override_dose=Decimal("8"))
    assert "dose" in exc.value.message_dict
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN
    assert not InfusionRecord.objects.exists() and not RateChange.objects.exists()


def test_it_needs_a_reason_for_a_dose_above_the_soft_limit(make_session, nurse):
    session = make_session()
    with pytest.raises(ValidationError) as exc:
        services.start_infusion(session=session, by=nurse, override_dose=Decimal("6"))
    assert "soft_limit_reason" in exc.value.message_dict
    assert not InfusionRecord.objects.exists()
    record = services.start_infusion(
        session=session, by=nurse, override_dose=Decimal("6"), soft_limit_reason="Partial response at 5 mg/kg"
    )
    assert record.dose_verdict == "soft"
    assert record.dose_reason == "Partial response at 5 mg/kg"
    assert record.dose_mg == Decimal("420.0")


def test_it_refuses_to_start_without_a_recorded_weight(make_session, nurse):
    session = make_session(weight=False)
    with pytest.raises(ValidationError) as exc:
        services.start_infusion(session=session, by=nurse)
    assert "weight" in " ".join(exc.value.messages).lower()
    assert not InfusionRecord.objects.exists()


def test_it_refuses_to_start_before_check_in_or_twice(make_session, nurse):
    booked = make_session(status=SessionStatus.BOOKED)
    with pytest.raises(ValidationError):
        services.start_infusion(session=booked, by=nurse)
    session = make_session()
    services.start_infusion(session=session, by=nurse)
    with pytest.raises(ValidationError):
        services.start_infusion(session=session, by=nurse)
    assert InfusionRecord.objects.count() == 1


def test_the_first_infusion_stops_the_referrals_rtt_clock(make_session, nurse):
    patient = factories.PatientFactory()
    referral = factories.ReferralFactory(patient=patient, status=ReferralStatus.ACCEPTED)
    session = make_session(patient=patient, referral=referral)
    services.start_infusion(session=session, by=nurse)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_TREATMENT


# --- vital signs and NEWS2 ------------------------------------------------------------------


def test_it_stores_news2_total_sub_scores_and_band_on_save(started_session, nurse):
    vitals = chart(
        started_session,
        nurse,
        respiratory_rate=22,
        spo2=95,
        on_oxygen=True,
        systolic=105,
        diastolic=70,
        heart_rate=95,
        temperature="38.5",
    )
    vitals.refresh_from_db()
    assert (
        vitals.news2_respiration,
        vitals.news2_spo2,
        vitals.news2_air_or_oxygen,
        vitals.news2_systolic,
        vitals.news2_pulse,
        vitals.news2_consciousness,
        vitals.news2_temperature,
    ) == (2, 1, 2, 1, 1, 0, 1)
    assert vitals.news2_total == 8
    assert vitals.news2_band == Band.HIGH
    assert vitals.alert_level == AlertLevel.URGENT


def test_it_uses_spo2_scale_2_when_the_patient_is_marked_for_it(make_session, nurse):
    patient = factories.PatientFactory(news2_spo2_scale2=True)
    session = make_session(patient=patient)
    on_air = services.record_vital_signs(
        session=session, by=nurse, observed_at=timezone.now(), **{**NORMAL, "spo2": 93}
    )
    assert on_air.spo2_scale2 is True
    assert (on_air.news2_spo2, on_air.news2_total) == (0, 0)
    on_o2 = services.record_vital_signs(
        session=session, by=nurse, observed_at=timezone.now(), **{**NORMAL, "spo2": 93, "on_oxygen": True}
    )
    assert (on_o2.news2_spo2, on_o2.news2_air_or_oxygen, on_o2.news2_total) == (1, 2, 3)


def test_poss_3_raises_an_urgent_alert_with_a_low_news2(started_session, nurse):
    vitals = chart(started_session, nurse, sedation="3")
    assert vitals.news2_total == 0
    assert vitals.alert_level == AlertLevel.URGENT


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic", 39),
        ("systolic", 301),
        ("diastolic", 19),
        ("heart_rate", 19),
        ("heart_rate", 251),
        ("respiratory_rate", 2),
        ("respiratory_rate", 71),
        ("spo2", 49),
        ("spo2", 101),
        ("temperature", "29.9"),
        ("temperature", "45.1"),
        ("pain", 11),
        ("acvpu", "X"),
        ("sedation", "5"),
    ],
)
def test_it_refuses_vitals_outside_physiological_ranges_and_saves_nothing(
    started_session, nurse, field, value
):
    with pytest.raises(ValidationError) as exc:
        chart(started_session, nurse, **{field: value})
    assert field in exc.value.message_dict
    assert not VitalSigns.objects.exists()


@pytest.mark.parametrize("diastolic", [120, 130])
def test_it_refuses_diastolic_at_or_above_systolic(started_session, nurse, diastolic):
    with pytest.raises(ValidationError) as exc:
        chart(started_session, nurse, systolic=120, diastolic=diastolic)
    assert exc.value.message_dict["diastolic"] == ["Diastolic must be below systolic."]
    assert not VitalSigns.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("spo2", 101, "vitals_spo2_in_range"),
        ("temperature", Decimal("45.5"), "vitals_temperature_in_range"),
        ("diastolic", 130, "vitals_diastolic_below_systolic"),
        ("acvpu", "X", "vitals_acvpu_valid"),
    ],
)
def test_the_database_refuses_bad_vitals_even_without_validation(
    started_session, nurse, field, value, constraint
):
    values = {**NORMAL, "temperature": Decimal("36.8"), field: value}
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        VitalSigns(session=started_session, observed_at=timezone.now(), recorded_by=nurse, **values).save()
    assert not VitalSigns.objects.exists()


def test_it_refuses_an_observation_before_check_in(started_session, nurse):
    with pytest.raises(ValidationError) as exc:
        chart(started_session, nurse, minutes_ago=120)
    assert "before check-in" in exc.value.message_dict["observed_at"][0]
    assert not VitalSigns.objects.exists()


def test_it_refuses_an_observation_in_the_future(started_session, nurse):
    with pytest.raises(ValidationError) as exc:
        chart(started_session, nurse, minutes_ago=-5)
    assert exc.value.message_dict["observed_at"] == ["This time is in the future."]
    assert not VitalSigns.objects.exists()


def test_it_refuses_charting_before_check_in(make_session, nurse):
    session = make_session(status=SessionStatus.BOOKED)
    with pytest.raises(ValidationError) as exc:
        chart(session, nurse)
    assert "Check the patient in" in exc.value.message_dict[NON_FIELD_ERRORS][0]
    assert not VitalSigns.objects.exists()


@pytest.mark.parametrize("signed_off", [False, True])
def test_it_refuses_every_write_on_a_locked_record_and_changes_nothing(
    started_session, nurse, specialist, signed_off
):
    session = finish(started_session, nurse)
    if signed_off:
        services.sign_off_session(session=session, by=specialist)
    before = (VitalSigns.objects.count(), RateChange.objects.count(), AdverseEvent.objects.count())
    now = timezone.now()
    writes = [
        lambda: chart(session, nurse),
        lambda: services.change_rate(session=session, by=nurse, rate_ml_per_h=100, reason="x"),
        lambda: services.pause_infusion(session=session, by=nurse, reason="x"),
        lambda: services.stop_infusion(session=session, by=nurse, reason="x"),
        lambda: services.record_adverse_event(
            session=session,
            by=nurse,
            occurred_at=now,
            event_type="nausea",
            severity="mild",
            action_taken="none",
        ),
        lambda: services.complete_session(session=session, by=nurse),
    ]
    for write in writes:
        with pytest.raises(ValidationError) as exc:
            write()
        assert "read-only" in " ".join(exc.value.messages)
    assert (VitalSigns.objects.count(), RateChange.objects.count(), AdverseEvent.objects.count()) == before


# --- rate changes, pauses, stop -----------------------------------------------------------


def test_rate_changes_pauses_and_stop_are_timestamped_and_attributed(started_session, nurse):
    now = timezone.now()
    services.change_rate(
        session=started_session,
        by=nurse,
        rate_ml_per_h=125,
        reason="Dizziness",
        changed_at=now - timedelta(minutes=40),
    )
    services.pause_infusion(
        session=started_session, by=nurse, reason="Perioral tingling", changed_at=now - timedelta(minutes=30)
    )
    record = InfusionRecord.objects.get(session=started_session)
    assert record.state == InfusionState.PAUSED
    services.resume_infusion(session=started_session, by=nurse, changed_at=now - timedelta(minutes=20))
    record.refresh_from_db()
    assert record.state == InfusionState.RUNNING and record.current_rate_ml_per_h == Decimal("125.0")
    services.stop_infusion(
        session=started_session,
        by=nurse,
        reason="Patient asked to stop",
        changed_at=now - timedelta(minutes=10),
    )
    record.refresh_from_db()
    assert record.state == InfusionState.STOPPED and record.stop_reason == "Patient asked to stop"
    changes = list(RateChange.objects.filter(session=started_session))
    assert [c.kind for c in changes] == ["start", "rate", "pause", "resume", "stop"]
    assert [c.rate_ml_per_h for c in changes] == [Decimal("285.0"), Decimal("125.0"), 0, Decimal("125.0"), 0]
    assert all(c.changed_by == nurse for c in changes)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate_ml_per_h": 100, "reason": "  "}, "reason"),
        ({"rate_ml_per_h": 0, "reason": "Slower"}, "rate_ml_per_h"),
        ({"rate_ml_per_h": 100, "reason": "Slower", "changed_at_offset": -5}, "changed_at"),
        ({"rate_ml_per_h": 100, "reason": "Slower", "changed_at_offset": 90}, "changed_at"),
    ],
)
def test_it_refuses_a_bad_rate_change_and_keeps_the_rate(started_session, nurse, kwargs, field):
    offset = kwargs.pop("changed_at_offset", 1)
    with pytest.raises(ValidationError) as exc:
        services.change_rate(
            session=started_session, by=nurse, changed_at=timezone.now() - timedelta(minutes=offset), **kwargs
        )
    assert field in exc.value.message_dict
    assert InfusionRecord.objects.get(session=started_session).current_rate_ml_per_h == Decimal("285.0")
    assert RateChange.objects.count() == 1


# --- adverse events ------------------------------------------------------------------------


def test_an_adverse_event_with_paused_as_action_pauses_the_infusion(started_session, nurse):
    event = services.record_adverse_event(
        session=started_session,
        by=nurse,
        occurred_at=timezone.now() - timedelta(minutes=5),
        event_type="perioral_tingling",
        severity="moderate",
        action_taken="paused",
    )
    assert event.recorded_by == nurse
    record = InfusionRecord.objects.get(session=started_session)
    assert record.state == InfusionState.PAUSED
    assert RateChange.objects.filter(kind="pause", reason="Adverse event: Perioral tingling").exists()


def test_an_other_adverse_event_needs_its_text(started_session, nurse):
    with pytest.raises(ValidationError) as exc:
        services.record_adverse_event(
            session=started_session,
            by=nurse,
            occurred_at=timezone.now(),
            event_type="other",
            severity="mild",
            action_taken="none",
        )
    assert "other_text" in exc.value.message_dict
    assert not AdverseEvent.objects.exists()


# --- completion, sign-off, amendments --------------------------------------------------------


def test_it_refuses_to_complete_while_the_infusion_runs(started_session, nurse):
    chart(started_session, nurse)
    with pytest.raises(ValidationError) as exc:
        services.complete_session(session=started_session, by=nurse)
    assert "Stop the infusion" in exc.value.messages[0]
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.IN_PROGRESS


def test_completion_and_sign_off_lock_the_record_and_say_who(started_session, nurse, specialist):
    session = finish(started_session, nurse)
    assert session.status == SessionStatus.COMPLETED
    with pytest.raises(ValidationError):
        services.sign_off_session(session=factories_session_booked(session), by=specialist)
    services.sign_off_session(session=session, by=specialist, note="Reviewed")
    session.refresh_from_db()
    record = InfusionRecord.objects.get(session=session)
    assert session.status == SessionStatus.SIGNED_OFF
    assert record.completed_by == nurse and record.signed_off_by == specialist
    with pytest.raises(ValidationError):
        services.sign_off_session(session=session, by=specialist)


def factories_session_booked(session):
    """Another session of the same patient that is not completed."""
    from sessions.models import InfusionSession

    start = session.start - timedelta(days=7)
    return InfusionSession.objects.create(
        patient=session.patient,
        protocol_version=session.protocol_version,
        chair=session.chair,
        start=start,
        end=start + timedelta(hours=2),
        booked_by=session.booked_by,
    )


def test_an_amendment_changes_the_value_recomputes_news2_and_keeps_the_original_in_history(
    started_session, nurse, specialist
):
    vitals = chart(started_session, nurse, systolic=89, diastolic=60)
    assert vitals.news2_total == 3
    session = finish(started_session, nurse)
    services.sign_off_session(session=session, by=specialist)
    amendment = services.amend_vital_signs(
        vital_signs=vitals,
        by=specialist,
        field="systolic",
        value="98",
        reason="Transcription error: monitor read 98",
    )
    vitals.refresh_from_db()
    assert vitals.systolic == 98 and vitals.news2_systolic == 2 and vitals.news2_total == 2
    assert (amendment.old_value, amendment.new_value, amendment.amended_by) == ("89", "98", specialist)
    versions = list(vitals.history.order_by("history_id"))
    assert [v.systolic for v in versions] == [89, 98]
    assert versions[-1].history_user == specialist
    assert versions[-1].history_change_reason == "Amendment: Transcription error: monitor read 98"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"field": "systolic", "value": "98", "reason": "   "}, "reason"),
        ({"field": "systolic", "value": "301", "reason": "Typo"}, "value"),
        ({"field": "diastolic", "value": "95", "reason": "Typo"}, "value"),
        ({"field": "systolic", "value": "89", "reason": "Typo"}, "value"),
        ({"field": "news2_total", "value": "0", "reason": "Typo"}, "field"),
    ],
)
def test_it_refuses_a_bad_amendment_and_changes_nothing(started_session, nurse, specialist, kwargs, field):
    vitals = chart(started_session, nurse, systolic=89, diastolic=60)
    finish(started_session, nurse)
    with pytest.raises(ValidationError) as exc:
        services.amend_vital_signs(vital_signs=vitals, by=specialist, **kwargs)
    assert field in exc.value.message_dict
    vitals.refresh_from_db()
    assert (vitals.systolic, vitals.diastolic, vitals.news2_total) == (89, 60, 3)
    assert vitals.history.count() == 1
    assert not Amendment.objects.exists()


def test_it_refuses_to_amend_an_open_record(started_session, nurse, specialist):
    vitals = chart(started_session, nurse)
    with pytest.raises(ValidationError):
        services.amend_vital_signs(vital_signs=vitals, by=specialist, field="pain", value="5", reason="Typo")
    vitals.refresh_from_db()
    assert vitals.pain == 4


def _event(session, by):
    return services.record_adverse_event(
        session=session,
        by=by,
        occurred_at=timezone.now() - timedelta(minutes=5),
        event_type="nausea",
        severity="mild",
        action_taken="none",
    )


def test_an_adverse_event_is_amended_with_its_history(started_session, nurse, specialist):
    event = _event(started_session, nurse)
    finish(started_session, nurse)
    amendment = services.amend_adverse_event(
        adverse_event=event, by=specialist, field="severity", value="moderate", reason="Antiemetic was needed"
    )
    event.refresh_from_db()
    assert event.severity == "moderate"
    assert (amendment.old_value, amendment.new_value, amendment.adverse_event) == ("Mild", "Moderate", event)
    assert [h.severity for h in event.history.order_by("history_id")] == ["mild", "moderate"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"field": "severity", "value": "catastrophic", "reason": "Typo"}, "value"),
        ({"field": "severity", "value": "moderate", "reason": ""}, "reason"),
        (
            {"field": "event_type", "value": "other", "reason": "Was something else"},
            "value",
        ),  # other needs text
        ({"field": "recorded_by", "value": "1", "reason": "Typo"}, "field"),
    ],
)
def test_it_refuses_a_bad_adverse_event_amendment_and_changes_nothing(
    started_session, nurse, specialist, kwargs, field
):
    event = _event(started_session, nurse)
    finish(started_session, nurse)
    with pytest.raises(ValidationError) as exc:
        services.amend_adverse_event(adverse_event=event, by=specialist, **kwargs)
    assert field in exc.value.message_dict
    event.refresh_from_db()
    assert (event.event_type, event.severity) == ("nausea", "mild")
    assert not Amendment.objects.exists()


def test_the_database_refuses_an_amendment_without_a_reason_or_a_target(started_session, nurse, specialist):
    vitals = chart(started_session, nurse)
    with pytest.raises(IntegrityError, match="amendment_reason_required"), transaction.atomic():
        Amendment.objects.create(
            session=started_session,
            vital_signs=vitals,
            field_name="pain",
            field_label="pain",
            old_value="4",
            new_value="5",
            reason="",
            amended_by=specialist,
        )
    with pytest.raises(IntegrityError, match="amendment_one_target"), transaction.atomic():
        Amendment.objects.create(
            session=started_session,
            field_name="pain",
            field_label="pain",
            old_value="4",
            new_value="5",
            reason="x",
            amended_by=specialist,
        )

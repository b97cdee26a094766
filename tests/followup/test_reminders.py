"""Reminders through the batch, in-process (eager tasks), against PostgreSQL."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus, ReminderTemplate
from followup.reminders import run_due_reminders
from followup.tasks import deliver_reminder, dispatch_delivery, send_due_reminders
from sessions.models import SessionStatus
from tests import factories

pytestmark = pytest.mark.django_db


def run(now=None):
    return run_due_reminders(now=now or timezone.now(), retry=dispatch_delivery)


def test_it_sends_one_email_and_one_sms_when_a_session_is_within_48_hours(session_factory, sms_outbox):
    session = session_factory(start=timezone.now() + timedelta(hours=30))
    result = run()
    assert len(result.claimed) == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [session.patient.email]
    assert len(sms_outbox) == 1 and sms_outbox[0].to.startswith("+447700900")
    logs = {log.channel: log for log in ReminderLog.objects.all()}
    assert {(log.kind, log.status) for log in logs.values()} == {("48h", "sent")}
    assert all(log.sent_at and log.attempts == 1 for log in logs.values())
    local = timezone.localtime(session.start)
    assert f"{local:%H:%M}" in sms_outbox[0].body and session.patient.first_name in mail.outbox[0].body


def test_running_the_batch_again_sends_nothing_twice(session_factory, sms_outbox):
    session_factory(start=timezone.now() + timedelta(hours=30))
    run()
    again = run()
    send_due_reminders()  # the task itself, as beat runs it
    assert again.claimed == []
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert ReminderLog.objects.count() == 2


def test_the_24h_reminder_follows_the_48h_one(session_factory, sms_outbox):
    session = session_factory(start=timezone.now() + timedelta(hours=47))
    run()
    run(now=session.start - timedelta(hours=23))
    assert sorted(ReminderLog.objects.values_list("kind", "channel")) == [
        ("24h", "email"),
        ("24h", "sms"),
        ("48h", "email"),
        ("48h", "sms"),
    ]
    assert len(mail.outbox) == 2 and len(sms_outbox) == 2


def test_it_sends_nothing_for_sessions_beyond_48_hours_or_not_booked(session_factory, sms_outbox):
    session_factory(start=timezone.now() + timedelta(hours=49))
    session_factory(start=timezone.now() + timedelta(hours=20), status=SessionStatus.CANCELLED)
    session_factory(start=timezone.now() + timedelta(hours=20), status=SessionStatus.RESCHEDULED)
    assert run().claimed == []
    assert not mail.outbox and not sms_outbox


def test_a_patient_without_consent_gets_no_reminder(session_factory, sms_outbox):
    no_sms = factories.PatientFactory(consent_sms=False)
    nothing = factories.PatientFactory(consent_sms=False, consent_email=False)
    session_factory(patient=no_sms, start=timezone.now() + timedelta(hours=10))
    session_factory(patient=nothing, start=timezone.now() + timedelta(hours=12))
    run()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [no_sms.email]
    assert sms_outbox == []
    assert list(ReminderLog.objects.values_list("channel", flat=True)) == ["email"]


def test_consent_withdrawn_after_the_claim_stops_the_message(session_factory, sms_outbox):
    session = session_factory(start=timezone.now() + timedelta(hours=10))
    patient = session.patient
    results = []
    # Withdraw consent between claiming and delivering: dispatch later, by hand.
    result = run_due_reminders(now=timezone.now(), retry=dispatch_delivery, dispatch=results.append)
    patient.consent_email = patient.consent_sms = False
    patient.save()
    for log_id in result.claimed:
        dispatch_delivery(log_id)
    assert not mail.outbox and not sms_outbox
    assert set(ReminderLog.objects.values_list("status", flat=True)) == {ReminderStatus.SKIPPED}


def test_missing_mail_configuration_records_a_failure_never_a_sent(session_factory, sms_outbox, settings):
    settings.EMAIL_CONFIGURED = False
    settings.SMS_BACKEND = "followup.messaging.NotConfiguredSMSBackend"
    session_factory(start=timezone.now() + timedelta(hours=10))
    run()
    logs = list(ReminderLog.objects.all())
    assert {log.status for log in logs} == {ReminderStatus.FAILED}
    assert all(log.sent_at is None for log in logs)
    errors = {log.channel: log.last_error for log in logs}
    assert "Email is not configured" in errors["email"] and "SMS is not configured" in errors["sms"]
    assert not mail.outbox
    # Not configured is permanent: one attempt, no retries hammering a missing server.
    assert {log.attempts for log in logs} == {1}


def test_a_failing_provider_is_retried_with_backoff_then_marked_failed(session_factory, sms_outbox, settings):
    settings.SMS_BACKEND = "followup.messaging.FailingSMSBackend"
    settings.REMINDER_MAX_RETRIES = 5
    patient = factories.PatientFactory(consent_email=False)
    session_factory(patient=patient, start=timezone.now() + timedelta(hours=10))
    run()
    log = ReminderLog.objects.get()
    assert log.status == ReminderStatus.FAILED and log.sent_at is None
    assert log.attempts == 6  # the first try and 5 retries
    assert "refused" in log.last_error


@pytest.fixture
def eager_retries():
    """Let Celery's own autoretry run in-process (eager mode otherwise re-raises the first Retry)."""
    from infusion_clinic.celery import app

    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


def test_celery_autoretry_runs_the_task_again_until_it_gives_up(
    session_factory, sms_outbox, settings, eager_retries
):
    settings.SMS_BACKEND = "followup.messaging.FailingSMSBackend"
    settings.REMINDER_MAX_RETRIES = deliver_reminder.max_retries
    patient = factories.PatientFactory(consent_email=False)
    session = session_factory(patient=patient, start=timezone.now() + timedelta(hours=10))
    log = ReminderLog.objects.create(session=session, kind="24h", channel="sms", claimed_at=timezone.now())
    result = deliver_reminder.apply(args=[log.pk])
    log.refresh_from_db()
    assert result.get() == ReminderStatus.FAILED
    assert log.status == ReminderStatus.FAILED and log.attempts == deliver_reminder.max_retries + 1


def test_the_delivery_task_retries_with_backoff_and_acks_late():
    assert deliver_reminder.acks_late is True
    assert deliver_reminder.retry_backoff and deliver_reminder.max_retries == 5
    from followup.messaging import DeliveryError

    assert DeliveryError in deliver_reminder.autoretry_for


def test_sms_waits_for_the_end_of_quiet_hours_but_email_goes(session_factory, sms_outbox, settings):
    settings.SMS_QUIET_HOURS = "21:00-08:00"
    night = timezone.make_aware(timezone.datetime(2026, 11, 25, 22, 30))
    session_factory(start=night + timedelta(hours=20))
    result = run(now=night)
    assert result.deferred_sms == 1 and len(mail.outbox) == 1 and sms_outbox == []
    morning = night.replace(hour=8, minute=5) + timedelta(days=1)
    run(now=morning)
    assert len(sms_outbox) == 1 and len(mail.outbox) == 1


def test_a_started_or_cancelled_session_is_not_reminded_after_the_claim(session_factory, sms_outbox):
    session = session_factory(start=timezone.now() + timedelta(hours=10))
    held = []
    run_due_reminders(now=timezone.now(), retry=dispatch_delivery, dispatch=held.append)
    session.status = SessionStatus.CANCELLED
    session.save()
    for log_id in held:
        dispatch_delivery(log_id)
    assert not mail.outbox and not sms_outbox
    assert set(ReminderLog.objects.values_list("last_error", flat=True)) == {"The session is cancelled."}


def test_the_database_refuses_a_second_row_for_the_same_reminder(session_factory):
    session = session_factory()
    ReminderLog.objects.create(session=session, kind="48h", channel="sms", claimed_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderLog.objects.create(session=session, kind="48h", channel="sms", claimed_at=timezone.now())
    ReminderLog.objects.create(session=session, kind="24h", channel="sms", claimed_at=timezone.now())


def test_a_worker_lost_mid_send_is_marked_unknown_not_sent_again(session_factory, sms_outbox):
    session = session_factory(
        start=timezone.now() + timedelta(hours=10), patient=factories.PatientFactory(consent_email=False)
    )
    log = ReminderLog.objects.create(
        session=session,
        kind="24h",
        channel="sms",
        status=ReminderStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - timedelta(hours=1),
        attempted_at=timezone.now() - timedelta(hours=1),
    )
    result = run()
    log.refresh_from_db()
    assert (
        result.gave_up == 1 and log.status == ReminderStatus.UNKNOWN and "Outcome unknown" in log.last_error
    )
    assert sms_outbox == []


def test_a_claimed_reminder_whose_task_was_lost_is_dispatched_again(session_factory, sms_outbox):
    session = session_factory(
        start=timezone.now() + timedelta(hours=10), patient=factories.PatientFactory(consent_email=False)
    )
    log = ReminderLog.objects.create(
        session=session, kind="24h", channel="sms", claimed_at=timezone.now() - timedelta(minutes=20)
    )
    result = run()
    log.refresh_from_db()
    assert result.redispatched == [log.pk] and log.status == ReminderStatus.SENT and len(sms_outbox) == 1


def test_the_clinics_own_wording_is_used(session_factory, sms_outbox):
    ReminderTemplate.objects.create(
        channel="sms", body="{{ clinic_name }} sees you {{ date }} {{ time }}, {{ first_name }}!"
    )
    session = session_factory(
        start=timezone.now() + timedelta(hours=10), patient=factories.PatientFactory(consent_email=False)
    )
    run()
    local = timezone.localtime(session.start)
    assert sms_outbox[0].body.endswith(
        f"{local:%a} {local.day} {local:%b} {local:%H:%M}, {session.patient.first_name}!"
    )


def test_a_landline_cannot_take_an_sms_and_fails_permanently(session_factory, sms_outbox):
    patient = factories.PatientFactory(consent_email=False, phone="0161 496 0123")
    session_factory(patient=patient, start=timezone.now() + timedelta(hours=10))
    run()
    log = ReminderLog.objects.get()
    assert (
        log.status == ReminderStatus.FAILED and "not a mobile number" in log.last_error and log.attempts == 1
    )


def test_run_due_work_runs_every_periodic_job_once(session_factory, sms_outbox):
    from io import StringIO

    from django.core.management import call_command

    session_factory(start=timezone.now() + timedelta(hours=10))
    out = StringIO()
    call_command("run_due_work", stdout=out)
    assert "Reminders: 2 claimed" in out.getvalue() and "Due work done." in out.getvalue()
    assert len(mail.outbox) >= 1 and len(sms_outbox) == 1


def test_the_beat_schedule_names_real_tasks(settings):
    from infusion_clinic.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    assert settings.CELERY_BEAT_SCHEDULE["send-due-reminders"]["schedule"] == 300
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"

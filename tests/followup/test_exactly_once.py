"""Exactly once under duplication and races: threads on separate connections, and a real Celery
worker on real Redis racing the test process. PostgreSQL, committed data (transactional_db)."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from followup.messaging import LocmemSMSBackend
from followup.models import ReminderLog, ReminderStatus
from followup.reminders import run_due_reminders
from followup.tasks import dispatch_delivery, send_due_reminders
from tests import factories

from .conftest import make_session


def _sessions(count):
    chair = factories.ChairFactory(name="Race chair")
    base = timezone.now() + timedelta(hours=3)
    return [make_session(chair=chair, start=base + timedelta(hours=2 * n), hours=1.5) for n in range(count)]


def _run_in_threads(batches: int, now):
    barrier = threading.Barrier(batches)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=10)
            run_due_reminders(now=now, retry=dispatch_delivery)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(batches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_parallel_and_duplicated_batches_deliver_each_reminder_once(transactional_db, sms_outbox):
    sessions = _sessions(15)
    now = timezone.now()
    _run_in_threads(6, now)  # six batches at the same moment
    _run_in_threads(3, now + timedelta(minutes=5))  # and the next beat tick, duplicated
    send_due_reminders()

    expected_emails = sorted(s.patient.email for s in sessions)
    assert sorted(m.to[0] for m in mail.outbox) == expected_emails
    assert len(sms_outbox) == len(sessions)
    assert len({sms.to for sms in sms_outbox}) == len(sessions)
    logs = list(ReminderLog.objects.all())
    assert len(logs) == 2 * len(sessions)
    assert {(log.status, log.attempts) for log in logs} == {(ReminderStatus.SENT, 1)}


def test_the_same_claimed_reminder_delivered_by_two_threads_goes_once(transactional_db, sms_outbox):
    patient = factories.PatientFactory(consent_email=False)
    make_session(patient=patient, start=timezone.now() + timedelta(hours=5))
    held = []
    run_due_reminders(now=timezone.now(), retry=dispatch_delivery, dispatch=held.append)
    (log_id,) = held
    barrier = threading.Barrier(8)

    def deliver():
        barrier.wait(timeout=10)
        try:
            dispatch_delivery(log_id)  # a retried or duplicated task for the same row
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(LocmemSMSBackend.outbox) == 1
    assert ReminderLog.objects.get(pk=log_id).status == ReminderStatus.SENT


@pytest.fixture
def worker_sms_file(tmp_path, monkeypatch, settings):
    """The worker writes SMS to a file (its own settings come from the environment).

    Also drops Celery's cached result backend and kombu's process-wide pools first: eager tasks in
    earlier tests cached a disabled result backend, and tests/conftest.py's teardown force-closes
    the broker pool that kombu keeps registered for the same URL ("Acquire on closed pool"); the
    same reset after the worker stops keeps later worker tests working."""
    import kombu.pools

    from infusion_clinic.celery import app
    from tests.conftest import _forget_celery_connections

    _forget_celery_connections(app)
    kombu.pools.reset()
    path = tmp_path / "sms.jsonl"
    monkeypatch.setenv("SMS_BACKEND", "followup.messaging.FileSMSBackend")
    monkeypatch.setenv("SMS_FILE_PATH", str(path))
    monkeypatch.setenv("SMS_QUIET_HOURS", "")
    monkeypatch.setenv("REMINDER_RETRY_BACKOFF", "1")
    monkeypatch.setenv("REMINDER_MAX_RETRIES", "2")
    settings.SMS_BACKEND = "followup.messaging.FileSMSBackend"
    settings.SMS_FILE_PATH = str(path)
    settings.SMS_QUIET_HOURS = ""
    yield path
    # Torn down after the worker fixture: leave no closed pool behind for the next worker test.
    kombu.pools.reset()
    app._pool = None


def _sms_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_real_worker_delivers_due_reminders_from_redis(worker_sms_file, celery_worker_process):
    sessions = _sessions(4)
    queue = celery_worker_process.queue_for_test
    result = send_due_reminders.apply_async(queue=queue)
    summary = result.get(timeout=60)
    assert summary["claimed"] == 8
    lines = _sms_lines(worker_sms_file)
    assert sorted(line["to"] for line in lines) == sorted(s.patient.phone.as_e164 for s in sessions)
    assert set(ReminderLog.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


def test_two_worker_runs_and_the_test_process_racing_send_each_reminder_once(
    worker_sms_file, celery_worker_process
):
    sessions = _sessions(12)
    queue = celery_worker_process.queue_for_test
    # The worker takes two copies of the batch from Redis while this process runs it too.
    results = [send_due_reminders.apply_async(queue=queue) for _ in range(2)]
    local = run_due_reminders(now=timezone.now(), retry=dispatch_delivery)
    claimed = [r.get(timeout=90)["claimed"] for r in results] + [len(local.claimed)]
    deadline = time.monotonic() + 60
    while ReminderLog.objects.exclude(status=ReminderStatus.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sum(claimed) == 2 * len(sessions)  # every reminder claimed by exactly one of the three runs
    lines = _sms_lines(worker_sms_file)
    assert len(lines) == len(sessions) and len({line["to"] for line in lines}) == len(sessions)
    logs = list(ReminderLog.objects.all())
    assert len(logs) == 2 * len(sessions)
    assert {(log.status, log.attempts) for log in logs} == {(ReminderStatus.SENT, 1)}

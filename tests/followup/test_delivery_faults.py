"""Reminders under faults: a slow SMS provider, an SMTP server that never answers, Redis down when
reception presses Retry, a database error between sending and recording. Real servers on loopback,
a real database error (a PostgreSQL trigger); nothing mocked."""

import json
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus
from followup.reminders import idempotency_key, run_due_reminders
from followup.tasks import deliver_reminder, dispatch_delivery, send_due_reminders
from tests import factories

from .conftest import make_session


class SlowProvider:
    """An SMS provider on loopback that answers `delay` seconds after each request and counts them."""

    def __init__(self, delay: float):
        self.delay = delay
        self.requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append({"key": self.headers.get("Idempotency-Key"), **body})
                time.sleep(provider.delay)
                answer = json.dumps({"id": f"msg-{len(provider.requests)}"}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_provider(settings):
    provider = SlowProvider(delay=1.0)
    settings.SMS_BACKEND = "followup.messaging.HttpJsonSMSBackend"
    settings.SMS_HTTP_URL = provider.url
    settings.SMS_HTTP_TIMEOUT = 0.3
    settings.SMS_QUIET_HOURS = ""
    settings.REMINDER_MAX_RETRIES = 5
    yield provider
    provider.close()


def _sms_only_sessions(count):
    chair = factories.ChairFactory(name="Fault chair")
    base = timezone.now() + timedelta(hours=3)
    return [
        make_session(
            chair=chair,
            start=base + timedelta(hours=2 * n),
            hours=1.5,
            patient=factories.PatientFactory(consent_email=False),
        )
        for n in range(count)
    ]


@pytest.mark.django_db
def test_it_sends_each_sms_once_with_its_key_when_the_provider_answers_after_the_timeout(slow_provider):
    _sms_only_sessions(10)
    result = run_due_reminders(now=timezone.now(), retry=dispatch_delivery)
    logs = list(ReminderLog.objects.order_by("pk"))
    # Before: each timeout was retried blindly (4 SMS a reminder), every one recorded as failed.
    assert len(slow_provider.requests) == 10
    assert [r["key"] for r in slow_provider.requests] == [idempotency_key(log) for log in logs]
    assert [r["reference"] for r in slow_provider.requests] == [idempotency_key(log) for log in logs]
    assert {(log.status, log.attempts) for log in logs} == {(ReminderStatus.UNKNOWN, 1)}
    assert result.unknown == 10 and result.retrying == 0
    assert "did not answer" in logs[0].last_error and idempotency_key(logs[0]) in logs[0].last_error
    # The next ticks of the sweep leave them alone: nobody resends an SMS that may have arrived.
    run_due_reminders(now=timezone.now() + timedelta(minutes=40), retry=dispatch_delivery)
    assert len(slow_provider.requests) == 10


@pytest.mark.django_db
def test_reception_sees_an_unknown_outcome_and_a_retry_resends_with_the_same_key(
    slow_provider, reception_client
):
    (session,) = _sms_only_sessions(1)
    run_due_reminders(now=timezone.now(), retry=dispatch_delivery)
    log = ReminderLog.objects.get()
    page = reception_client.get(reverse("followup:reminder_list")).content.decode()
    assert "Outcome unknown" in page and "Check with the patient" in page
    assert reverse("followup:reminder_retry", args=[log.pk]) in page

    slow_provider.delay = 0
    response = reception_client.post(reverse("followup:reminder_retry", args=[log.pk]), follow=True)
    log.refresh_from_db()
    assert log.status == ReminderStatus.SENT and b"reminder sent to" in response.content
    assert [r["key"] for r in slow_provider.requests] == [idempotency_key(log)] * 2


@pytest.mark.django_db
def test_a_provider_that_cannot_be_reached_is_retried_because_nothing_was_sent(settings, sms_outbox):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        settings.SMS_BACKEND = "followup.messaging.HttpJsonSMSBackend"
        settings.SMS_HTTP_URL = f"http://127.0.0.1:{port}/messages"
        settings.REMINDER_MAX_RETRIES = 2
        _sms_only_sessions(1)
        run_due_reminders(now=timezone.now(), retry=dispatch_delivery)
    log = ReminderLog.objects.get()
    assert log.status == ReminderStatus.FAILED and log.attempts == 3 and "unreachable" in log.last_error


@pytest.mark.django_db
def test_only_failed_or_unknown_reminders_can_be_retried_and_nurses_may_not(nurse_client, reception_client):
    (session,) = _sms_only_sessions(1)
    log = ReminderLog.objects.create(
        session=session,
        kind="24h",
        channel="sms",
        status=ReminderStatus.SENT,
        sent_at=timezone.now(),
        claimed_at=timezone.now(),
    )
    url = reverse("followup:reminder_retry", args=[log.pk])
    assert nurse_client.post(url).status_code == 403
    response = reception_client.post(url, follow=True)
    assert b"Only a failed reminder can be retried" in response.content
    log.refresh_from_db()
    assert log.status == ReminderStatus.SENT


# --- an SMTP server that accepts and never answers -------------------------------------------------


@pytest.fixture
def silent_smtp(settings):
    """A loopback socket that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 0.5
    settings.EMAIL_CONFIGURED = True
    yield held
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.django_db
def test_a_mail_server_that_never_answers_holds_each_reminder_only_for_the_timeout(silent_smtp, sms_outbox):
    chair = factories.ChairFactory(name="Mail chair")
    for n in range(3):
        make_session(
            chair=chair,
            start=timezone.now() + timedelta(hours=3 + 2 * n),
            patient=factories.PatientFactory(consent_sms=False),
        )
    queued = []
    started = time.monotonic()
    result = run_due_reminders(now=timezone.now(), retry=queued.append)
    elapsed = time.monotonic() - started
    logs = list(ReminderLog.objects.all())
    assert elapsed < 3 * 0.5 + 3  # before: minutes per reminder
    assert len(silent_smtp) == 3  # each really connected and waited
    assert {log.status for log in logs} == {ReminderStatus.RETRYING} and result.retrying == 3
    assert all("unreachable" in log.last_error for log in logs) and sorted(queued) == sorted(
        log.pk for log in logs
    )
    assert not mail.outbox


def test_timeouts_and_time_limits_have_defaults_and_follow_the_environment():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "from followup.tasks import deliver_reminder as d, send_due_reminders as b; "
        "print(json.dumps([s.EMAIL_TIMEOUT, s.SMS_HTTP_TIMEOUT, d.soft_time_limit, d.time_limit, "
        "b.soft_time_limit, b.time_limit, s.CELERY_TASK_SOFT_TIME_LIMIT, s.CELERY_TASK_TIME_LIMIT]))"
    )
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "sqlite://:memory:",
    }

    def read(**env):
        out = subprocess.run(
            [sys.executable, "-c", script],
            env={**base, **env},
            cwd=django_settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert read() == [10.0, 10.0, 60, 90, 240, 280, 300, 360]
    assert read(
        EMAIL_TIMEOUT="3",
        REMINDER_TASK_SOFT_TIME_LIMIT="20",
        REMINDER_TASK_TIME_LIMIT="30",
        REMINDER_BATCH_SOFT_TIME_LIMIT="100",
        REMINDER_BATCH_TIME_LIMIT="120",
    )[:6] == [3.0, 10.0, 20, 30, 100, 120]


# --- Redis down when reception presses Retry --------------------------------------------------------


@pytest.fixture
def broker_down():
    """Point Celery at a loopback port where nothing listens, with real queuing (not eager)."""
    from infusion_clinic.celery import app
    from tests.conftest import _forget_celery_connections

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        saved = {k: app.conf.get(k) for k in ("broker_url", "result_backend", "task_always_eager")}
        _forget_celery_connections(app)
        app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
        yield app
        app.conf.update(saved)
        _forget_celery_connections(app)


@pytest.mark.django_db
def test_retry_with_redis_down_answers_at_once_and_the_sweep_sends_it_later(
    reception_client, reception, sms_outbox, broker_down
):
    (session,) = _sms_only_sessions(1)
    log = ReminderLog.objects.create(
        session=session,
        kind="24h",
        channel="sms",
        status=ReminderStatus.FAILED,
        attempts=1,
        claimed_at=timezone.now() - timedelta(hours=1),
        attempted_at=timezone.now() - timedelta(hours=1),
        last_error="SMS provider unreachable",
    )
    started = time.monotonic()
    response = reception_client.post(reverse("followup:reminder_retry", args=[log.pk]))
    assert time.monotonic() - started < 5  # before: a 500 after 19 seconds
    assert response.status_code == 302
    page = reception_client.get(response["Location"]).content.decode()
    assert "could not be queued just now" in page and "automatic sweep sends it" in page
    log.refresh_from_db()
    assert log.status == ReminderStatus.PENDING and log.retried_by == reception and sms_outbox == []

    broker_down.conf.task_always_eager = True  # the broker is back: the next sweep runs
    result = run_due_reminders(now=timezone.now(), retry=dispatch_delivery)
    log.refresh_from_db()
    assert result.redispatched == [log.pk] and log.status == ReminderStatus.SENT and len(sms_outbox) == 1


def test_the_delivery_task_keeps_no_result_so_queuing_never_waits_for_the_result_store():
    assert deliver_reminder.ignore_result is True
    assert send_due_reminders.ignore_result is not True  # its summary is read by tests and operators


# --- a database error between sending and recording -------------------------------------------------


@pytest.fixture
def failing_record(transactional_db):
    """A real database error when the outcome of one chosen reminder is written."""
    table = ReminderLog._meta.db_table
    target = {}

    def arm(session_id):
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION test_fail_reminder_record() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.status <> 'sending' AND NEW.session_id = {int(session_id)} THEN "
                "RAISE EXCEPTION 'disk full (test)'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER test_fail_reminder_record BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION test_fail_reminder_record()"
            )
        target["armed"] = True

    def disarm():
        if target.pop("armed", False):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TRIGGER IF EXISTS test_fail_reminder_record ON {table}")
                cursor.execute("DROP FUNCTION IF EXISTS test_fail_reminder_record()")

    yield arm, disarm
    disarm()


def test_a_database_error_mid_chunk_keeps_the_outcomes_already_sent(failing_record, sms_outbox):
    arm, disarm = failing_record
    sessions = _sms_only_sessions(5)
    arm(sessions[2].pk)  # the third reminder of the chunk cannot be recorded
    now = timezone.now()
    with pytest.raises(DatabaseError):
        run_due_reminders(now=now, retry=dispatch_delivery)
    by_session = {log.session_id: log for log in ReminderLog.objects.all()}
    assert [by_session[s.pk].status for s in sessions] == [
        ReminderStatus.SENT,
        ReminderStatus.SENT,
        ReminderStatus.SENDING,  # sent, outcome not written: reported unknown, never resent
        ReminderStatus.RETRYING,  # taken but never tried: handed back
        ReminderStatus.RETRYING,
    ]
    assert len(sms_outbox) == 3  # before: all five "sending", the two sent ones lost as unknown
    assert [by_session[s.pk].attempts for s in sessions[3:]] == [0, 0]

    disarm()
    later = now + timedelta(minutes=31)
    result = run_due_reminders(now=later, retry=dispatch_delivery)
    statuses = dict(ReminderLog.objects.values_list("session_id", "status"))
    assert result.gave_up == 1 and statuses[sessions[2].pk] == ReminderStatus.UNKNOWN
    assert [statuses[s.pk] for s in sessions if s != sessions[2]] == [ReminderStatus.SENT] * 4
    assert sorted(sms.to for sms in sms_outbox) == sorted({sms.to for sms in sms_outbox})  # none twice
    assert len(sms_outbox) == 5


# --- Celery's time limits on a real (prefork) worker ------------------------------------------------


@pytest.fixture
def prefork_worker(transactional_db, slow_provider):
    """A real prefork worker (solo pools enforce no time limits) sending to the slow provider with a
    generous HTTP timeout: only a time limit can stop a delivery."""
    import os
    import uuid

    from infusion_clinic.celery import app
    from tests.conftest import ARTIFACTS, REDIS_URL, _forget_celery_connections

    queue = f"limits-{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SMS_BACKEND": "followup.messaging.HttpJsonSMSBackend",
        "SMS_HTTP_URL": slow_provider.url,
        "SMS_HTTP_TIMEOUT": "30",
        "SMS_QUIET_HOURS": "",
    }
    saved = {k: app.conf.get(k) for k in ("broker_url", "result_backend", "task_always_eager")}
    _forget_celery_connections(app)
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"celery-{queue}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "infusion_clinic", "worker", "--pool=prefork", "-c", "1"]
        + ["-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        + ["-n", f"{queue}@%h"],
        env=env,
        cwd=django_settings.BASE_DIR,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        from infusion_clinic.tasks import ping

        deadline = time.monotonic() + 90
        while True:
            try:
                ping.apply_async(args=["ready"], queue=queue).get(timeout=5)
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Celery worker did not start; see {log}")
        yield queue
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        app.conf.update(saved)
        _forget_celery_connections(app)


def test_the_soft_time_limit_stops_a_stalled_send_and_records_outcome_unknown(prefork_worker, slow_provider):
    slow_provider.delay = 12
    (session,) = _sms_only_sessions(1)
    log = ReminderLog.objects.create(session=session, kind="24h", channel="sms", claimed_at=timezone.now())
    started = time.monotonic()
    # The limits travel in the message from the process that queues it (REMINDER_TASK_*_TIME_LIMIT
    # there); short ones here so the test does not wait a minute.
    deliver_reminder.apply_async((log.pk,), queue=prefork_worker, soft_time_limit=2, time_limit=6)
    deadline = started + 30
    while ReminderLog.objects.filter(
        pk=log.pk, status__in=(ReminderStatus.PENDING, ReminderStatus.SENDING)
    ).exists():
        assert time.monotonic() < deadline, "the delivery task was not stopped"
        time.sleep(0.2)
    log.refresh_from_db()
    assert time.monotonic() - started < 12  # stopped by the 2 s limit, not by the provider
    assert log.status == ReminderStatus.UNKNOWN and "ran out of time" in log.last_error
    assert len(slow_provider.requests) == 1


class InterruptedOnSecondSMSBackend:
    """Accepts the first SMS; the task's soft time limit fires during the second."""

    sent: list = []

    def send(self, sms):
        from celery.exceptions import SoftTimeLimitExceeded

        if len(self.sent) == 1:
            raise SoftTimeLimitExceeded()
        self.sent.append(sms)
        return f"ok-{len(self.sent)}"


@pytest.mark.django_db
def test_a_batch_interrupted_by_its_time_limit_records_what_it_did_and_hands_back_the_rest(settings):
    from celery.exceptions import SoftTimeLimitExceeded

    settings.SMS_BACKEND = f"{__name__}.InterruptedOnSecondSMSBackend"
    settings.SMS_QUIET_HOURS = ""
    InterruptedOnSecondSMSBackend.sent = []
    sessions = _sms_only_sessions(4)
    with pytest.raises(SoftTimeLimitExceeded):
        run_due_reminders(now=timezone.now(), retry=dispatch_delivery)
    by_session = dict(ReminderLog.objects.values_list("session_id", "status"))
    assert [by_session[s.pk] for s in sessions] == [
        ReminderStatus.SENT,
        ReminderStatus.UNKNOWN,  # interrupted mid-send: may have gone
        ReminderStatus.RETRYING,  # never tried: the sweep sends them
        ReminderStatus.RETRYING,
    ]
    assert len(InterruptedOnSecondSMSBackend.sent) == 1


@pytest.mark.django_db
def test_the_reception_dashboard_counts_reminders_whose_outcome_is_unknown(reception_client):
    (session,) = _sms_only_sessions(1)
    ReminderLog.objects.create(
        session=session, kind="24h", channel="sms", status=ReminderStatus.UNKNOWN, claimed_at=timezone.now()
    )
    assert b"1 failed or unknown" in reception_client.get("/").content

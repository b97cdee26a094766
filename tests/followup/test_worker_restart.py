"""Redis goes away while a real worker holds a countdown (retry) task, then comes back: the worker is
started again (scripts/worker_forever.sh, as `make run` does) and reminders resume, each sent once.
The test runs its own redis-server on a free port, so stopping it disturbs nobody else."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus
from followup.tasks import deliver_reminder, send_due_reminders
from tests import factories
from tests.conftest import ARTIFACTS, _forget_celery_connections

from .conftest import make_session

SCRIPT = settings.BASE_DIR / "scripts" / "worker_forever.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is needed (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # A service keeps the real clock, as the machine's PostgreSQL and Redis do under
            # make test-clock: libfaketime's shifted clock stalls redis-server's event loop.
            env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")},
        )
        _wait(lambda: _answers(self.port), 20, "redis-server did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


def _answers(port) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _wait(condition, seconds, message):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.2)


def _worker_pids(loop_pid) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(loop_pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.fixture
def redis_and_worker(transactional_db, tmp_path):
    from infusion_clinic.celery import app

    redis = OwnRedis()
    redis.start()
    sms_file = tmp_path / "sms.jsonl"
    name = f"restart-{uuid.uuid4().hex[:10]}"  # the Redis is this test's own: default queue
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": redis.url,
        "CELERY_RESULT_BACKEND": redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SMS_BACKEND": "followup.messaging.FileSMSBackend",
        "SMS_FILE_PATH": str(sms_file),
        "SMS_QUIET_HOURS": "",
        "REMINDER_RETRY_BACKOFF": "1",
        "WORKER_RESTART_DELAY": "1",
    }
    saved = {k: app.conf.get(k) for k in ("broker_url", "result_backend", "task_always_eager")}
    _forget_celery_connections(app)
    app.conf.update(broker_url=redis.url, result_backend=redis.url, task_always_eager=False)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"celery-{name}.log"
    loop = subprocess.Popen(
        [str(SCRIPT), sys.executable, "-m", "celery", "-A", "infusion_clinic", "worker", "--pool=solo"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO", "-n", f"{name}@%h"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield {"redis": redis, "loop": loop, "sms_file": sms_file, "log": log, "app": app}
    finally:
        os.killpg(loop.pid, signal.SIGTERM)
        try:
            loop.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(loop.pid, signal.SIGKILL)
        redis.stop()
        app.conf.update(saved)
        _forget_celery_connections(app)


def _ready(app):
    """True once a worker answers a ping through the broker."""
    from infusion_clinic.tasks import ping

    def answered():
        try:
            return ping.apply_async(args=["ready"]).get(timeout=5) is not None
        except Exception:
            _forget_celery_connections(app)
            return False

    return answered


def _sms_to(path):
    return [json.loads(line)["to"] for line in path.read_text().splitlines()] if path.exists() else []


def test_reminders_resume_after_redis_goes_away_and_comes_back(redis_and_worker):
    env = redis_and_worker
    redis, loop, app = env["redis"], env["loop"], env["app"]
    _wait(_ready(app), 90, f"worker did not start; see {env['log']}")
    (first_worker,) = _worker_pids(loop.pid)

    # A reminder whose delivery the worker holds with a countdown, as a retry would be.
    held_session = make_session(
        start=timezone.now() + timedelta(hours=5), patient=factories.PatientFactory(consent_email=False)
    )
    held = ReminderLog.objects.create(
        session=held_session,
        kind="24h",
        channel="sms",
        status=ReminderStatus.RETRYING,
        attempts=1,
        claimed_at=timezone.now() - timedelta(minutes=20),
        attempted_at=timezone.now() - timedelta(minutes=20),
    )
    deliver_reminder.apply_async((held.pk,), countdown=60)
    time.sleep(2)  # the worker has taken it into its timer

    redis.stop()
    # Before: the worker ended with "Unrecoverable error" and nothing started it again.
    _wait(
        lambda: _worker_pids(loop.pid) not in ([], [first_worker]), 60, f"worker not restarted; {env['log']}"
    )
    redis.start()
    _forget_celery_connections(app)
    _wait(_ready(app), 90, f"worker did not reconnect; see {env['log']}")
    assert loop.poll() is None and "starting it again" in env["log"].read_text()

    # Reminders resume: a new one is sent, and the sweep dispatches the held one again.
    new_session = make_session(
        start=timezone.now() + timedelta(hours=30), patient=factories.PatientFactory(consent_email=False)
    )
    summary = send_due_reminders.apply_async().get(timeout=60)
    assert summary["claimed"] == 1 and summary["redispatched"] == 1
    _wait(
        lambda: set(ReminderLog.objects.values_list("status", flat=True)) == {ReminderStatus.SENT},
        60,
        f"reminders not all sent; see {env['log']}",
    )
    sent_to = _sms_to(env["sms_file"])
    expected = {s.patient.phone.as_e164 for s in (held_session, new_session)}
    assert sorted(sent_to) == sorted(expected)  # each exactly once

import os
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from infusion_clinic.mfa import services as mfa
from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library

from . import factories

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


# --- a skipped test fails the run: CI must never pass on tests that did not run -----------------


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = len(reporter.stats.get("skipped", []))
    if skipped and os.environ.get("ALLOW_SKIPS") != "1":
        reporter.write_line(f"FAILED: {skipped} test(s) skipped; every test must run.", red=True)
        session.exitstatus = 1


# --- a pinned clock: tests never depend on the hour or the day they run ------------------------

# A Wednesday mid-morning in winter (GMT): the clinic is open and the day has hours left in it.
CLINIC_MORNING = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def clinic_morning(time_machine):
    """Pin "now" (Python's clock only; PostgreSQL keeps its own) to CLINIC_MORNING, standing still."""
    time_machine.move_to(CLINIC_MORNING, tick=False)
    return CLINIC_MORNING


@pytest.fixture
def clinic_morning_ticking(time_machine):
    """CLINIC_MORNING with the clock running from there: for browser tests, whose waits need time to pass."""
    time_machine.move_to(CLINIC_MORNING, tick=True)
    return CLINIC_MORNING


# --- users per role --------------------------------------------------------------------------


@pytest.fixture
def reception(db):
    return factories.reception_user(username="reception")


@pytest.fixture
def nurse(db):
    return factories.nurse_user(username="nurse")


@pytest.fixture
def specialist(db):
    return factories.specialist_user(username="specialist")


@pytest.fixture
def clinic_admin(db):
    return factories.admin_user(username="clinicadmin")


@pytest.fixture
def library(db):
    """The seeded library, {protocol slug: current version}. Transactional tests flush the migration's rows."""
    seed_protocol_library()
    return {
        v.protocol.slug: v
        for v in ProtocolVersion.objects.filter(is_current=True).select_related("protocol__family")
    }


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reception_client(reception):
    return _client_for(reception)


@pytest.fixture
def nurse_client(nurse):
    return _client_for(nurse)


@pytest.fixture
def specialist_client(specialist):
    return _client_for(specialist)


@pytest.fixture
def admin_client_role(clinic_admin):
    """A client signed in as a Clinic admin (not a superuser)."""
    return _client_for(clinic_admin)


# --- two-factor sign-in ----------------------------------------------------------------------

# RFC 6238's test secret ("12345678901234567890"): the authenticator of every test user who needs one.
TEST_TOTP_KEY = "3132333435363738393031323334353637383930"


def authenticator_for(user) -> TOTPDevice:
    """The user's confirmed authenticator app, made with TEST_TOTP_KEY if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test phone", key=TEST_TOTP_KEY, confirmed=True)
    return device


def totp_code(device: TOTPDevice) -> str:
    """The code the app shows now (Python's clock: pinned by time-machine where a test pins it)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def _test_client_sessions_are_verified(sender, request, user, **kwargs):
    # The test client's force_login() and login() sign in through a bare HttpRequest (no request.user):
    # they stand for "already signed in", so their session counts as verified with the user's
    # authenticator. Sign-ins through the login page (client.post, the browser) have request.user and
    # meet the second step like anyone else.
    if hasattr(request, "user") or not mfa.required_for(user):
        return
    request.session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id


@pytest.fixture(autouse=True)
def _test_client_logins_verified():
    user_logged_in.connect(_test_client_sessions_are_verified, dispatch_uid="tests-verified-force-login")
    yield
    user_logged_in.disconnect(dispatch_uid="tests-verified-force-login")


# --- Celery through real Redis ---------------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start a real Celery worker in a separate process, consuming a queue unique to this test
    from real Redis, with the test database. Yields the configured Celery app."""
    from django.db import connection

    from infusion_clinic.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("The Celery worker tests need PostgreSQL (make test sets DATABASE_URL).")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings_test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        # The worker really queues retries (with backoff) instead of running them inline.
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    saved = {
        k: app.conf.get(k)
        for k in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    }
    app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False, task_default_queue=queue
    )
    log = ARTIFACTS / f"celery-{queue}.log"
    ARTIFACTS.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "infusion_clinic",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
            "-n",
            f"{queue}@%h",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        from infusion_clinic.tasks import ping

        deadline = time.monotonic() + 60
        while True:  # wait until the worker answers through Redis
            try:
                ping.apply_async(args=["ready"], queue=queue).get(timeout=5)
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Celery worker did not start; see {log}:\n{log.read_text()[-3000:]}")
        app.queue_for_test = queue
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        app.conf.update(saved)
        _forget_celery_connections(app)


def _forget_celery_connections(app):
    """Celery caches its result backend and broker pool from the configuration of first use; after
    changing broker_url/result_backend in a test, drop them so the next use builds them anew."""
    import threading

    import kombu.pools

    app._backend_cache = None
    app._local = threading.local()
    # kombu keeps connection pools registered per URL process-wide: close and forget them all, so no
    # later test acquires from a closed pool.
    kombu.pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


# --- Playwright with Debian's Chromium -------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + Django's ORM in tests
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test and .ci/run do this).")
    from playwright.sync_api import expect, sync_playwright

    # A loaded CI machine can take longer than Playwright's 5 s default to answer a form post.
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            # Date fields take their format from the browser's UI language: with Debian's
            # chromium-l10n (which .ci/run installs) and a UK LANG they show dd/mm/yyyy, as a clinic's
            # en-GB browsers do.
            env={**os.environ, "LANG": "en_GB.UTF-8", "LANGUAGE": "en_GB:en"},
            headless=True,
            args=[
                "--no-sandbox",
                "--lang=en-GB",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        timezone_id="Europe/London",
        viewport={"width": 1366, "height": 900},
        # Bootstrap drops its transitions under reduced motion: a collapse panel is open at once,
        # so a click never lands on a button that is still sliding into view.
        reduced_motion="reduce",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ (git-ignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, username: str, password: str = "correct-horse-battery"):
    """Sign in through the login page; a user whose role needs two-factor sign-in then enters the code
    of their authenticator (authenticator_for)."""
    user = get_user_model().objects.filter(username=username).first()
    device = authenticator_for(user) if user is not None and mfa.required_for(user) else None
    if device is not None:
        # django-otp takes each code once: a test that signs the same user in twice within 30 seconds
        # must not be refused as a replay.
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    if device is not None and "/accounts/two-factor/verify/" in page.url:
        page.get_by_label("Code").fill(totp_code(device))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state("networkidle")

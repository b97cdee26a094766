"""The web tier is stateless: two gunicorn servers, as behind a load balancer, share PostgreSQL, Redis
and an S3 bucket and serve one signed-in person alternately, request by request.

Both run the production settings (DEBUG=false, hashed static files, two-factor sign-in for every role)
against the test database, Redis (the cache) and moto's S3 server (the letters). One cookie jar goes to
both, as a browser's does behind a load balancer without sticky sessions."""

import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.models import Session
from moto.server import ThreadedMotoServer

from patients.models import Referral
from tests import factories
from tests.conftest import REDIS_URL, authenticator_for, totp_code
from tests.patients.test_referral_letters import PDF_BYTES

from .test_production_mode import SITE_HOST, _free_port, _production_env

TIMEOUT = 60  # seconds a request may take on a busy machine
PASSWORD = "correct-horse-battery"
BUCKET = "clinic-letters"
REGION = "eu-west-2"
MESSAGE = re.compile(r'class="alert[^"]*"[^>]*>\s*(.*?)\s*<', re.S)


# --- a small form reader: what a browser would post back ---------------------------------------


class _Forms(HTMLParser):
    """Every <form> of a page with the values a browser would submit (files and buttons aside)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": [], "names": set()}
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            self._form["names"].add(a["name"])
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append((a["name"], a.get("value", "on") or ""))
        elif tag == "select":
            self._form["names"].add(a["name"])
            self._select = {"name": a["name"], "first": None, "chosen": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"] = value
        elif tag == "textarea":
            self._form["names"].add(a["name"])
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"]
            value = chosen if chosen is not None else self._select["first"]
            self._form["fields"].append((self._select["name"], value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form["fields"].append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_with(html: str, field: str) -> list[tuple[str, str]]:
    """The fields of the page's form that has `field` (the page also has the sign-out form)."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if field in form["names"]:
            return form["fields"]
    raise AssertionError(f"no form with {field!r} on the page")


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def replaced(fields, **values):
    """The form's fields with some values replaced (each name once)."""
    return [(name, values.pop(name)) if name in values else (name, value) for name, value in fields] + list(
        values.items()
    )


# --- the two servers ----------------------------------------------------------------------------


class Server:
    """One gunicorn instance of the clinic on a loopback port; requests go to it by name (A or B)."""

    def __init__(self, name: str, env: dict, browser: requests.Session):
        self.name = name
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.browser = browser
        self.log = open(os.path.join(env["LOG_DIR"], f"gunicorn-{name}.log"), "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "infusion_clinic.wsgi:application"]
            + ["--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--timeout", "120"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def wait_until_serving(self):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                requests.get(self.base + "/healthz", headers={"Host": SITE_HOST}, timeout=TIMEOUT)
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise AssertionError(f"gunicorn {self.name} did not answer within 180 s:\n{self.output()}")

    def get(self, path: str, *, browser=None, **kwargs) -> requests.Response:
        browser = browser or self.browser
        return browser.get(self.base + path, allow_redirects=False, timeout=TIMEOUT, **kwargs)

    def post(self, path: str, data, *, browser=None, **kwargs) -> requests.Response:
        browser = browser or self.browser
        return browser.post(self.base + path, data=data, allow_redirects=False, timeout=TIMEOUT, **kwargs)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def s3_server():
    """moto's S3 server on a free port, with the clinic's private bucket: what both servers share."""
    import boto3
    from botocore.config import Config

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}),
    )
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield endpoint, s3
    server.stop()


@pytest.fixture
def cookie_jar():
    """One cookie jar for both servers, as a browser behind a load balancer has."""
    with requests.Session() as session:
        session.headers["Host"] = SITE_HOST
        yield session


@pytest.fixture
def servers(transactional_db, collected_static, s3_server, cookie_jar, tmp_path):
    endpoint, _ = s3_server
    env = _production_env(collected_static)
    env.update(
        LOG_DIR=str(tmp_path),
        # The cache and the broker in the shared Redis.
        CACHE_URL=REDIS_URL,
        CELERY_BROKER_URL=REDIS_URL,
        # Every role signs in with a second factor: the half-signed-in state must be shared too.
        MFA_REQUIRED_ROLES="reception,nurse,specialist,admin",
        AXES_FAILURE_LIMIT="3",
        # Letters in the shared bucket (infusion_clinic/storage.py), never on either server's disk.
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME=REGION,
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        MEDIA_ROOT=str(tmp_path / "no-local-media"),
    )
    started = [Server("A", env, cookie_jar), Server("B", env, cookie_jar)]
    try:
        for server in started:
            server.wait_until_serving()
        yield started
    finally:
        for server in started:
            server.stop()


def _staff(username: str, factory=factories.reception_user):
    user = factory(username=username)
    # The suite hashes with MD5 for speed; the production settings know only the real hashers.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, f"{username}salt", iterations=1000)
    user.save(update_fields=["password"])
    return user


def _errors(html: str) -> list[str]:
    """The messages next to fields (and above the form) of a refused form, for a failing assertion."""
    found = re.findall(
        r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>(.*?)</(?:span|div|p)>', html, re.S
    )
    return [re.sub(r"<[^>]+>|\s+", " ", error).strip() for error in found]


def _messages(html: str) -> list[str]:
    return [m.strip() for m in MESSAGE.findall(html) if m.strip()]


def _upload_letter(*, page_from: Server, post_to: Server, referral: Referral, content: bytes):
    """The referral's edit page from one server, its form (with that page's CSRF token) posted to the
    other, with a letter attached."""
    page = page_from.get(f"/patients/referrals/{referral.pk}/edit/")
    assert page.status_code == 200, page.text[-2000:]
    fields = form_with(page.text, "letter_file")
    posted = post_to.post(
        f"/patients/referrals/{referral.pk}/edit/",
        fields,
        files={"letter_file": ("letter.pdf", content, "application/pdf")},
    )
    assert posted.status_code == 302, _errors(posted.text)
    return posted.headers["Location"]


def test_two_gunicorn_servers_serve_one_signed_in_person_alternately(servers, s3_server, tmp_path):
    a, b = servers
    _, s3 = s3_server
    user = _staff("frontdesk")
    device = authenticator_for(user)
    patient = factories.PatientFactory(
        first_name="Ada",
        last_name="Lovelace",
        town="Leeds",
        gp_practice_name="Riverside",
        gp_practice_ods="A81001",
    )
    first, second = factories.ReferralFactory(patient=patient), factories.ReferralFactory(patient=patient)

    # Both are up, on the same database and the same Redis.
    for server in servers:
        health = server.get("/healthz")
        assert health.status_code == 200, health.text
        assert health.json() == {"status": "ok", "database": "ok", "broker": "ok"}

    # Password on A ...
    login = a.get("/accounts/login/")
    signed = a.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": csrf_token(login.text), "username": "frontdesk", "password": PASSWORD},
    )
    assert signed.status_code == 302
    # ... B holds the half-signed-in session at the second step: it is in the database, not in A's memory.
    held = b.get(signed.headers["Location"])
    assert held.status_code == 302
    verify_url = held.headers["Location"]
    assert verify_url.startswith("/accounts/two-factor/verify/")
    # The code's form comes from A (its CSRF token), the post goes to B.
    verify_page = a.get(verify_url)
    assert verify_page.status_code == 200
    verified = b.post(
        verify_url,
        replaced(form_with(verify_page.text, "code"), code=totp_code(device)),
    )
    assert verified.status_code == 302, verified.text[-2000:]
    assert verified.headers["Location"] == "/"

    # Both serve the signed-in pages, alternately.
    for server in (a, b, a, b):
        dashboard = server.get("/")
        assert dashboard.status_code == 200, server.name
        assert "Sign out" in dashboard.text, server.name
        listing = server.get("/patients/?q=Lovelace")
        assert listing.status_code == 200, server.name
        assert "Lovelace" in listing.text, server.name

    # A form from B posted to A; the message it leaves is shown by B, once.
    edit = b.get(f"/patients/{patient.pk}/edit/")
    assert edit.status_code == 200
    saved = a.post(f"/patients/{patient.pk}/edit/", replaced(form_with(edit.text, "town"), town="York"))
    assert saved.status_code == 302, _errors(saved.text)
    shown = b.get(saved.headers["Location"])
    assert shown.status_code == 200
    assert "Saved Ada Lovelace." in _messages(shown.text)
    assert "York" in shown.text
    assert "Saved Ada Lovelace." not in _messages(a.get(saved.headers["Location"]).text)
    patient.refresh_from_db()
    assert patient.town == "York"

    # Letters: written through one server into the shared bucket, read through the other.
    letter_one = PDF_BYTES + b"% first letter\n"
    target = _upload_letter(page_from=a, post_to=b, referral=first, content=letter_one)
    assert "Referral details saved." in _messages(a.get(target).text)  # the message B left, on A
    letter_two = PDF_BYTES + b"% second letter\n"
    _upload_letter(page_from=b, post_to=a, referral=second, content=letter_two)
    first.refresh_from_db()
    second.refresh_from_db()
    for server, referral, content in (
        (a, first, letter_one),
        (b, second, letter_two),
        (b, first, letter_one),
    ):
        download = server.get(f"/patients/referrals/{referral.pk}/letter/")
        assert download.status_code == 200, (server.name, download.text[-2000:])
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.content == content, server.name
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(f"media/{r.letter_file.name}" for r in (first, second))
    assert not (tmp_path / "no-local-media").exists()  # neither server wrote a letter to its own disk

    # django-axes counts failures in the database: 3 wrong passwords (AXES_FAILURE_LIMIT for these
    # servers) spread over A and B lock the account on both. Another person, another browser.
    _staff("lockme")
    with requests.Session() as other:
        other.headers["Host"] = SITE_HOST
        for server in (a, b, a):
            page = server.get("/accounts/login/", browser=other)
            refused = server.post(
                "/accounts/login/",
                {"csrfmiddlewaretoken": csrf_token(page.text), "username": "lockme", "password": "wrong-one"},
                browser=other,
            )
            assert refused.status_code in (200, 429), refused.status_code
        for server in (b, a):
            page = server.get("/accounts/login/", browser=other)
            attempt = server.post(
                "/accounts/login/",
                {"csrfmiddlewaretoken": csrf_token(page.text), "username": "lockme", "password": PASSWORD},
                browser=other,
            )
            assert attempt.status_code == 429, (server.name, attempt.status_code)
            assert "Too many failed sign-in attempts" in attempt.text

    # Signing out on B ends the session on A.
    sessions_before = Session.objects.count()
    out = b.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(a.get("/").text)})
    assert out.status_code == 302
    assert Session.objects.count() == sessions_before - 1
    after = a.get("/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/accounts/login/")
    assert b.get("/patients/?q=Lovelace").status_code == 302


def _cache_in_a_fresh_process(code: str, **environment) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CACHE_"))}
    env.update(DJANGO_SETTINGS_MODULE="infusion_clinic.settings", DEBUG="true", **environment)
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_cache_url_gives_every_server_the_same_redis_cache():
    code = (
        "import json; from django.conf import settings; from django.core.cache import cache; "
        "print(json.dumps([settings.CACHES['default']['BACKEND'], cache.get('stateless-check')]))"
    )
    setter = (
        "from django.core.cache import cache; cache.set('stateless-check', 'from server A', 60); print('set')"
    )
    assert _cache_in_a_fresh_process(setter, CACHE_URL=REDIS_URL) == "set"
    backend, value = json.loads(_cache_in_a_fresh_process(code, CACHE_URL=REDIS_URL))
    assert backend == "django.core.cache.backends.redis.RedisCache"
    assert value == "from server A"  # another process, the same cache
    backend, value = json.loads(_cache_in_a_fresh_process(code))
    assert backend == "django.core.cache.backends.locmem.LocMemCache"  # no CACHE_URL: per process
    assert value is None


def test_sessions_messages_and_lockouts_are_kept_where_every_server_sees_them():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.fallback.FallbackStorage"
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"

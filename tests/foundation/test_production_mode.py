"""Production mode end to end: collectstatic with DEBUG=false, then gunicorn serving pages and their
hashed static files through whitenoise, as the Docker image does."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests import factories

SITE_HOST = "clinic.example.org"
REQUEST_TIMEOUT = 60  # generous: the suite may run on a busy machine or under faketime
HASHED_STATIC = re.compile(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"')


def _production_env(static_root) -> dict:
    db = connection.settings_dict  # the test database, so gunicorn sees the rows this test commits
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="infusion_clinic.settings",
        DEBUG="false",
        SECRET_KEY="production-mode-test-key-2b7e151628aed2a6abf7158809cf4f3c",
        STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        CONN_MAX_AGE="0",
        # As in .env.example: only the clinic's domain, so a request to 127.0.0.1 must name it.
        ALLOWED_HOSTS=SITE_HOST,
        # Plain HTTP on loopback: the HTTPS-only defaults would redirect and drop the cookies.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
    )
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, data: bytes | None = None) -> urllib.request.Request:
    return urllib.request.Request(url, data=data, headers={"Host": SITE_HOST})


def _wait_until_serving(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read()
        try:
            urllib.request.urlopen(_request(base_url + "/accounts/login/"), timeout=REQUEST_TIMEOUT).close()
            return
        except OSError:  # refused while gunicorn starts, or a read timeout while its worker boots
            time.sleep(0.3)
    raise AssertionError("gunicorn did not answer within 180 s")


def _assert_static_files_served(opener, base_url: str, html: str) -> list[str]:
    paths = HASHED_STATIC.findall(html)
    assert paths, "the page names no hashed static files"
    for path in paths:
        with opener.open(_request(base_url + path), timeout=REQUEST_TIMEOUT) as response:
            assert response.status == 200, path
            assert "immutable" in response.headers["Cache-Control"], path
            assert "no-store" not in response.headers["Cache-Control"], path  # signed in, still cacheable
            assert response.read(), path
    return paths


@pytest.mark.django_db(transaction=True)
def test_it_serves_pages_and_hashed_static_files_with_debug_off_under_gunicorn(collected_static):
    env = _production_env(
        collected_static
    )  # collectstatic ran with DEBUG=false (tests/foundation/conftest.py)

    user = factories.reception_user(username="prodcheck")
    # The suite hashes with MD5 for speed; production settings only know the real hashers.
    user.password = PBKDF2PasswordHasher().encode("correct-horse-battery", "prodchecksalt", iterations=1000)
    user.save(update_fields=["password"])
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "infusion_clinic.wsgi:application"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_serving(base_url, server)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        with opener.open(_request(base_url + "/accounts/login/"), timeout=REQUEST_TIMEOUT) as response:
            login_html = response.read().decode()
        login_static = _assert_static_files_served(opener, base_url, login_html)
        assert any("bootstrap" in path for path in login_static)

        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_html).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "prodcheck", "password": "correct-horse-battery"}
        ).encode()
        with opener.open(_request(base_url + "/accounts/login/", form), timeout=REQUEST_TIMEOUT) as response:
            assert response.status == 200
            assert urllib.parse.urlparse(response.url).path == "/"  # signed in: the dashboard
            dashboard_html = response.read().decode()
        assert "Sign out" in dashboard_html
        _assert_static_files_served(opener, base_url, dashboard_html)

        # docker-compose.yml's health check, against the same server.
        healthcheck = subprocess.run(
            [sys.executable, "-m", "infusion_clinic.healthcheck", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert healthcheck.returncode == 0, healthcheck.stderr

        # The favicon a browser asks for on every page: a redirect to the hashed file, which is served.
        with opener.open(_request(base_url + "/favicon.ico"), timeout=REQUEST_TIMEOUT) as response:
            assert response.status == 200
            assert re.search(r"/static/img/favicon\.[0-9a-f]{12}\.ico$", response.url), response.url
            assert response.headers["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_it_vendors_every_source_map_that_a_static_file_names():
    # collectstatic with the manifest storage refuses a file that names a missing map.
    named = re.compile(r"[#@] sourceMappingURL=([^\s*]+)")
    static_dir = settings.BASE_DIR / "static"
    missing = [
        f"{path.relative_to(static_dir)} -> {name}"
        for path in static_dir.rglob("*")
        if path.suffix in (".js", ".css")
        for name in named.findall(path.read_text(errors="replace"))
        if not (path.parent / name).exists()
    ]
    assert not missing

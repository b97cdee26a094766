"""The Content-Security-Policy header on every page, its report-only switch, and `Cache-Control: no-store`
on the pages that may show patient data (a signed-in member of staff's pages, a patient's diary link),
never on static files or the health check."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from followup.diaries import create_diary_link, link_path
from sessions.models import InfusionSession, SessionStatus
from tests import factories

pytestmark = pytest.mark.django_db

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def _policy(header: str) -> dict:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def _assert_no_store(response):
    assert "no-store" in response.headers["Cache-Control"], response.headers.get("Cache-Control")
    assert response.headers["Pragma"] == "no-cache"


@pytest.mark.parametrize("path", ["/accounts/login/", "/"])
def test_every_page_sends_the_policy_with_no_inline_script_or_style(client, nurse_client, path):
    response = (nurse_client if path == "/" else client).get(path)
    assert response.status_code == 200
    assert _policy(response.headers["Content-Security-Policy"]) == DIRECTIVES
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response.headers


def test_csp_report_only_sends_the_same_policy_without_enforcing_it():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CONTENT_SECURITY_POLICY, sorted(s.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE="infusion_clinic.settings", DEBUG="true", CSP_REPORT_ONLY="true")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    enforced, directives = result.stdout.split(" ", 1)
    assert enforced == "None"
    assert eval(directives) == sorted(DIRECTIVES)  # noqa: S307 - our own subprocess's printed list


def test_patient_pages_the_record_and_a_diary_link_are_not_stored(client, nurse_client, clinic_morning):
    patient = factories.PatientFactory()
    version = factories.ProtocolVersionFactory()
    start = timezone.now() - timedelta(minutes=30)
    session = InfusionSession.objects.create(
        patient=patient,
        protocol_version=version,
        chair=factories.ChairFactory(),
        start=start,
        end=start + version.chair_time,
        status=SessionStatus.CHECKED_IN,
        booked_by=factories.UserFactory(),
        checked_in_at=start,
    )
    paths = [
        reverse("patients:patient_list"),
        reverse("patients:patient_detail", args=[patient.pk]),
        reverse("records:session_record", args=[session.pk]),
        reverse("followup:patient_diary", args=[patient.pk]),
    ]
    for path in paths:
        response = nurse_client.get(path)
        assert response.status_code == 200, path
        _assert_no_store(response)
    diary = client.get(link_path(create_diary_link(patient=patient, created_by=None)))
    assert diary.status_code == 200
    _assert_no_store(diary)
    assert not diary.wsgi_request.user.is_authenticated  # no-store because it is a diary link
    expired = client.get("/patients/diary/not-a-real-token/")
    _assert_no_store(expired)


def test_static_files_the_login_page_and_healthz_are_not_marked_no_store(client, nurse_client, settings):
    settings.CELERY_BROKER_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    static = nurse_client.get("/static/css/clinic.css")  # signed in, yet a static file stays cacheable
    assert "no-store" not in static.headers.get("Cache-Control", "")
    assert "Pragma" not in static.headers
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert "Pragma" not in login.headers
    health = client.get(reverse("healthz"))
    assert "Pragma" not in health.headers
    assert "no-cache" in health.headers["Cache-Control"]  # never_cache on the view itself

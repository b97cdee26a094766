"""Two-factor sign-in (infusion_clinic/mfa/): set-up at the first sign-in, the code step, recovery codes,
throttling, and the roles that need it. Signed in through the login page, as people are (the test
client's force_login counts as verified: tests/conftest.py)."""

import subprocess
import sys
from base64 import b32decode
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from infusion_clinic.mfa import services as mfa

from .. import factories
from ..conftest import authenticator_for, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _sign_in(username, next_url=""):
    client = Client()
    response = client.post(
        reverse("login") + (f"?next={next_url}" if next_url else ""),
        {"username": username, "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302, "the password was accepted"
    return client, response


def _code_from_secret(secret: str) -> str:
    """What an authenticator app shows for the secret typed in from the set-up page."""
    return f"{totp(b32decode(secret.replace(' ', ''))):06d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_nurse_sets_up_two_factor_at_the_first_sign_in_and_lands_on_the_page_asked_for(clinic_morning):
    factories.nurse_user(username="nadia")
    board = reverse("infusion_sessions:day_board")
    client, response = _sign_in("nadia", next_url=board)

    held = client.get(response["Location"])
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("mfa:enrol"))
    page = client.get(held["Location"])
    body = page.content.decode()
    assert "Set up two-factor sign-in" in body
    assert "<svg" in body and "QR code for your authenticator app" in body
    secret = page.context["secret"]
    assert len(secret.split()) == 8  # 32 base32 characters in groups of four

    confirmed = client.post(held["Location"], {"code": _code_from_secret(secret), "next": board})

    assert confirmed.status_code == 302
    codes_page = client.get(confirmed["Location"])
    codes = codes_page.context["codes"]
    assert len(codes) == mfa.RECOVERY_CODE_COUNT == 10
    assert len(set(codes)) == 10
    assert "shown only this once" in codes_page.content.decode()
    assert codes[0] in codes_page.content.decode()
    assert StaticToken.objects.filter(device__user__username="nadia").count() == 10
    assert TOTPDevice.objects.get(user__username="nadia").confirmed
    # Shown once: the page again has the status, not the codes.
    again = client.get(reverse("mfa:manage")).content.decode()
    assert codes[0] not in again
    assert "Recovery codes left" in again
    assert codes_page.context["next"] == board
    assert client.get(board).status_code == 200


def test_the_set_up_page_keeps_its_secret_until_confirmed_and_refuses_a_wrong_code(clinic_morning):
    factories.specialist_user(username="sam")
    client, _ = _sign_in("sam")
    first = client.get(reverse("mfa:enrol")).context["secret"]
    assert client.get(reverse("mfa:enrol")).context["secret"] == first

    refused = client.post(reverse("mfa:enrol"), {"code": _wrong(_code_from_secret(first))})
    not_digits = client.post(reverse("mfa:enrol"), {"code": "12ab"})

    assert "That code is not right" in refused.content.decode()
    assert "Enter the 6-digit code your authenticator app shows." in not_digits.content.decode()
    assert not TOTPDevice.objects.filter(user__username="sam", confirmed=True).exists()
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("mfa:enrol"))


def test_every_page_waits_for_the_code_and_htmx_or_json_get_403_not_a_redirect(clinic_morning):
    nurse = factories.nurse_user(username="nadia")
    authenticator_for(nurse)
    patient = factories.PatientFactory()
    client, _ = _sign_in("nadia")

    for url in (
        reverse("dashboard"),
        reverse("patients:patient_list"),
        reverse("patients:patient_detail", args=[patient.pk]),
        reverse("infusion_sessions:day_board"),
        reverse("mfa:manage"),
        reverse("password_change"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('mfa:verify')}?next={url.replace('/', '%2F')}", url
    assert client.post(reverse("patients:patient_list"), {"q": "x"})["Location"] == reverse("mfa:verify")

    htmx = client.get(reverse("patients:patient_list"), headers={"HX-Request": "true"})
    assert htmx.status_code == 403
    assert htmx["HX-Redirect"] == reverse("mfa:verify")
    fhir = client.get(reverse("records:patient_fhir", args=[patient.pk]))
    assert fhir.status_code == 403
    assert fhir.json() == {
        "detail": "Two-factor sign-in is needed: enter a code from your authenticator app first."
    }
    api = client.get(reverse("patients:patient_list"), headers={"Accept": "application/json"})
    assert api.status_code == 403

    # The public pages stay public, and the verify page itself answers (no redirect loop).
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("mfa:verify")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_the_right_code_lets_the_user_in_and_a_wrong_one_says_so(clinic_morning, time_machine):
    nurse = factories.nurse_user(username="nadia")
    device = authenticator_for(nurse)
    client, _ = _sign_in("nadia")

    wrong = client.post(reverse("mfa:verify"), {"code": _wrong(totp_code(device))})

    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    time_machine.shift(timedelta(seconds=2))  # past the 1-second wait after one wrong code
    right = client.post(reverse("mfa:verify"), {"code": totp_code(device), "next": "/patients/"})
    assert right["Location"] == "/patients/"
    assert client.get(reverse("dashboard")).status_code == 200


def test_wrong_codes_in_a_row_make_the_next_try_wait(clinic_morning, time_machine):
    nurse = factories.nurse_user(username="nadia")
    device = authenticator_for(nurse)
    client, _ = _sign_in("nadia")
    for wait in (1, 2, 4):
        client.post(reverse("mfa:verify"), {"code": _wrong(totp_code(device))})
        time_machine.shift(timedelta(seconds=wait))
    client.post(reverse("mfa:verify"), {"code": _wrong(totp_code(device))})  # the 4th: 8 seconds to wait

    throttled = client.post(reverse("mfa:verify"), {"code": totp_code(device)})

    assert throttled.status_code == 200
    assert "Too many wrong codes in a row: wait 8 seconds, then try again." in throttled.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    time_machine.shift(timedelta(seconds=8))
    assert client.post(reverse("mfa:verify"), {"code": totp_code(device)}).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_recovery_code_works_once(clinic_morning):
    nurse = factories.nurse_user(username="nadia")
    authenticator_for(nurse)
    codes = mfa.new_recovery_codes(user=nurse)
    first, _ = _sign_in("nadia")

    used = first.post(reverse("mfa:verify"), {"code": codes[0].upper().replace("-", " ")}, follow=True)

    assert used.status_code == 200
    assert "You signed in with a recovery code; it cannot be used again. 9 left." in used.content.decode()
    second, _ = _sign_in("nadia")
    again = second.post(reverse("mfa:verify"), {"code": codes[0]})
    assert "That code is not right" in again.content.decode()
    assert second.get(reverse("dashboard")).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(clinic_morning, nurse_client, nurse):
    old = mfa.new_recovery_codes(user=nurse)

    made = nurse_client.post(reverse("mfa:manage"), follow=True)

    new = made.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticToken.objects.filter(device__user=nurse).count() == 10


def test_a_user_with_an_authenticator_cannot_replace_it_before_the_code(clinic_morning):
    nurse = factories.nurse_user(username="nadia")
    authenticator_for(nurse)
    client, _ = _sign_in("nadia")

    response = client.get(reverse("mfa:enrol"))

    assert response["Location"].startswith(reverse("mfa:verify"))
    assert client.post(reverse("mfa:enrol"), {"code": "123456"})["Location"].startswith(reverse("mfa:verify"))


def test_the_next_address_never_leaves_the_site(clinic_morning):
    nurse = factories.nurse_user(username="nadia")
    device = authenticator_for(nurse)
    client, _ = _sign_in("nadia")

    response = client.post(
        reverse("mfa:verify"), {"code": totp_code(device), "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("dashboard")


def test_a_role_outside_the_setting_signs_in_with_the_password_alone(clinic_morning, settings):
    factories.reception_user(username="rita")
    factories.nurse_user(username="nadia")
    factories.admin_user(username="alex")
    rita, _ = _sign_in("rita")
    assert rita.get(reverse("dashboard")).status_code == 200

    settings.MFA_REQUIRED_ROLES = ["admin"]
    nadia, _ = _sign_in("nadia")
    alex, _ = _sign_in("alex")

    assert nadia.get(reverse("dashboard")).status_code == 200
    assert alex.get(reverse("dashboard"))["Location"].startswith(reverse("mfa:enrol"))
    assert rita.get(reverse("mfa:enrol"))["Location"] == reverse("dashboard")


def test_an_unknown_role_in_the_setting_stops_start_up_with_a_clear_message(settings):
    result = subprocess.run(
        [sys.executable, "-c", "import infusion_clinic.settings"],
        env={"MFA_REQUIRED_ROLES": "nurse,doctor", "DEBUG": "true", "PATH": "/usr/bin:/bin"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "MFA_REQUIRED_ROLES names unknown roles doctor" in result.stderr


def test_the_demo_login_page_says_when_two_factor_is_off(client, settings):
    assert 'data-testid="demo-without-mfa"' not in client.get(reverse("login")).content.decode()
    settings.DEBUG = True
    settings.MFA_REQUIRED_ROLES = []

    page = client.get(reverse("login")).content.decode()

    assert "Demo: two-factor sign-in is off (MFA_REQUIRED_ROLES is empty)" in page

"""Idle sign-out: 15 minutes without a request ends a staff session; the keep-alive counts as activity."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from .. import factories

pytestmark = pytest.mark.django_db

MESSAGE = "You were signed out after 15 minutes without activity."


def _patient_url():
    return reverse("patients:patient_detail", args=[factories.PatientFactory().pk])


def test_sixteen_quiet_minutes_sign_the_nurse_out_with_the_reason(time_machine, clinic_morning, nurse_client):
    url = _patient_url()
    assert nurse_client.get(url).status_code == 200
    time_machine.move_to(clinic_morning + timedelta(minutes=16), tick=False)
    response = nurse_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url.replace('/', '%2F')}"
    login_page = nurse_client.get(response["Location"])
    assert MESSAGE in login_page.content.decode()
    assert "_auth_user_id" not in nurse_client.session
    assert nurse_client.get(url).status_code == 302  # signed out for good, not just redirected once


def test_fourteen_quiet_minutes_keep_the_nurse_signed_in(time_machine, clinic_morning, nurse_client):
    url = _patient_url()
    nurse_client.get(url)
    time_machine.move_to(clinic_morning + timedelta(minutes=14), tick=False)
    assert nurse_client.get(url).status_code == 200
    # That request was activity: 14 more minutes are fine too (28 since the first).
    time_machine.move_to(clinic_morning + timedelta(minutes=28), tick=False)
    assert nurse_client.get(url).status_code == 200


def test_the_timeout_is_a_setting(settings, time_machine, clinic_morning, nurse_client):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 30
    url = _patient_url()
    nurse_client.get(url)
    time_machine.move_to(clinic_morning + timedelta(minutes=29), tick=False)
    assert nurse_client.get(url).status_code == 200
    time_machine.move_to(clinic_morning + timedelta(minutes=60), tick=False)
    response = nurse_client.get(url, follow=True)
    assert "signed out after 30 minutes" in response.content.decode()


def test_an_htmx_request_after_the_timeout_gets_401_and_hx_redirect(
    time_machine, clinic_morning, nurse_client
):
    url = _patient_url()
    nurse_client.get(url)
    time_machine.move_to(clinic_morning + timedelta(minutes=16), tick=False)
    response = nurse_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 401 and response["HX-Redirect"] == reverse("login")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [MESSAGE]


def test_the_keep_alive_counts_as_activity(time_machine, clinic_morning, nurse_client):
    url = _patient_url()
    nurse_client.get(url)
    time_machine.move_to(clinic_morning + timedelta(minutes=13), tick=False)
    assert nurse_client.post(reverse("audit:keep_alive")).status_code == 204
    time_machine.move_to(clinic_morning + timedelta(minutes=27), tick=False)
    assert nurse_client.get(url).status_code == 200


def test_the_keep_alive_is_too_late_after_the_timeout(time_machine, clinic_morning, nurse_client):
    nurse_client.get(_patient_url())
    time_machine.move_to(clinic_morning + timedelta(minutes=16), tick=False)
    response = nurse_client.post(reverse("audit:keep_alive"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_the_keep_alive_needs_a_signed_in_post(client, nurse_client):
    assert nurse_client.get(reverse("audit:keep_alive")).status_code == 405
    response = client.post(reverse("audit:keep_alive"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_browsers_sign_out_lands_on_the_login_page_with_the_reason(nurse_client):
    response = nurse_client.post(reverse("audit:idle_sign_out"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert MESSAGE in response.content.decode() and "_auth_user_id" not in nurse_client.session


def test_staff_pages_carry_the_seconds_left_and_public_diary_pages_none(
    time_machine, clinic_morning, nurse_client
):
    url = _patient_url()
    page = nurse_client.get(url).content.decode()
    assert 'data-idle-timeout="900"' in page and "js/idle.js" in page and 'id="idle-warning"' in page
    time_machine.move_to(clinic_morning + timedelta(minutes=5), tick=False)
    # The server stamped the activity at 11:00 and (a minute or more later) again at 11:05.
    assert 'data-idle-timeout="900"' in nurse_client.get(url).content.decode()
    public = nurse_client.get(reverse("followup:diary_public", args=["no-such-token"])).content.decode()
    assert "data-idle-timeout" not in public and "js/idle.js" not in public
    login = nurse_client.get(reverse("login")).content.decode()
    assert "data-idle-timeout" not in login

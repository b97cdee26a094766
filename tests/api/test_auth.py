"""Tokens (hashed, issued and revoked by clinic admins, logged) and the pages' session (CSRF, the
second factor)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from api import tokens
from api.models import ApiToken
from audit.models import AccessEvent

from .. import factories
from .conftest import call


@pytest.fixture
def issued(db, clinic_morning):
    admin = factories.admin_user(username="tokenadmin")
    nurse = factories.nurse_user(username="tokennurse")
    token, key = tokens.issue_token(user=nurse, name="Ward monitor", by=admin)
    return admin, nurse, token, key


def test_token_is_stored_hashed_and_logged_on_the_user(issued):
    admin, nurse, token, key = issued
    assert key.startswith("ic_") and key not in str(ApiToken.objects.values_list().get())
    assert token.digest == tokens.digest(key)
    entry = LogEntry.objects.get(object_id=str(nurse.pk))
    assert entry.user == admin and "Issued API token" in entry.get_change_message()


def test_token_authenticates_as_its_user(issued):
    _, nurse, token, key = issued
    for scheme in ("Token", "Bearer"):
        response = call(Client(), "GET", "/api/sessions/", HTTP_AUTHORIZATION=f"{scheme} {key}")
        assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["Token nonsense", "Token", "Token a b", "Bearer ic_" + "x" * 43])
def test_bad_token_is_401(issued, header):
    response = call(Client(), "GET", "/api/patients/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_revoked_expired_or_deactivated_token_is_refused(issued, time_machine):
    admin, nurse, token, key = issued
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    time_machine.shift(timedelta(days=366))  # past API_TOKEN_DAYS
    assert call(client, "GET", "/api/patients/").status_code == 401
    time_machine.shift(timedelta(days=-366))
    nurse.is_active = False
    nurse.save()
    assert call(client, "GET", "/api/patients/").status_code == 401
    nurse.is_active = True
    nurse.save()
    assert call(client, "GET", "/api/patients/").status_code == 200
    tokens.revoke_token(token=token, by=admin)
    response = call(client, "GET", "/api/patients/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid, expired or revoked token."}
    assert LogEntry.objects.filter(object_id=str(nurse.pk), change_message__contains="Revoked").exists()


def test_only_clinic_admins_issue_tokens(issued):
    _, nurse, _, _ = issued
    with pytest.raises(ValidationError):
        tokens.issue_token(user=nurse, name="Mine", by=nurse)
    with pytest.raises(ValidationError):
        tokens.issue_token(user=factories.UserFactory(username="nobody"), name="x", by=issued[0])
    superuser = factories.UserFactory(username="root", is_superuser=True)
    with pytest.raises(ValidationError, match="Only a superuser"):
        tokens.issue_token(user=superuser, name="x", by=issued[0])
    assert not ApiToken.objects.filter(user=superuser).exists()


def test_management_command_issues_lists_and_revokes(issued):
    admin, nurse, _, _ = issued
    out = StringIO()
    call_command(
        "api_token", "issue", "--user", nurse.username, "--name", "EPR", "--by", admin.username, stdout=out
    )
    key = out.getvalue().strip().splitlines()[-1]
    assert call(Client(), "GET", "/api/sessions/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    out = StringIO()
    call_command("api_token", "list", "--user", nurse.username, stdout=out)
    assert "EPR" in out.getvalue() and key not in out.getvalue()
    call_command(
        "api_token", "revoke", key[: tokens.PREFIX_LENGTH], "--by", admin.username, stdout=StringIO()
    )
    assert call(Client(), "GET", "/api/sessions/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


# --- the session ---------------------------------------------------------------------------------


def test_session_needs_csrf_for_writes(world, reception):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reception)
    assert call(client, "GET", "/api/patients/").status_code == 200
    body = {"reason": "Unwell"}
    response = call(client, "POST", f"/api/sessions/{world.booked.pk}/cancel/", body)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/")  # a page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = call(client, "POST", f"/api/sessions/{world.booked.pk}/cancel/", body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_unverified_session_of_a_two_factor_role_is_refused(world, client):
    """A nurse who typed her password but not yet the code: the pages send her to the code page; the
    API answers 403 JSON and shows nothing."""
    nurse = factories.nurse_user(username="halfway")
    response = client.post("/accounts/login/", {"username": "halfway", "password": "correct-horse-battery"})
    assert response.status_code == 302
    response = call(client, "GET", f"/api/patients/{world.patient.pk}/")
    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]
    assert not AccessEvent.objects.filter(user=nurse).exists()


def test_verified_session_of_a_two_factor_role_is_served(world, nurse_client):
    response = call(nurse_client, "GET", f"/api/patients/{world.patient.pk}/")
    assert response.status_code == 200
    assert response.json()["last_name"] == "Lovelace"


def test_an_idle_session_is_signed_out_as_on_the_pages(world, reception_client, time_machine, settings):
    assert call(reception_client, "GET", "/api/patients/").status_code == 200
    time_machine.shift(timedelta(minutes=settings.STAFF_IDLE_TIMEOUT_MINUTES - 1))
    assert call(reception_client, "GET", "/api/patients/").status_code == 200  # activity: the clock restarts
    time_machine.shift(timedelta(minutes=settings.STAFF_IDLE_TIMEOUT_MINUTES + 1))
    response = call(reception_client, "GET", "/api/patients/")
    assert response.status_code == 401
    assert "signed out" in response.json()["detail"]
    assert call(reception_client, "GET", "/api/patients/").status_code == 401  # the session is gone

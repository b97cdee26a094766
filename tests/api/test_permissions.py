"""Every API route: a role that may use it (answered), a role that may not (403 JSON), and no
credentials (401 JSON). The roles are the pages' (infusion_clinic/roles.py)."""

import pytest
from django.test import Client

from audit.models import AccessEvent
from patients.models import Patient
from records.models import VitalSigns
from sessions.models import InfusionSession

from .. import factories
from .conftest import VITALS, at, call, session_client, token_client

ROLE_USERS = {
    "reception": factories.reception_user,
    "nurse": factories.nurse_user,
    "specialist": factories.specialist_user,
    "admin": factories.admin_user,
}


def _new_patient_body():
    return {
        "first_name": "Grace",
        "last_name": "Hopper",
        "date_of_birth": "1960-12-09",
        "sex": "F",
        "postcode": "M1 1AA",
    }


def _referral_body(world):
    return {
        "patient": world.patient.pk,
        "source": "self",
        "received_on": "2026-11-20",
        "condition": "crps",
        "letter_text": "Dear colleague, please see this patient.",
        "funding_route": "self_pay",
    }


def _book_body(world):
    other = factories.PatientFactory()
    factories.ReferralFactory(patient=other, status="accepted")
    world.eligible(other)
    return {
        "patient": other.pk,
        "protocol_version": world.version.pk,
        "chair": world.chairs[1].pk,
        "start": at(world.tomorrow, 13).isoformat(),
    }


# (method, url, body, allowed role, refused role, status when allowed)
ROUTES = [
    ("GET", lambda w: "/api/patients/", None, "reception", None, 200),
    ("GET", lambda w: "/api/patients/?q=lovelace", None, "nurse", None, 200),
    ("POST", lambda w: "/api/patients/", lambda w: _new_patient_body(), "reception", "nurse", 201),
    ("GET", lambda w: f"/api/patients/{w.patient.pk}/", None, "admin", None, 200),
    (
        "PATCH",
        lambda w: f"/api/patients/{w.patient.pk}/",
        lambda w: {"town": "Salford"},
        "specialist",
        "nurse",
        200,
    ),
    ("GET", lambda w: "/api/referrals/", None, "specialist", None, 200),
    ("POST", lambda w: "/api/referrals/", _referral_body, "reception", "specialist", 201),
    ("GET", lambda w: f"/api/referrals/{w.referral.pk}/", None, "reception", None, 200),
    ("GET", lambda w: "/api/sessions/", None, "nurse", None, 200),
    ("POST", lambda w: "/api/sessions/", _book_body, "reception", "nurse", 201),
    ("GET", lambda w: f"/api/sessions/{w.booked.pk}/", None, "admin", None, 200),
    (
        "POST",
        lambda w: f"/api/sessions/{w.booked.pk}/cancel/",
        lambda w: {"reason": "Unwell"},
        "reception",
        "admin",
        200,
    ),
    ("GET", lambda w: f"/api/sessions/{w.checked_in.pk}/observations/", None, "specialist", "reception", 200),
    (
        "POST",
        lambda w: f"/api/sessions/{w.checked_in.pk}/observations/",
        lambda w: VITALS,
        "nurse",
        "specialist",
        201,
    ),
]
IDS = [f"{i:02d}-{route[0]}-{route[3]}" for i, route in enumerate(ROUTES)]


def _refused_client(role):
    if role is None:  # every role may read this: a signed-in account without a role may not
        return session_client(factories.UserFactory(username="norole"))
    return token_client(ROLE_USERS[role](username=f"refused-{role}"))


@pytest.mark.parametrize("method,url,body,allowed,refused,ok", ROUTES, ids=IDS)
def test_allowed_role(world, method, url, body, allowed, refused, ok):
    client = token_client(ROLE_USERS[allowed](username=f"allowed-{allowed}"))
    response = call(client, method, url(world), body(world) if body else None)
    assert response.status_code == ok, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("method,url,body,allowed,refused,ok", ROUTES, ids=IDS)
def test_refused_role(world, method, url, body, allowed, refused, ok):
    data = body(world) if body else None
    client = _refused_client(refused)
    before = _state()
    response = call(client, method, url(world), data)
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this."}
    assert _state() == before  # nothing written, nothing recorded as read
    assert not AccessEvent.objects.filter(kind="api").exists()


def _state():
    return (
        Patient.objects.count(),
        list(Patient.objects.order_by("pk").values_list("town", flat=True)),
        list(InfusionSession.objects.order_by("pk").values_list("status", flat=True)),
        VitalSigns.objects.count(),
    )


@pytest.mark.parametrize("method,url,body,allowed,refused,ok", ROUTES, ids=IDS)
def test_anonymous(world, method, url, body, allowed, refused, ok):
    response = call(Client(), method, url(world), body(world) if body else None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}

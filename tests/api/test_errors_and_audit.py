"""Malformed input is a 4xx JSON answer, never a 500; reads are in the access audit, one row a request."""

import pytest

from audit.models import AccessEvent, AccessKind
from patients.models import Patient

from .. import factories
from .conftest import VITALS, call, token_client


@pytest.fixture
def reception_api(world):
    return token_client(factories.reception_user(username="api-reception"))


def test_malformed_json_is_400(reception_api):
    response = call(reception_api, "POST", "/api/patients/", '{"first_name": ')
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_not_json_is_refused(reception_api):
    response = reception_api.post("/api/patients/", "first_name=A", content_type="text/plain")
    assert response.status_code == 415
    assert "detail" in response.json()
    # A form post's fields are not read as the API's: the JSON fields are missing.
    response = reception_api.post("/api/patients/", {"first_name": "A"})
    assert response.status_code == 400
    assert "required" in response.json()["last_name"][0]
    assert not Patient.objects.filter(first_name="A").exists()


def test_a_list_instead_of_an_object_is_400(reception_api):
    response = call(reception_api, "POST", "/api/patients/", [1, 2])
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_unknown_fields_are_refused(reception_api, world):
    body = {"first_name": "A", "last_name": "B", "date_of_birth": "1970-01-01", "sex": "F", "nhs_no": "1"}
    response = call(reception_api, "POST", "/api/patients/", body)
    assert response.status_code == 400
    assert response.json() == {"nhs_no": ["Unknown field."]}
    response = call(
        reception_api, "POST", f"/api/sessions/{world.booked.pk}/cancel/", {"reason": "x", "late": False}
    )
    assert response.json() == {"late": ["Unknown field."]}


def test_wrong_types_are_refused(reception_api, world):
    body = {"first_name": 12, "last_name": ["B"], "date_of_birth": 19700101, "sex": "F", "consent_sms": "yes"}
    response = call(reception_api, "POST", "/api/patients/", body)
    assert response.status_code == 400
    assert set(response.json()) == {"first_name", "last_name", "date_of_birth", "consent_sms"}
    nurse = token_client(factories.nurse_user(username="api-nurse"))
    url = f"/api/sessions/{world.checked_in.pk}/observations/"
    response = call(nurse, "POST", url, {**VITALS, "spo2": "97", "pain": 4.5, "on_oxygen": 1})
    assert response.status_code == 400
    assert set(response.json()) == {"spo2", "pain", "on_oxygen"}
    assert Patient.objects.filter(first_name="12").count() == 0


@pytest.mark.parametrize(
    "url", ["/api/patients/999999/", "/api/sessions/99999999999999999999/", "/api/patients/?page=99"]
)
def test_not_found_is_json(reception_api, url):
    response = call(reception_api, "GET", url)
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "query", ["date=2026-13-01", "date=9999-01-01", "patient=abc", "status=nope", "patient=0"]
)
def test_bad_filters_are_400(reception_api, query):
    response = call(reception_api, "GET", f"/api/sessions/?{query}")
    assert response.status_code == 400
    assert len(response.json()) == 1


def test_a_list_is_one_audit_row(world, reception_api):
    factories.PatientFactory.create_batch(3)
    response = call(reception_api, "GET", "/api/patients/?page_size=2")
    assert response.json()["count"] == 6 and len(response.json()["results"]) == 2
    event = AccessEvent.objects.get(kind=AccessKind.API)
    assert event.patient_id is None and "page 1, 2 of 6" in event.label
    assert event.path == "/api/patients/?page_size=2" and event.method == "GET"


def test_reading_a_patient_or_session_is_recorded_even_as_htmx(world, reception_api):
    call(reception_api, "GET", f"/api/patients/{world.patient.pk}/", HTTP_HX_REQUEST="true")
    call(reception_api, "GET", f"/api/sessions/{world.booked.pk}/")
    call(reception_api, "GET", f"/api/sessions/?patient={world.patient.pk}")
    events = list(AccessEvent.objects.filter(kind=AccessKind.API).order_by("id"))
    assert [e.patient_id for e in events] == [world.patient.pk] * 3
    assert events[0].object_id == world.patient.pk and events[1].object_id == world.booked.pk


@pytest.mark.parametrize(
    "url",
    ["/api/patients/", "/api/referrals/", "/api/sessions/", "/api/sessions/?date=2026-11-26"],
)
def test_list_queries_do_not_grow_with_rows(world, django_assert_max_num_queries, url):
    client = token_client(factories.reception_user(username="api-counter"))
    call(client, "GET", url)  # warm the content type cache
    for _ in range(5):
        patient = factories.PatientFactory()
        factories.ReferralFactory(patient=patient)
    with django_assert_max_num_queries(8):
        response = call(client, "GET", url)
    assert response.status_code == 200


def test_observation_list_queries_are_constant(world, django_assert_max_num_queries):
    nurse = factories.nurse_user(username="api-nurse-counter")
    client = token_client(nurse)
    url = f"/api/sessions/{world.checked_in.pk}/observations/"
    for minutes in (20, 15, 10, 5):
        call(client, "POST", url, {**VITALS, "observed_at": f"2026-11-25T10:{60 - minutes:02d}:00+00:00"})
    with django_assert_max_num_queries(8):
        response = call(client, "GET", url)
    assert response.json()["count"] == 4


def test_deeply_nested_json_is_400_not_a_server_error(reception_api):
    response = call(reception_api, "POST", "/api/patients/", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_nul_characters_are_400_in_a_body_and_in_a_query(reception_api, world):
    body = {"first_name": "A\x00", "last_name": "B", "date_of_birth": "1970-01-01", "sex": "F"}
    response = call(reception_api, "POST", "/api/patients/", body)
    assert response.status_code == 400 and "first_name" in response.json()
    response = call(reception_api, "POST", f"/api/sessions/{world.booked.pk}/cancel/", {"reason": "x\x00"})
    assert response.status_code == 400 and "reason" in response.json()
    response = call(reception_api, "GET", "/api/patients/?q=a%00b")
    assert response.status_code == 400 and response.json() == {"detail": "Bad request."}


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "PUT", "DELETE"])
def test_other_methods_answer_json_and_change_nothing(reception_api, world, method):
    before = Patient.objects.count()
    response = call(reception_api, method, f"/api/patients/{world.patient.pk}/")
    assert response.status_code in (200, 403, 405)
    if method in ("PUT", "DELETE"):
        assert response.status_code == 405
        assert "not allowed" in response.json()["detail"]
    assert Patient.objects.count() == before


@pytest.mark.parametrize(
    "path", ["/api/patients/{patient}/", "/api/referrals/{referral}/", "/api/sessions/{session}/"]
)
def test_detail_queries_are_few(world, django_assert_max_num_queries, path):
    client = token_client(factories.reception_user(username="api-detail"))
    url = path.format(patient=world.patient.pk, referral=world.referral.pk, session=world.booked.pk)
    call(client, "GET", url)
    with django_assert_max_num_queries(6):
        assert call(client, "GET", url).status_code == 200

"""Every write goes through the page's form and the app's service: their refusals come back as 400
`{"field": ["message"]}` and nothing changes."""

import pytest

from patients.models import Patient, Referral
from records.models import VitalSigns
from sessions.models import InfusionSession, SessionStatus

from .. import factories
from .conftest import VITALS, at, call, token_client


@pytest.fixture
def reception_api(world):
    return token_client(factories.reception_user(username="api-reception"))


@pytest.fixture
def nurse_api(world):
    return token_client(factories.nurse_user(username="api-nurse"))


def test_register_patient_uses_the_form_rules(reception_api):
    body = {"first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1960-12-09", "sex": "F"}
    response = call(
        reception_api, "POST", "/api/patients/", {**body, "nhs_number": "943 476 5918", "postcode": "nope"}
    )
    assert response.status_code == 400
    errors = response.json()
    assert "check digit" in errors["nhs_number"][0]
    assert errors["postcode"] == ["Enter a UK postcode, e.g. M14 5TQ."]
    assert not Patient.objects.filter(last_name="Hopper").exists()
    response = call(
        reception_api,
        "POST",
        "/api/patients/",
        {**body, "nhs_number": "943 476 5919", "phone": "07700 900123"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["nhs_number"] == "9434765919" and data["phone"] == "+447700900123"
    assert data["notes"] is None  # reception does not see clinical notes


def test_reception_may_not_set_clinical_notes(reception_api, world):
    response = call(reception_api, "PATCH", f"/api/patients/{world.patient.pk}/", {"notes": "x"})
    assert response.status_code == 400
    assert response.json() == {"notes": ["Only clinical staff may set this."]}


def test_patch_changes_only_the_fields_given(world):
    specialist = token_client(factories.specialist_user(username="api-spec"))
    response = call(
        specialist,
        "PATCH",
        f"/api/patients/{world.patient.pk}/",
        {"notes": "Prefers mornings", "town": "Bury"},
    )
    assert response.status_code == 200, response.content
    world.patient.refresh_from_db()
    assert (world.patient.notes, world.patient.town, world.patient.last_name) == (
        "Prefers mornings",
        "Bury",
        "Lovelace",
    )
    assert world.patient.history.count() == 2  # created, changed: simple-history follows the API too


def test_referral_intake_for_a_new_patient(reception_api, world):
    body = {
        "new_patient": {
            "first_name": "Alan",
            "last_name": "Turing",
            "date_of_birth": "1954-06-07",
            "sex": "M",
            "gp_practice_name": "Riverside",
            "gp_practice_ods": "P84001",
        },
        "source": "gp",
        "received_on": "2026-11-20",
        "condition": "fibromyalgia",
        "letter_text": "Please see.",
        "funding_route": "nhs",
        "commissioner": factories.CommissionerFactory().pk,
    }
    response = call(reception_api, "POST", "/api/referrals/", body)
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.status == "received" and referral.gp_practice_name == "Riverside"
    assert referral.events.count() == 1
    # The form's and the model's rules: an NHS referral needs its commissioner, a letter is required.
    response = call(
        reception_api, "POST", "/api/referrals/", {**body, "commissioner": None, "letter_text": ""}
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"letter_text", "commissioner"}


def test_booking_refuses_a_double_booking(reception_api, world):
    other = factories.PatientFactory()
    factories.ReferralFactory(patient=other, status="accepted")
    world.eligible(other)
    body = {
        "patient": other.pk,
        "protocol_version": world.version.pk,
        "chair": world.chairs[0].pk,
        "start": at(world.tomorrow, 10).isoformat(),
    }
    before = InfusionSession.objects.count()
    response = call(reception_api, "POST", "/api/sessions/", body)
    assert response.status_code == 400
    assert "chair" in response.json()
    # The patient already booked tomorrow at 10:00 cannot be booked at the same time on another chair.
    body = {**body, "patient": world.patient.pk, "chair": world.chairs[1].pk}
    response = call(reception_api, "POST", "/api/sessions/", body)
    assert response.status_code == 400
    assert "patient" in response.json()
    assert InfusionSession.objects.count() == before


def test_booking_refuses_the_past_and_an_ineligible_patient(reception_api, world):
    body = {
        "patient": world.patient.pk,
        "protocol_version": world.version.pk,
        "chair": world.chairs[2].pk,
        "start": at(world.tomorrow, 14).isoformat(),
    }
    response = call(reception_api, "POST", "/api/sessions/", {**body, "start": "2026-11-24T10:00:00+00:00"})
    assert response.status_code == 400 and "in the past" in response.json()["start"][0]
    stranger = factories.PatientFactory()
    response = call(reception_api, "POST", "/api/sessions/", {**body, "patient": stranger.pk})
    assert response.status_code == 400 and "referral" in response.json()
    response = call(reception_api, "POST", "/api/sessions/", {**body, "start": "2026-11-26T14:00:00"})
    assert response.status_code == 400 and "time zone" in response.json()["start"][0]


def test_cancel_needs_a_reason_and_a_cancellable_session(reception_api, world):
    url = f"/api/sessions/{world.booked.pk}/cancel/"
    response = call(reception_api, "POST", url, {"reason": "   "})
    assert response.status_code == 400 and "reason" in response.json()
    response = call(reception_api, "POST", url, {})
    assert response.status_code == 400 and "reason" in response.json()
    world.booked.refresh_from_db()
    assert world.booked.status == SessionStatus.BOOKED
    response = call(reception_api, "POST", url, {"reason": "Patient unwell"})
    assert response.status_code == 200
    assert response.json()["late_cancellation"] is True  # under 48 hours before the start
    response = call(reception_api, "POST", url, {"reason": "Again"})
    assert response.status_code == 400 and "cannot be cancelled" in response.json()["status"][0]


def test_charting_computes_news2(nurse_api, world):
    url = f"/api/sessions/{world.checked_in.pk}/observations/"
    response = call(nurse_api, "POST", url, {**VITALS, "respiratory_rate": 25})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["news2_total"] == 3 and data["news2_band"]
    assert call(nurse_api, "GET", url).json()["count"] == 1


def test_charting_refuses_a_locked_record(nurse_api, world):
    url = f"/api/sessions/{world.signed_off.pk}/observations/"
    response = call(nurse_api, "POST", url, VITALS)
    assert response.status_code == 400
    assert "signed off" in response.json()["non_field_errors"][0]
    assert not VitalSigns.objects.filter(session=world.signed_off).exists()


def test_charting_refuses_values_beyond_the_hard_ranges(nurse_api, world):
    url = f"/api/sessions/{world.checked_in.pk}/observations/"
    for field, value in (("spo2", 101), ("systolic", 400), ("pain", 11), ("temperature", "45.9")):
        response = call(nurse_api, "POST", url, {**VITALS, field: value})
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()
    response = call(nurse_api, "POST", url, {**VITALS, "diastolic": 130})
    assert response.status_code == 400 and "diastolic" in response.json()
    response = call(nurse_api, "POST", url, {**VITALS, "observed_at": "2026-11-25T12:00:00+00:00"})
    assert response.status_code == 400 and "future" in response.json()["observed_at"][0]
    response = call(nurse_api, "POST", url, {**VITALS, "observed_at": "2026-11-25T09:00:00+00:00"})
    assert response.status_code == 400 and "before check-in" in response.json()["observed_at"][0]
    assert not VitalSigns.objects.exists()


def test_a_protocol_with_a_course_books_the_whole_course_as_the_page_does(reception_api, world):
    course_version = factories.ProtocolVersionFactory(course_sessions=3, course_interval_days=1)
    body = {
        "patient": world.patient.pk,
        "protocol_version": course_version.pk,
        "chair": world.chairs[2].pk,
        "start": at(world.tomorrow, 14).isoformat(),
    }
    response = call(reception_api, "POST", "/api/sessions/", body)
    assert response.status_code == 201, response.content
    first = response.json()
    assert first["sequence"] == 1 and first["course"] is not None
    listed = call(reception_api, "GET", f"/api/sessions/?course={first['course']}").json()
    assert [s["sequence"] for s in listed["results"]] == [1, 2, 3]
    # Thursday, Friday, then the weekend is skipped: Monday.
    assert [s["start"][:10] for s in listed["results"]] == ["2026-11-26", "2026-11-27", "2026-11-30"]

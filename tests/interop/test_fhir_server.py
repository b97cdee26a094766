"""The FHIR R4 server under /fhir/: read and search of each resource, identifier and date searches,
paging, OperationOutcome errors, who may read what, the access audit and constant query counts. Every
resource the tests get back is validated with fhir.resources (R4B) by fhir_get (conftest.validate)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import tokens
from audit.models import AccessEvent, AccessKind
from infusion_clinic.mfa.services import has_authenticator
from records import services as records_services
from records.models import VitalSigns
from tests import factories

from .conftest import FHIR_JSON, NHS_NUMBER, chart, fhir_get, infusion, validate

pytestmark = pytest.mark.django_db

NHS = "https://fhir.nhs.uk/Id/nhs-number"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def pid(patient):
    return f"patient-{patient.pk}"


def ok(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR_JSON
    assert "no-store" in response["Cache-Control"]
    return response.json()


def outcome(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == FHIR_JSON
    data = validate(response.json())
    assert data["resourceType"] == "OperationOutcome"
    assert data["issue"][0]["code"] == code
    assert data["issue"][0]["severity"] == "error"
    return data["issue"][0]["diagnostics"]


# --- CapabilityStatement ----------------------------------------------------------------------------


def test_metadata_states_each_resource_with_read_search_and_its_parameters(specialist_client):
    data = ok(fhir_get(specialist_client, "/fhir/metadata"))
    assert data["resourceType"] == "CapabilityStatement"
    assert data["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in data["rest"][0]["resource"]}
    assert set(served) == {
        "Patient",
        "ServiceRequest",
        "Appointment",
        "Observation",
        "MedicationAdministration",
    }
    assert {"name": "identifier", "type": "token"} in served["Patient"]["searchParam"]
    assert {"name": "date", "type": "date"} in served["Appointment"]["searchParam"]
    assert {i["code"] for i in served["Observation"]["interaction"]} == {"read", "search-type"}


def test_metadata_is_open_without_signing_in_and_records_no_access():
    data = ok(fhir_get(Client(), "/fhir/metadata"))
    assert data["resourceType"] == "CapabilityStatement"
    assert not AccessEvent.objects.exists()


# --- Patient ----------------------------------------------------------------------------------------


def test_it_reads_a_patient_and_records_the_access(clinic, reception, reception_client):
    data = ok(fhir_get(reception_client, f"/fhir/Patient/{pid(clinic.ada)}"))
    assert data["resourceType"] == "Patient"
    assert data["id"] == pid(clinic.ada)
    assert ok(fhir_get(reception_client, f"/fhir/Patient/{pid(clinic.ada)}", name="Bob"))["id"] == data["id"]
    assert {"use": "official", "system": NHS, "value": NHS_NUMBER} in data["identifier"]
    assert data["birthDate"] == "1961-03-09"
    event = AccessEvent.objects.first()
    assert AccessEvent.objects.count() == 2, "one row a request"
    assert (event.user, event.kind, event.patient_id, event.object_id) == (
        reception,
        AccessKind.FHIR,
        clinic.ada.pk,
        clinic.ada.pk,
    )
    assert event.content_type.model == "patient"
    assert event.path == f"/fhir/Patient/{pid(clinic.ada)}?name=Bob"
    assert event.label == f"FHIR read Patient/{pid(clinic.ada)}"


@pytest.mark.parametrize(
    "identifier",
    [f"{NHS}|{NHS_NUMBER}", NHS_NUMBER, "|9434765919", f"{NHS}|943 476 5919"],
)
def test_it_finds_a_patient_by_nhs_number(clinic, reception_client, identifier):
    bundle = ok(fhir_get(reception_client, "/fhir/Patient", identifier=identifier))
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 1
    assert ids(bundle) == [pid(clinic.ada)]
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/fhir/Patient/{pid(clinic.ada)}"
    assert bundle["entry"][0]["search"] == {"mode": "match"}


def test_the_issue_s_example_url_finds_the_patient(clinic, reception_client):
    response = reception_client.get(
        "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", headers={"Accept": FHIR_JSON}
    )
    assert ids(validate(ok(response))) == [pid(clinic.ada)]


def test_an_identifier_of_another_system_or_an_unknown_number_finds_nobody(clinic, reception_client):
    # A part of a number is not the number: the identifier search never finds a look-alike patient.
    for identifier in (
        "https://example.org/mrn|9434765919",
        f"{NHS}|9990000018",
        f"{NHS}|943476",
        "94347659",
    ):
        bundle = ok(fhir_get(reception_client, "/fhir/Patient", identifier=identifier))
        assert bundle["total"] == 0
        assert "entry" not in bundle
    assert not AccessEvent.objects.exists(), "nothing found, no patient data shown"


def test_it_finds_a_patient_by_the_clinic_s_own_number(clinic, reception_client):
    bundle = ok(
        fhir_get(
            reception_client,
            "/fhir/Patient",
            identifier=f"http://127.0.0.1:8000/fhir/patient-number|{clinic.bob.pk}",
        )
    )
    assert ids(bundle) == [pid(clinic.bob)]


def test_it_searches_patients_by_name_family_given_and_birthdate(clinic, reception_client):
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", name="lovel"))) == [pid(clinic.ada)]
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", name="ada lovelace"))) == [pid(clinic.ada)]
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", family="Babbage"))) == [pid(clinic.bob)]
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", given="Bob"))) == [pid(clinic.bob)]
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", birthdate="1961-03-09"))) == [pid(clinic.ada)]
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", birthdate="1961"))) == [pid(clinic.ada)]
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", birthdate="gt1961-03-09"))) == [pid(clinic.bob)]
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", birthdate="le1961-03-09"))) == [pid(clinic.ada)]
    both = ok(fhir_get(reception_client, "/fhir/Patient", birthdate="ge1960-01-01"))
    assert set(ids(both)) == {pid(clinic.ada), pid(clinic.bob)}
    assert ids(ok(fhir_get(reception_client, "/fhir/Patient", name="Ada", family="Babbage"))) == []


# --- ServiceRequest ---------------------------------------------------------------------------------


def test_it_reads_and_searches_referrals(clinic, reception_client):
    ref = f"referral-{clinic.ada_referral.pk}"
    data = ok(fhir_get(reception_client, f"/fhir/ServiceRequest/{ref}"))
    assert data["resourceType"] == "ServiceRequest"
    assert data["status"] == "active" and data["intent"] == "order"
    assert data["subject"]["reference"] == f"Patient/{pid(clinic.ada)}"
    assert data["authoredOn"] == "2026-10-01"
    assert data["requester"]["identifier"]["value"] == "P84001"

    assert ids(ok(fhir_get(reception_client, "/fhir/ServiceRequest", patient=pid(clinic.ada)))) == [ref]
    assert ids(
        ok(fhir_get(reception_client, "/fhir/ServiceRequest", subject=f"Patient/{pid(clinic.ada)}"))
    ) == [ref]
    bob = f"referral-{clinic.bob_referral.pk}"
    assert ids(ok(fhir_get(reception_client, "/fhir/ServiceRequest", status="revoked"))) == [bob]
    assert ids(ok(fhir_get(reception_client, "/fhir/ServiceRequest", status="active,revoked"))) == [ref, bob]
    assert ids(ok(fhir_get(reception_client, "/fhir/ServiceRequest", authored="ge2026-11-01"))) == [bob]
    assert ids(ok(fhir_get(reception_client, "/fhir/ServiceRequest", authored="2026-10"))) == [ref]
    assert ids(ok(fhir_get(reception_client, "/fhir/ServiceRequest", authored="lt2026-10-01"))) == []


# --- Appointment ------------------------------------------------------------------------------------


def test_it_reads_a_session_as_an_appointment(clinic, reception_client):
    session = clinic.ada_session
    data = ok(fhir_get(reception_client, f"/fhir/Appointment/session-{session.pk}"))
    assert data["status"] == "arrived"  # in progress: the infusion was stopped but not yet completed
    assert data["start"] == timezone.localtime(session.start).isoformat(timespec="seconds")
    assert data["basedOn"] == [{"reference": f"ServiceRequest/referral-{clinic.ada_referral.pk}"}]
    assert data["participant"][0]["actor"]["reference"] == f"Patient/{pid(clinic.ada)}"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2026-11-25", {"ada_session", "bob_session"}),
        ("eq2026-11-25", {"ada_session", "bob_session"}),
        ("ge2026-11-25", {"ada_session", "bob_session", "ada_next"}),
        ("gt2026-11-25", {"ada_next"}),
        ("le2026-11-25", {"ada_session", "bob_session"}),
        ("lt2026-11-25", set()),
        ("ne2026-11-25", {"ada_next"}),
        ("2026-12", {"ada_next"}),
        ("ge2026-11-25T09:30:00+00:00", {"ada_next"}),
        ("lt2026-11-25T09:30:00Z", {"ada_session", "bob_session"}),
    ],
)
def test_appointment_dates_take_the_fhir_prefixes(clinic, reception_client, date, expected):
    bundle = ok(fhir_get(reception_client, "/fhir/Appointment", date=date))
    wanted = {f"session-{getattr(clinic, name).pk}" for name in expected}
    assert set(ids(bundle)) == wanted
    assert bundle["total"] == len(wanted)


def test_appointments_by_patient_status_and_a_date_range(clinic, reception_client):
    ada = ok(fhir_get(reception_client, "/fhir/Appointment", patient=pid(clinic.ada)))
    assert ids(ada) == [f"session-{clinic.ada_session.pk}", f"session-{clinic.ada_next.pk}"]
    booked = ok(fhir_get(reception_client, "/fhir/Appointment", status="booked"))
    assert ids(booked) == [f"session-{clinic.ada_next.pk}"]
    response = reception_client.get(
        "/fhir/Appointment?date=ge2026-11-26&date=lt2026-12-03&patient=" + pid(clinic.ada),
        headers={"Accept": FHIR_JSON},
    )
    assert ids(validate(ok(response))) == [f"session-{clinic.ada_next.pk}"]


# --- Observation ------------------------------------------------------------------------------------


def test_a_charted_row_gives_vital_signs_pain_and_news2(clinic, nurse_client):
    row = VitalSigns.objects.filter(session=clinic.ada_session).order_by("observed_at").first()
    bundle = ok(
        fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada), date="2026-11-25", _count=7)
    )
    assert bundle["total"] == 21  # 3 rows x (bp, hr, rr, spo2, temp, pain, news2)
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    assert set(by_id) == {
        f"vitals-{row.pk}-{key}" for key in ("bp", "hr", "rr", "spo2", "temp", "pain", "news2")
    }
    hr = by_id[f"vitals-{row.pk}-hr"]
    assert hr["code"]["coding"][0] == {"system": LOINC, "code": "8867-4", "display": "Heart rate"}
    assert hr["valueQuantity"] == {
        "value": 80,
        "unit": "beats/minute",
        "system": "http://unitsofmeasure.org",
        "code": "/min",
    }
    assert hr["category"][0]["coding"][0]["code"] == "vital-signs"
    bp = by_id[f"vitals-{row.pk}-bp"]
    assert [c["code"]["coding"][0]["code"] for c in bp["component"]] == ["8480-6", "8462-4"]
    assert by_id[f"vitals-{row.pk}-temp"]["valueQuantity"]["code"] == "Cel"
    assert by_id[f"vitals-{row.pk}-pain"]["valueQuantity"] == {
        "value": 4,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    news2 = by_id[f"vitals-{row.pk}-news2"]
    assert news2["category"][0]["coding"][0]["code"] == "survey"
    assert news2["code"]["coding"][0] == {
        "system": SNOMED,
        "code": "1104051000000101",
        "display": "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score",
    }
    assert news2["valueQuantity"]["value"] == row.news2_total


def test_observations_by_code_category_and_date(clinic, nurse_client):
    ada_rows = list(VitalSigns.objects.filter(session=clinic.ada_session).order_by("observed_at", "pk"))
    hr = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada), code=f"{LOINC}|8867-4"))
    assert ids(hr) == [f"vitals-{r.pk}-hr" for r in ada_rows]
    assert ok(fhir_get(nurse_client, "/fhir/Observation", code="8867-4"))["total"] == 4  # Ada's 3, Bob's 1
    assert ok(fhir_get(nurse_client, "/fhir/Observation", code=f"{SNOMED}|8867-4"))["total"] == 0
    both = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada), code="8867-4,9279-1"))
    assert both["total"] == 6
    survey = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada), category="survey"))
    assert ids(survey) == [f"vitals-{r.pk}-news2" for r in ada_rows]
    vitals = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada), category="vital-signs"))
    assert vitals["total"] == 19  # 3 rows x 6 vital signs, and her recorded weight
    news2 = ok(
        fhir_get(nurse_client, "/fhir/Observation", code=f"{SNOMED}|1104051000000101", category="survey")
    )
    assert news2["total"] == 4
    assert ok(fhir_get(nurse_client, "/fhir/Observation", code="8867-4", category="survey"))["total"] == 0
    # Charted 50, 40 and 30 minutes before 11:00; Bob's at 10:15.
    late = ok(fhir_get(nurse_client, "/fhir/Observation", code="8867-4", date="ge2026-11-25T10:20:00+00:00"))
    assert ids(late) == [f"vitals-{r.pk}-hr" for r in ada_rows[1:]]
    assert ok(fhir_get(nurse_client, "/fhir/Observation", code="8867-4", date="lt2026-11-25"))["total"] == 0


def test_it_reads_one_observation(clinic, nurse_client):
    row = VitalSigns.objects.filter(session=clinic.ada_session).first()
    data = ok(fhir_get(nurse_client, f"/fhir/Observation/vitals-{row.pk}-news2"))
    assert data["id"] == f"vitals-{row.pk}-news2"
    assert data["subject"] == {"reference": f"Patient/{pid(clinic.ada)}", "display": "Ada Lovelace"}
    event = AccessEvent.objects.get()
    assert (event.patient_id, event.object_id, event.content_type.model) == (
        clinic.ada.pk,
        row.pk,
        "vitalsigns",
    )
    outcome(fhir_get(nurse_client, f"/fhir/Observation/vitals-{row.pk}-weight"), 404, "not-found")
    outcome(fhir_get(nurse_client, "/fhir/Observation/vitals-999999-hr"), 404, "not-found")


def test_a_recorded_weight_is_a_body_weight_observation(clinic, nurse, nurse_client):
    weight = clinic.ada.weights.get()
    data = ok(fhir_get(nurse_client, f"/fhir/Observation/weight-{weight.pk}"))
    assert data["code"]["coding"] == [{"system": LOINC, "code": "29463-7", "display": "Body weight"}]
    assert data["valueQuantity"] == {
        "value": 70,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert data["category"][0]["coding"][0]["code"] == "vital-signs"
    assert data["status"] == "final"
    assert data["effectiveDateTime"] == "2026-11-18"  # a week before the pinned morning
    assert data["subject"] == {"reference": f"Patient/{pid(clinic.ada)}", "display": "Ada Lovelace"}
    event = AccessEvent.objects.get()
    assert (event.patient_id, event.object_id, event.content_type.model) == (
        clinic.ada.pk,
        weight.pk,
        "weightrecord",
    )
    outcome(fhir_get(nurse_client, "/fhir/Observation/weight-999999"), 404, "not-found")
    outcome(fhir_get(nurse_client, f"/fhir/Observation/weight-{weight.pk}-hr"), 404, "not-found")


def test_weights_by_patient_code_category_and_date(clinic, nurse, nurse_client):
    later = factories.WeightRecordFactory(
        patient=clinic.ada, recorded_on=timezone.localdate(), weight_kg="68.5", height_cm="165.0"
    )
    first = clinic.ada.weights.order_by("recorded_on").first()
    ada = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada), code=f"{LOINC}|29463-7"))
    assert ids(ada) == [f"weight-{first.pk}", f"weight-{later.pk}"]
    assert ada["entry"][1]["resource"]["valueQuantity"]["value"] == 68.5
    assert ok(fhir_get(nurse_client, "/fhir/Observation", code="29463-7"))["total"] == 3  # Bob's too
    assert ok(fhir_get(nurse_client, "/fhir/Observation", code=f"{SNOMED}|29463-7"))["total"] == 0
    assert ok(fhir_get(nurse_client, "/fhir/Observation", code="29463-7", category="survey"))["total"] == 0
    today = ok(fhir_get(nurse_client, "/fhir/Observation", code="29463-7", date="2026-11-25"))
    assert ids(today) == [f"weight-{later.pk}"]
    before = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada), date="lt2026-11-25"))
    assert ids(before) == [f"weight-{first.pk}"]  # her charted rows are of this morning
    both = ok(fhir_get(nurse_client, "/fhir/Observation", code="29463-7,8867-4", patient=pid(clinic.ada)))
    assert both["total"] == 5 and ids(both)[-2:] == [f"weight-{first.pk}", f"weight-{later.pk}"]
    by_id = ok(fhir_get(nurse_client, "/fhir/Observation", _id=f"weight-{first.pk},weight-{later.pk}"))
    assert by_id["total"] == 2
    row = VitalSigns.objects.filter(session=clinic.ada_session).first()
    mixed = ok(fhir_get(nurse_client, "/fhir/Observation", _id=f"vitals-{row.pk}-hr,weight-{later.pk}"))
    assert ids(mixed) == [f"vitals-{row.pk}-hr", f"weight-{later.pk}"]
    only_weights = ok(fhir_get(nurse_client, "/fhir/Observation", _id=f"weight-{later.pk}", code="8867-4"))
    assert only_weights["total"] == 0


# --- MedicationAdministration -----------------------------------------------------------------------


def test_the_dose_given_with_volume_and_rate(clinic, nurse_client):
    session = clinic.ada_session
    data = ok(fhir_get(nurse_client, f"/fhir/MedicationAdministration/session-{session.pk}-infusion"))
    record = session.record
    assert data["status"] == "stopped"  # stopped early (Dizziness)
    assert data["statusReason"] == [{"text": "Stopped early: Dizziness"}]
    assert data["dosage"]["route"]["coding"][0]["code"] == "47625008"
    assert data["dosage"]["dose"]["code"] == "mg"
    assert 0 < data["dosage"]["dose"]["value"] < float(record.dose_mg)
    assert data["dosage"]["rateQuantity"] == {
        "value": float(record.rate_ml_per_h),
        "unit": "mL/h",
        "system": "http://unitsofmeasure.org",
        "code": "mL/h",
    }
    assert "mL" in data["dosage"]["text"]
    assert data["supportingInformation"] == [{"reference": f"Appointment/session-{session.pk}"}]
    assert data["effectivePeriod"]["start"] == timezone.localtime(record.started_at).isoformat(
        timespec="seconds"
    )


def test_doses_given_by_patient_and_date(clinic, nurse_client):
    ada = ok(fhir_get(nurse_client, "/fhir/MedicationAdministration", patient=pid(clinic.ada)))
    assert ids(ada) == [f"session-{clinic.ada_session.pk}-infusion"]
    today = ok(fhir_get(nurse_client, "/fhir/MedicationAdministration", date="2026-11-25"))
    assert today["total"] == 2
    assert ok(fhir_get(nurse_client, "/fhir/MedicationAdministration", date="gt2026-11-25"))["total"] == 0


# --- paging -----------------------------------------------------------------------------------------


def _relative(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_count_pages_through_every_observation_by_next_links(clinic, nurse_client):
    expected = ok(fhir_get(nurse_client, "/fhir/Observation", _count=200))
    # Ada's 3 rows and Bob's 1, seven observations each, then their two recorded weights.
    assert expected["total"] == 30
    assert [i.split("-")[0] for i in ids(expected)] == ["vitals"] * 28 + ["weight"] * 2
    seen, pages = [], 0
    url = "/fhir/Observation?_count=5"
    while url:
        bundle = ok(fhir_get(nurse_client, url))
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert bundle["total"] == 30
        assert ("previous" in links) == (pages > 0)
        assert links["self"].startswith("http://testserver/fhir/Observation?")
        seen += ids(bundle)
        pages += 1
        url = _relative(links["next"]) if "next" in links else None
    assert pages == 6
    assert seen == ids(expected), "every observation once, in the same order"


def test_a_page_keeps_the_search_in_its_links_and_goes_back(clinic, reception_client):
    first = ok(fhir_get(reception_client, "/fhir/Appointment", patient=pid(clinic.ada), _count=1))
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert f"patient={pid(clinic.ada)}" in links["next"] and "_offset=1" in links["next"]
    second = ok(fhir_get(reception_client, _relative(links["next"])))
    assert ids(second) == [f"session-{clinic.ada_next.pk}"]
    back = {link["relation"]: link["url"] for link in second["link"]}
    assert "next" not in back
    assert ids(ok(fhir_get(reception_client, _relative(back["previous"])))) == ids(first)


def test_count_is_bounded_and_zero_gives_the_total_only(clinic, reception_client):
    big = ok(fhir_get(reception_client, "/fhir/Appointment", _count=100000))
    assert "_count=200" in big["link"][0]["url"]
    assert big["total"] == 3
    default = ok(fhir_get(reception_client, "/fhir/Appointment"))
    assert "_count=50" in default["link"][0]["url"]
    none = ok(fhir_get(reception_client, "/fhir/Appointment", _count=0))
    assert none["total"] == 3 and "entry" not in none
    past = ok(fhir_get(reception_client, "/fhir/Appointment", _offset=10))
    assert past["total"] == 3 and "entry" not in past


# --- query counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "permission_client"),
    [
        ("/fhir/Patient", "reception_client"),
        ("/fhir/ServiceRequest", "reception_client"),
        ("/fhir/Appointment", "reception_client"),
        ("/fhir/Observation", "nurse_client"),
        ("/fhir/MedicationAdministration", "nurse_client"),
    ],
)
def test_a_search_costs_the_same_queries_for_many_rows(
    clinic, nurse, request, django_assert_max_num_queries, path, permission_client
):
    client = request.getfixturevalue(permission_client)
    with django_assert_max_num_queries(10):
        small = ok(fhir_get(client, path))
    for _ in range(4):
        patient = factories.PatientFactory()
        session = infusion(
            patient, nurse, referral=factories.ReferralFactory(patient=patient), charted=(50, 40)
        )
        chart(session, nurse, minutes_ago=20)
    with django_assert_max_num_queries(10):
        big = ok(fhir_get(client, path))
    assert big["total"] > small["total"]
    with django_assert_max_num_queries(10):
        ok(fhir_get(client, path, _count=3, _offset=2))
    with django_assert_max_num_queries(10):  # the last page (for Observation: the recorded weights)
        ok(fhir_get(client, path, _count=3, _offset=big["total"] - 3))


def test_a_page_of_amended_rows_and_weights_keeps_the_budget(
    clinic, nurse, specialist, nurse_client, django_assert_max_num_queries
):
    """The worst case of an Observation search: a page that reads charted rows, their amendments and
    the recorded weights after them."""
    session = clinic.bob_session
    records_services.complete_session(session=session, by=nurse)
    row = VitalSigns.objects.get(session=session)
    records_services.amend_vital_signs(
        vital_signs=row, by=specialist, field="heart_rate", value="92", reason="misread"
    )
    with django_assert_max_num_queries(10):
        bundle = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.bob)))
    assert bundle["total"] == 8  # Bob's one row of seven, and his weight
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    assert by_id[f"vitals-{row.pk}-hr"]["status"] == "amended"
    assert by_id[f"vitals-{row.pk}-hr"]["valueQuantity"]["value"] == 92
    assert ids(bundle)[-1] == f"weight-{clinic.bob.weights.get().pk}"
    with django_assert_max_num_queries(10):  # past the rows: the totals, then the weights
        past = ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.bob), _offset=7))
    assert past["total"] == 8 and ids(past) == [f"weight-{clinic.bob.weights.get().pk}"]


def test_a_read_costs_the_same_queries_as_a_search(clinic, nurse_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        ok(fhir_get(nurse_client, f"/fhir/MedicationAdministration/session-{clinic.ada_session.pk}-infusion"))


# --- errors -----------------------------------------------------------------------------------------


def test_errors_are_operation_outcomes(clinic, nurse_client):
    outcome(fhir_get(nurse_client, "/fhir/Practitioner"), 404, "not-supported")
    outcome(fhir_get(nurse_client, "/fhir/Practitioner/1"), 404, "not-supported")
    outcome(fhir_get(nurse_client, "/fhir/Patient/1/_history"), 404, "not-supported")
    outcome(fhir_get(nurse_client, "/fhir/"), 404, "not-found")
    outcome(fhir_get(nurse_client, "/fhir/Patient/patient-999999"), 404, "not-found")
    outcome(fhir_get(nurse_client, "/fhir/Patient/999999"), 404, "not-found")
    outcome(fhir_get(nurse_client, "/fhir/Patient/patient-999999999999999999"), 404, "not-found")
    assert ok(fhir_get(nurse_client, "/fhir/Patient", _id="patient-999999999999999999"))["total"] == 0
    assert ok(fhir_get(nurse_client, "/fhir/Patient", _offset="999999999"))["total"] == 2
    outcome(fhir_get(nurse_client, "/fhir/Appointment/referral-1"), 404, "not-found")
    assert "not a FHIR date" in outcome(
        fhir_get(nurse_client, "/fhir/Appointment", date="25/11/2026"), 400, "invalid"
    )
    outcome(fhir_get(nurse_client, "/fhir/Appointment", date="2026-13-01"), 400, "invalid")
    assert "prefix 'sa'" in outcome(
        fhir_get(nurse_client, "/fhir/Appointment", date="sa2026-11-01"), 400, "invalid"
    )
    outcome(fhir_get(nurse_client, "/fhir/Appointment", _count="-1"), 400, "invalid")
    outcome(fhir_get(nurse_client, "/fhir/Appointment", _count="ten"), 400, "invalid")
    outcome(fhir_get(nurse_client, "/fhir/Appointment", patient="Practitioner/3"), 400, "invalid")
    outcome(fhir_get(nurse_client, "/fhir/Appointment", patient="Patient/3"), 400, "invalid")
    outcome(fhir_get(nurse_client, "/fhir/Observation", _id="vitals-1-weight"), 400, "invalid")
    outcome(fhir_get(nurse_client, "/fhir/Patient", _format="xml"), 406, "not-supported")
    response = nurse_client.post("/fhir/Patient", {}, headers={"Accept": FHIR_JSON})
    outcome(response, 405, "not-supported")
    assert response["Allow"] == "GET, HEAD"
    assert not AccessEvent.objects.exists()


def test_an_unsupported_parameter_is_refused_unless_lenient_handling_is_asked(clinic, reception_client):
    message = outcome(fhir_get(reception_client, "/fhir/Patient", gender="female"), 400, "not-supported")
    assert "gender" in message
    lenient = reception_client.get(
        "/fhir/Patient", {"gender": "female", "family": "Lovelace"}, headers={"Prefer": "handling=lenient"}
    )
    bundle = validate(ok(lenient))
    assert ids(bundle) == [pid(clinic.ada)]
    assert "gender" not in bundle["link"][0]["url"]
    assert "family=Lovelace" in bundle["link"][0]["url"]


# --- who may --------------------------------------------------------------------------------------


def test_anonymous_gets_401_not_the_sign_in_page(clinic):
    for url in ("/fhir/Patient", f"/fhir/Patient/{pid(clinic.ada)}", "/fhir/Observation"):
        outcome(fhir_get(Client(), url), 401, "login")
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize(
    ("role_client", "path"),
    [
        ("reception_client", "/fhir/Observation"),
        ("reception_client", "/fhir/MedicationAdministration"),
        ("admin_client_role", "/fhir/Observation"),
        ("admin_client_role", "/fhir/MedicationAdministration"),
    ],
)
def test_a_role_without_the_pages_permission_is_refused(clinic, request, role_client, path):
    client = request.getfixturevalue(role_client)
    assert "may not read" in outcome(fhir_get(client, path), 403, "forbidden")
    outcome(fhir_get(client, f"{path}/session-{clinic.ada_session.pk}-infusion"), 403, "forbidden")
    assert not AccessEvent.objects.exists()


def test_a_role_with_the_permission_is_let_in(clinic, admin_client_role, reception_client):
    assert ok(fhir_get(admin_client_role, "/fhir/Patient"))["total"] == 2
    assert ok(fhir_get(admin_client_role, "/fhir/Appointment"))["total"] == 3
    assert ok(fhir_get(reception_client, "/fhir/ServiceRequest"))["total"] == 2


def test_a_nurse_who_has_not_given_the_second_factor_is_refused(clinic):
    nurse = factories.nurse_user(username="nadia")  # the role needs a second factor (test settings)
    client = Client()
    response = client.post(reverse("login"), {"username": "nadia", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert not has_authenticator(nurse)
    assert "Two-factor" in outcome(fhir_get(client, "/fhir/Patient"), 403, "security")
    assert "Two-factor" in outcome(
        client.get("/fhir/Observation"), 403, "security"
    )  # no Accept header either
    assert not AccessEvent.objects.exists()


def test_a_machine_signs_in_with_an_api_token_as_on_the_api(clinic):
    nurse = factories.nurse_user(username="monitor")  # the role's second factor is not asked of a token
    _, key = tokens.issue_token(user=nurse, name="Ward dashboard", by=factories.admin_user(username="it"))
    for scheme in ("Bearer", "Token"):
        bundle = ok(fhir_get(Client(HTTP_AUTHORIZATION=f"{scheme} {key}"), "/fhir/Observation"))
        assert bundle["resourceType"] == "Bundle" and bundle["total"] > 0
    rows = list(AccessEvent.objects.filter(kind=AccessKind.FHIR))
    assert len(rows) == 2 and {r.user for r in rows} == {nurse}


def test_a_bad_revoked_or_malformed_token_is_401_and_reads_nothing(clinic):
    admin = factories.admin_user(username="it")
    receptionist = factories.reception_user(username="desk")
    token, key = tokens.issue_token(user=receptionist, name="Kiosk", by=admin)
    tokens.revoke_token(token=token, by=admin)
    for header in (f"Bearer {key}", "Bearer ic_not-a-token", "Bearer", "Basic dXNlcjpwYXNz"):
        outcome(fhir_get(Client(HTTP_AUTHORIZATION=header), "/fhir/Patient"), 401, "login")
    assert not AccessEvent.objects.exists()


def test_a_token_acts_with_its_users_role(clinic):
    receptionist = factories.reception_user(username="desk")
    _, key = tokens.issue_token(user=receptionist, name="Kiosk", by=factories.admin_user(username="it"))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert ok(fhir_get(client, "/fhir/Patient"))["total"] == 2
    assert "may not read" in outcome(fhir_get(client, "/fhir/Observation"), 403, "forbidden")


# --- the access audit ---------------------------------------------------------------------------------


def test_a_search_writes_one_audit_row_with_the_patient_when_there_is_one(clinic, nurse, nurse_client):
    ok(fhir_get(nurse_client, "/fhir/Observation", patient=pid(clinic.ada)))
    event = AccessEvent.objects.get()
    assert (event.user, event.kind, event.patient_id, event.object_id) == (
        nurse,
        AccessKind.FHIR,
        clinic.ada.pk,
        None,
    )
    assert event.label == "FHIR search Observation: 22 of 22"
    assert event.path == f"/fhir/Observation?patient={pid(clinic.ada)}"

    ok(fhir_get(nurse_client, "/fhir/Observation", _count=100))
    second = AccessEvent.objects.order_by("-id").first()
    assert second.patient_id is None, "several patients: no single patient to name"
    assert AccessEvent.objects.count() == 2

    ok(fhir_get(nurse_client, "/fhir/Observation", date="lt2000-01-01"))
    assert AccessEvent.objects.count() == 2, "no patient data shown, nothing to record"


def test_the_old_export_addresses_still_answer(clinic, nurse_client):
    patient = nurse_client.get(reverse("records:patient_fhir", args=[clinic.ada.pk]))
    assert validate(ok(patient))["id"] == pid(clinic.ada)
    bundle = nurse_client.get(reverse("records:session_record_fhir", args=[clinic.ada_session.pk]))
    assert validate(ok(bundle))["type"] == "collection"


def test_times_are_the_clinic_s_and_stay_put(clinic, nurse_client):
    """A check on the fixture itself: the pinned clock, the sessions of today and one a week on."""
    assert timezone.localdate() == clinic.ada_session.start.date()
    assert clinic.ada_next.start - timezone.now() == timedelta(days=7)

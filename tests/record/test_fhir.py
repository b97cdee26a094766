"""The FHIR R4 export: the mapping (codes, units, status, amendments), validated with fhir.resources,
and the two JSON views (who may, who may not, unknown ids, query counts)."""

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient

from records import fhir, services
from records.models import VitalSigns
from records.selectors import record_for_export
from sessions.models import SessionStatus
from tests import factories

from .conftest import NORMAL, chart, finish

pytestmark = pytest.mark.django_db

FHIR_CLASSES = {
    "Bundle": Bundle,
    "Patient": FhirPatient,
    "Observation": Observation,
    "OperationOutcome": OperationOutcome,
    "MedicationAdministration": MedicationAdministration,
}


def validate(data):
    """Validate a resource with fhir.resources (R4B); a Bundle validates each entry's resource too."""
    model = FHIR_CLASSES[data["resourceType"]].model_validate(data)
    if data["resourceType"] == "Bundle":
        for entry in data["entry"]:
            FHIR_CLASSES[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return model


def bundle_for(session, *, now=None):
    export = record_for_export(pk=session.pk)
    data = fhir.session_bundle(
        session=export.session,
        record=export.record,
        vitals=export.vitals,
        amendments=export.amendments,
        now=now or timezone.now(),
    )
    validate(data)
    return data


def observations(bundle):
    return {
        e["resource"]["id"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }


def loinc(resource):
    return [c["code"] for c in resource["code"]["coding"] if c["system"] == "http://loinc.org"]


def session_url(session):
    return reverse("records:session_record_fhir", args=[session.pk])


def patient_url(patient):
    return reverse("records:patient_fhir", args=[patient.pk])


# --- Patient ------------------------------------------------------------------------------------


def test_it_maps_the_patient_with_nhs_number_address_telecom_and_gp_practice():
    patient = factories.PatientFactory(
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=date(1961, 3, 9),
        sex="F",
        address_line1="1 Mill Lane",
        address_line2="Ancoats",
        town="Manchester",
        postcode="M4 6AA",
        phone="07700 900123",
        email="ada@example.org",
        gp_practice_name="Ancoats Medical Practice",
        gp_practice_ods="P84001",
    )
    data = fhir.patient_resource(patient)
    validate(data)
    assert data["id"] == f"patient-{patient.pk}"
    assert data["identifier"] == [
        {"use": "official", "system": "https://fhir.nhs.uk/Id/nhs-number", "value": patient.nhs_number},
        {"use": "secondary", "system": fhir.local_patient_system(), "value": str(patient.pk)},
    ]
    assert data["name"][0]["family"] == "Lovelace" and data["name"][0]["given"] == ["Ada"]
    assert data["gender"] == "female"
    assert data["birthDate"] == "1961-03-09"
    assert data["address"] == [
        {
            "use": "home",
            "line": ["1 Mill Lane", "Ancoats"],
            "city": "Manchester",
            "postalCode": "M4 6AA",
            "country": "GB",
        }
    ]
    assert {"system": "phone", "value": "+447700900123"} in data["telecom"]
    assert {"system": "email", "value": "ada@example.org"} in data["telecom"]
    assert data["generalPractitioner"] == [
        {
            "type": "Organization",
            "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "P84001"},
            "display": "Ancoats Medical Practice",
        }
    ]


@pytest.mark.parametrize("sex,gender", [("F", "female"), ("M", "male"), ("O", "other"), ("U", "unknown")])
def test_it_maps_each_sex_to_a_fhir_gender(sex, gender):
    data = fhir.patient_resource(factories.PatientFactory(sex=sex))
    validate(data)
    assert data["gender"] == gender


def test_a_private_patient_without_nhs_number_gp_or_contact_details_has_only_the_clinic_number():
    patient = factories.PatientFactory(
        nhs_number="", phone="", email="", postcode="", gp_practice_name="", gp_practice_ods=""
    )
    data = fhir.patient_resource(patient)
    validate(data)
    for key in ("telecom", "address", "generalPractitioner"):
        assert key not in data
    # Only the clinic's own number identifies a patient who has no NHS number.
    assert data["identifier"] == [
        {"use": "secondary", "system": fhir.local_patient_system(), "value": str(patient.pk)}
    ]


def test_a_gp_practice_without_an_ods_code_is_named_without_an_identifier():
    data = fhir.patient_resource(factories.PatientFactory(gp_practice_name="Lakeside Surgery"))
    validate(data)
    assert data["generalPractitioner"] == [{"type": "Organization", "display": "Lakeside Surgery"}]


# --- Observations -------------------------------------------------------------------------------


def test_each_charted_row_becomes_coded_vital_sign_observations_with_ucum_units(started_session, nurse):
    row = chart(started_session, nurse, minutes_ago=10, temperature="37.4")
    bundle = bundle_for(started_session)
    assert bundle["type"] == "collection"
    obs = observations(bundle)
    patient_entry = bundle["entry"][0]
    assert patient_entry["resource"]["resourceType"] == "Patient"

    bp = obs[f"vitals-{row.pk}-bp"]
    assert loinc(bp) == ["85354-9"]
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    unit = {"system": "http://unitsofmeasure.org", "code": "mm[Hg]", "unit": "mmHg"}
    assert components["8480-6"] == {"value": 120, **unit}
    assert components["8462-4"] == {"value": 75, **unit}
    expected = {
        "hr": (["8867-4"], 80, "/min"),
        "rr": (["9279-1"], 16, "/min"),
        "spo2": (["2708-6", "59408-5"], 97, "%"),
        "temp": (["8310-5"], 37.4, "Cel"),
        "pain": (["72514-3"], 4, "{score}"),
    }
    for key, (codes, value, ucum) in expected.items():
        resource = obs[f"vitals-{row.pk}-{key}"]
        assert loinc(resource) == codes, key
        assert resource["valueQuantity"]["value"] == value, key
        assert resource["valueQuantity"]["code"] == ucum, key
        assert resource["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    for resource in obs.values():
        category = resource["category"][0]["coding"][0]
        assert category["code"] == "vital-signs"
        assert category["system"] == "http://terminology.hl7.org/CodeSystem/observation-category"
        assert resource["subject"]["reference"] == patient_entry["fullUrl"]
        assert resource["performer"][0]["display"]
    effective = datetime.fromisoformat(obs[f"vitals-{row.pk}-hr"]["effectiveDateTime"])
    assert effective.utcoffset() is not None
    assert effective == row.observed_at.replace(microsecond=0)


def test_the_weight_used_for_the_dose_is_a_body_weight_observation_in_kg(started_session, nurse):
    bundle = bundle_for(started_session)
    weight = observations(bundle)[f"record-{started_session.record.pk}-weight"]
    assert loinc(weight) == ["29463-7"]
    assert weight["valueQuantity"] == {
        "value": 70,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert datetime.fromisoformat(weight["effectiveDateTime"]) == started_session.record.started_at.replace(
        microsecond=0
    )


def test_a_session_not_started_exports_only_the_patient(make_session):
    session = make_session(status=SessionStatus.BOOKED)
    bundle = bundle_for(session)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]


def test_observations_are_preliminary_while_open_and_final_once_completed_and_signed_off(
    started_session, nurse, specialist
):
    chart(started_session, nurse, minutes_ago=10)
    assert {o["status"] for o in observations(bundle_for(started_session)).values()} == {"preliminary"}
    finish(started_session, nurse)
    assert {o["status"] for o in observations(bundle_for(started_session)).values()} == {"final"}
    services.sign_off_session(session=started_session, by=specialist)
    started_session.refresh_from_db()
    assert {o["status"] for o in observations(bundle_for(started_session)).values()} == {"final"}


def test_an_amended_value_marks_its_observation_amended_with_the_reason(started_session, nurse, specialist):
    row = chart(started_session, nurse, minutes_ago=10)
    other = chart(started_session, nurse, minutes_ago=5)
    finish(started_session, nurse)
    services.amend_vital_signs(
        vital_signs=row,
        by=specialist,
        field="heart_rate",
        value="88",
        reason="Transcribed from the wrong chair",
    )
    services.amend_vital_signs(vital_signs=row, by=specialist, field="diastolic", value="70", reason="Typo")
    obs = observations(bundle_for(started_session))
    hr = obs[f"vitals-{row.pk}-hr"]
    assert hr["status"] == "amended"
    assert hr["valueQuantity"]["value"] == 88
    assert "80 -> 88" in hr["note"][0]["text"]
    assert "Transcribed from the wrong chair" in hr["note"][0]["text"]
    bp = obs[f"vitals-{row.pk}-bp"]
    assert bp["status"] == "amended"
    assert {c["valueQuantity"]["value"] for c in bp["component"]} == {120, 70}
    # Values no amendment touched stay final, on the amended row and on the others.
    assert obs[f"vitals-{row.pk}-spo2"]["status"] == "final"
    assert "note" not in obs[f"vitals-{row.pk}-spo2"]
    assert {
        obs[f"vitals-{other.pk}-{key}"]["status"] for key in ("bp", "hr", "rr", "spo2", "temp", "pain")
    } == {"final"}


def test_ids_and_full_urls_are_stable_and_unique(started_session, nurse):
    chart(started_session, nurse, minutes_ago=10)
    chart(started_session, nurse, minutes_ago=5)
    first = bundle_for(started_session, now=timezone.now())
    second = bundle_for(started_session, now=timezone.now() + timedelta(minutes=5))
    urls = [e["fullUrl"] for e in first["entry"]]
    assert urls == [e["fullUrl"] for e in second["entry"]]
    assert len(set(urls)) == len(urls) == 1 + 1 + 2 * 6
    assert all(u.startswith("urn:uuid:") for u in urls)
    assert len({e["resource"]["id"] for e in first["entry"]}) == len(urls)
    assert first["id"] == second["id"] == f"session-{started_session.pk}-record"


# --- the views ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["nurse_client", "specialist_client"])
def test_nurses_and_specialists_download_the_session_bundle(request, started_session, nurse, who):
    chart(started_session, nurse, minutes_ago=10)
    response = request.getfixturevalue(who).get(session_url(started_session))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    data = response.json()
    validate(data)
    assert data["resourceType"] == "Bundle"
    assert len(observations(data)) == 1 + 6


@pytest.mark.parametrize("who", ["reception_client", "admin_client_role"])
def test_reception_and_clinic_admins_may_not_export_the_session_bundle(request, started_session, nurse, who):
    chart(started_session, nurse, minutes_ago=10)
    response = request.getfixturevalue(who).get(session_url(started_session))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/fhir+json"
    data = response.json()
    validate(data)
    assert data["issue"][0]["code"] == "forbidden"
    assert b"Observation" not in response.content


@pytest.mark.parametrize(
    "who", ["reception_client", "nurse_client", "specialist_client", "admin_client_role"]
)
def test_every_role_that_sees_the_patient_downloads_the_patient_resource(request, who):
    patient = factories.PatientFactory(gp_practice_ods="P84001", gp_practice_name="Ancoats Medical Practice")
    response = request.getfixturevalue(who).get(patient_url(patient))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    data = response.json()
    validate(data)
    assert data["identifier"][0]["value"] == patient.nhs_number


def test_a_user_without_a_role_may_not_export_a_patient(client):
    user = factories.UserFactory()
    assert not Group.objects.filter(user=user).exists()
    client.force_login(user)
    response = client.get(patient_url(factories.PatientFactory()))
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_anonymous_users_are_sent_to_sign_in(client, started_session):
    for url in (session_url(started_session), patient_url(started_session.patient)):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


@pytest.mark.parametrize("pk", [999999, 2**63])
def test_an_unknown_id_answers_404_json_never_500(nurse_client, pk):
    for name in ("records:session_record_fhir", "records:patient_fhir"):
        response = nurse_client.get(reverse(name, args=[pk]))
        assert response.status_code == 404, name
        assert response["Content-Type"] == "application/fhir+json"
        data = response.json()
        validate(data)
        assert data["issue"][0]["code"] == "not-found"


def test_the_export_is_read_only(nurse_client, started_session):
    response = nurse_client.post(session_url(started_session))
    assert response.status_code == 405


def _bulk_vitals(session, nurse, n):
    for i in range(n):
        # save() scores NEWS2; bulk_create would skip it
        VitalSigns(
            session=session,
            recorded_by=nurse,
            observed_at=session.checked_in_at + timedelta(seconds=20 * (i + 1)),
            **NORMAL,
        ).save()


# Auth (session, user, user and group permissions), the session with its patient and record, the
# vitals with who charted them, the amendments, the rate changes (for the dose given): the same
# whatever the number of observations; and the session's second-factor device.
QUERY_BUDGET = 10  # 9, plus the access audit's one INSERT


def test_the_bundle_makes_the_same_queries_for_10_and_100_observations(
    make_session, started_session, nurse, specialist, nurse_client, django_assert_max_num_queries
):
    small, large = started_session, make_session()
    services.start_infusion(session=large, by=nurse, started_at=large.checked_in_at + timedelta(minutes=1))
    _bulk_vitals(small, nurse, 10)
    _bulk_vitals(large, nurse, 100)
    for session in (small, large):
        finish(session, nurse)
        row = VitalSigns.objects.filter(session=session).first()
        services.amend_vital_signs(vital_signs=row, by=specialist, field="pain", value="6", reason="Re-asked")
    counts = []
    for session, rows in ((small, 10), (large, 100)):
        with django_assert_max_num_queries(QUERY_BUDGET), CaptureQueriesContext(connection) as ctx:
            response = nurse_client.get(session_url(session))
        assert response.status_code == 200
        data = response.json()
        validate(data)
        assert len(observations(data)) == 1 + 6 * rows
        assert sum(o["status"] == "amended" for o in observations(data).values()) == 1
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


# --- the links ----------------------------------------------------------------------------------


def test_the_record_page_and_the_patient_page_link_to_the_export(nurse_client, started_session):
    record_page = nurse_client.get(reverse("records:session_record", args=[started_session.pk]))
    assert session_url(started_session).encode() in record_page.content
    assert b"FHIR export (JSON)" in record_page.content
    patient_page = nurse_client.get(reverse("patients:patient_detail", args=[started_session.patient.pk]))
    assert patient_url(started_session.patient).encode() in patient_page.content


def test_reception_sees_the_patient_export_link(reception_client):
    patient = factories.PatientFactory()
    page = reception_client.get(reverse("patients:patient_detail", args=[patient.pk]))
    assert page.status_code == 200
    assert patient_url(patient).encode() in page.content


def test_the_validator_used_here_refuses_a_broken_observation(started_session, nurse):
    """Guards the tests above: fhir.resources really checks types, so validate() is not a no-op."""
    chart(started_session, nurse, minutes_ago=10)
    resource = next(iter(observations(bundle_for(started_session)).values()))
    with pytest.raises(ValueError):
        validate({**resource, "effectiveDateTime": "25/11/2026 14:30"})

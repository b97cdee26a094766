"""The prescribe page and its dose preview: who may open them, bad input, query budgets."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from patients.models import EligibilityAssessment, Prescription
from patients.services import prescribe
from protocols.services import create_version
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    p = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    factories.WeightRecordFactory(patient=p, weight_kg=D("80.0"))
    return p


@pytest.mark.parametrize("client_name", ["nurse_client", "reception_client", "admin_client_role"])
def test_only_prescribers_may_open_the_prescribe_page(request, client_name, library, patient):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("patients:prescribe", args=[patient.pk])).status_code == 403
    preview = reverse("patients:dose_preview", args=[patient.pk])
    assert client.get(preview, {"protocol_version": library["lidocaine"].pk}).status_code == 403


def test_a_specialist_opens_the_prescribe_page(specialist_client, library, patient):
    response = specialist_client.get(reverse("patients:prescribe", args=[patient.pk]))
    assert response.status_code == 200
    assert b"Choose a protocol to see the dose" in response.content
    assert b"80.0 kg" in response.content


def test_the_prescribe_page_is_404_for_an_unknown_patient(specialist_client, library):
    assert specialist_client.get(reverse("patients:prescribe", args=[999999])).status_code == 404


# --- dose preview (htmx) ---------------------------------------------------------------------------


def test_the_preview_shows_dose_volume_rate_and_the_example_banner(specialist_client, library, patient):
    response = specialist_client.get(
        reverse("patients:dose_preview", args=[patient.pk]),
        {"protocol_version": library["lidocaine"].pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-verdict="ok"' in body and "400.0 mg" in body and "290.0 mL/h" in body and "60 min" in body
    assert "Example defaults: verify locally" in body


def test_the_preview_warns_over_the_soft_limit(specialist_client, library, patient):
    body = specialist_client.get(
        reverse("patients:dose_preview", args=[patient.pk]),
        {"protocol_version": library["lidocaine"].pk, "override_dose": "6"},
    ).content.decode()
    assert 'data-verdict="soft"' in body and "a reason is required" in body and "480.0 mg" in body


def test_the_preview_refuses_over_the_hard_limit_and_bad_numbers(specialist_client, library, patient):
    url = reverse("patients:dose_preview", args=[patient.pk])
    assert (
        'data-verdict="refused"'
        in specialist_client.get(
            url, {"protocol_version": library["lidocaine"].pk, "override_dose": "7.5"}
        ).content.decode()
    )
    assert (
        'data-verdict="refused"'
        in specialist_client.get(
            url, {"protocol_version": library["lidocaine"].pk, "override_dose": "lots"}
        ).content.decode()
    )


def test_the_preview_gives_a_json_400_for_an_unknown_or_replaced_version(
    specialist_client, clinic_admin, library, patient
):
    url = reverse("patients:dose_preview", args=[patient.pk])
    response = specialist_client.get(url, {"protocol_version": "abc"})
    assert response.status_code == 400 and "error" in response.json()
    old = library["lidocaine"]
    create_version(from_version=old, by=clinic_admin, default_dose=D("4"))
    assert specialist_client.get(url, {"protocol_version": old.pk}).status_code == 400


# --- prescribing through the page --------------------------------------------------------------


def test_a_specialist_prescribes_within_limits(specialist_client, specialist, library, patient):
    response = specialist_client.post(
        reverse("patients:prescribe", args=[patient.pk]),
        {"protocol_version": library["lidocaine"].pk},
        follow=True,
    )
    assert b"Prescribed" in response.content
    p = Prescription.objects.get()
    assert p.dose_mg == D("400.0") and p.prescribed_by == specialist


def test_a_dose_over_the_soft_limit_without_a_reason_saves_nothing(specialist_client, library, patient):
    url = reverse("patients:prescribe", args=[patient.pk])
    response = specialist_client.post(
        url, {"protocol_version": library["lidocaine"].pk, "override_dose": "6"}
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not Prescription.objects.exists()
    specialist_client.post(
        url, {"protocol_version": library["lidocaine"].pk, "override_dose": "6", "reason": "Tolerated well"}
    )
    assert Prescription.objects.get().soft_limit_reason == "Tolerated well"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"override_dose": "7.5"}, "override_dose"),
        ({"override_dose": "-1"}, "override_dose"),
        ({"override_dose": "abc"}, "override_dose"),
        ({"protocol_version": ""}, "protocol_version"),
    ],
)
def test_bad_prescriptions_show_a_message_on_the_field_and_save_nothing(
    specialist_client, library, patient, data, field
):
    payload = {"protocol_version": library["lidocaine"].pk, **data}
    response = specialist_client.post(reverse("patients:prescribe", args=[patient.pk]), payload)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Prescription.objects.exists()


def test_a_weight_based_prescription_without_a_weight_says_so_and_saves_nothing(specialist_client, library):
    patient = factories.PatientFactory()
    response = specialist_client.post(
        reverse("patients:prescribe", args=[patient.pk]), {"protocol_version": library["ketamine"].pk}
    )
    assert "No weight recorded" in response.content.decode()
    assert not Prescription.objects.exists()


def test_the_prescribe_page_keeps_its_queries_as_prescriptions_grow(
    specialist_client, specialist, library, patient, django_assert_max_num_queries
):
    url = reverse("patients:prescribe", args=[patient.pk])
    with django_assert_max_num_queries(14):
        specialist_client.get(url)
    for _ in range(8):
        prescribe(patient=patient, protocol_version=library["methylprednisolone"], by=specialist)
    with django_assert_max_num_queries(14):
        specialist_client.get(url)


def test_the_preview_says_when_the_patient_has_no_eligibility_assessment(
    specialist_client, specialist, library, patient
):
    url = reverse("patients:dose_preview", args=[patient.pk])
    body = specialist_client.get(url, {"protocol_version": library["lidocaine"].pk}).content.decode()
    assert 'data-testid="eligibility-problem"' in body and "no eligibility assessment for Lidocaine" in body
    EligibilityAssessment.objects.create(
        patient=patient,
        protocol_family=library["lidocaine"].protocol.family,
        assessed_on=patient.weights.first().recorded_on,
        assessed_by=specialist,
        weight_kg=D("80.0"),
        decision="eligible",
    )
    body = specialist_client.get(url, {"protocol_version": library["lidocaine"].pk}).content.decode()
    assert 'data-testid="eligibility-problem"' not in body


# --- the move from protocols -----------------------------------------------------------------------


def test_the_old_prescribing_addresses_redirect_permanently_to_the_patients_pages(
    specialist_client, library, patient
):
    response = specialist_client.get(f"/protocols/prescribe/{patient.pk}/")
    assert response.status_code == 301
    assert response["Location"] == reverse("patients:prescribe", args=[patient.pk])
    version = library["lidocaine"].pk
    response = specialist_client.get(f"/protocols/prescribe/{patient.pk}/preview/?protocol_version={version}")
    assert response.status_code == 301
    assert response["Location"] == (
        f"{reverse('patients:dose_preview', args=[patient.pk])}?protocol_version={version}"
    )


def test_the_permission_to_prescribe_is_the_prescriptions_and_held_by_specialists_only(
    specialist, nurse, reception, clinic_admin
):
    assert specialist.has_perm("patients.prescribe")
    assert not any(u.has_perm("patients.prescribe") for u in (nurse, reception, clinic_admin))
    assert not specialist.has_perm("protocols.prescribe")

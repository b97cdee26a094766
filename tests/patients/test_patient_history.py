"""A patient's change history: what changed, from what to what, who and when (django-simple-history)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from patients.forms import PatientForm
from patients.history import patient_changes
from patients.models import Patient
from tests import factories

pytestmark = pytest.mark.django_db


def _edit_through_the_page(client, patient, **changes):
    form = PatientForm(instance=patient, clinical=True)
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    data.update(changes)
    response = client.post(reverse("patients:patient_edit", args=[patient.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_an_edit_on_the_page_shows_old_and_new_values_with_who_and_when(reception, reception_client):
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace", phone="01632 960001")
    _edit_through_the_page(reception_client, patient, phone="01632 960999", postcode="SW1A 1AA")
    changes = patient_changes(patient=patient, include_clinical=False)
    assert [c.kind for c in changes] == ["changed", "created"]
    latest = changes[0]
    assert latest.by == reception
    assert {(f.label, f.old, f.new) for f in latest.changes} >= {("Phone", "01632 960001", "01632 960999")}
    page = reception_client.get(reverse("patients:patient_history", args=[patient.pk])).content.decode()
    assert "01632 960001" in page and "01632 960999" in page and "Registered" in page
    assert reception.get_full_name() in page
    detail = reception_client.get(reverse("patients:patient_detail", args=[patient.pk])).content.decode()
    assert reverse("patients:patient_history", args=[patient.pk]) in detail


def test_clinical_notes_changes_are_counted_but_their_values_shown_to_clinical_staff_only(
    specialist, reception_client, specialist_client
):
    patient = factories.PatientFactory(notes="")
    patient.notes = "Sensitive: history of psychosis"
    patient._history_user = specialist
    patient.save()
    url = reverse("patients:patient_history", args=[patient.pk])
    for_reception = reception_client.get(url).content.decode()
    assert "psychosis" not in for_reception
    assert "Clinical notes changed (shown to clinical staff only)" in for_reception
    for_specialist = specialist_client.get(url).content.decode()
    assert "Sensitive: history of psychosis" in for_specialist


def test_a_save_that_changes_nothing_is_not_listed(reception):
    patient = factories.PatientFactory()
    patient.save()
    assert [c.kind for c in patient_changes(patient=patient, include_clinical=True)] == ["created"]


@pytest.mark.parametrize("edits", [3, 30])
def test_the_history_page_queries_do_not_grow_with_changes(
    edits, reception, reception_client, django_assert_max_num_queries
):
    patient = factories.PatientFactory()
    for n in range(edits):
        patient.town = f"Town {n}"
        patient._history_user = reception
        patient.save()
    url = reverse("patients:patient_history", args=[patient.pk])
    with django_assert_max_num_queries(8):
        response = reception_client.get(url)
    assert response.content.decode().count('data-testid="patient-history-row"') == edits + 1


def test_the_history_needs_the_patient_view_permission(reception_client):
    patient = factories.PatientFactory()
    outsider = get_user_model().objects.create_user("outsider", password="x-Passw0rd!")
    client = Client()
    client.force_login(outsider)
    url = reverse("patients:patient_history", args=[patient.pk])
    assert client.get(url).status_code == 403
    assert reception_client.get(url).status_code == 200
    assert reception_client.get(reverse("patients:patient_history", args=[999999])).status_code == 404
    assert Patient.objects.count() == 1

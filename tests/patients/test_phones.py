"""Phone numbers: one rule (patients/phones.py, django-phonenumber-field) for the patient form, the model,
SMS and the FHIR export; stored as E.164, shown in the UK national format; the migration of old rows."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.messaging import InvalidRecipient, normalise_sms_number
from patients.models import Patient
from patients.phones import INVALID_MESSAGE, LETTERS_MESSAGE, parse_phone
from records import fhir

from .. import factories
from .test_pages import PATIENT, assert_field_error

SAME_MOBILE = ["+44 (0)7700 900123", "07700.900123", "07700 900123", "+447700900123", "0044 7700-900123"]
REFUSED = [
    ("07700 90012a", LETTERS_MESSAGE),
    ("phone me", LETTERS_MESSAGE),
    ("07700 900123 ext 4", LETTERS_MESSAGE),
    ("12345", INVALID_MESSAGE),
    ("07700 9001", INVALID_MESSAGE),  # two digits short
    ("555-0100", INVALID_MESSAGE),  # no area code
    ("077009001234", INVALID_MESSAGE),  # one digit too many
]


def phone_field():
    return Patient._meta.get_field("phone").formfield()


@pytest.mark.parametrize("typed", SAME_MOBILE)
def test_it_stores_each_way_of_typing_a_uk_mobile_as_e164_and_shows_it_in_the_uk_format(
    reception_client, typed
):
    response = reception_client.post(reverse("patients:patient_create"), {**PATIENT, "phone": typed})
    patient = Patient.objects.get()
    assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM patients_patient WHERE id = %s", [patient.pk])
        assert cursor.fetchone() == ("+447700900123",)
    page = reception_client.get(patient.get_absolute_url()).content.decode()
    assert "07700 900123" in page and "+447700900123" not in page
    edit = reception_client.get(reverse("patients:patient_edit", args=[patient.pk])).content.decode()
    assert 'type="tel"' in edit and 'value="07700 900123"' in edit


@pytest.mark.parametrize("typed, message", REFUSED)
def test_it_refuses_letters_and_numbers_of_the_wrong_length_next_to_the_field(
    reception_client, typed, message
):
    response = reception_client.post(reverse("patients:patient_create"), {**PATIENT, "phone": typed})
    assert response.status_code == 200
    assert_field_error(response, "id_phone", message)
    assert f'value="{typed}"' in response.content.decode()  # what was typed, to correct it
    assert not Patient.objects.exists()


def test_an_international_number_is_accepted_and_shown_in_the_international_format(reception_client):
    reception_client.post(reverse("patients:patient_create"), {**PATIENT, "phone": "+33 (0)1 23 45 67 89"})
    patient = Patient.objects.get()
    assert Patient.objects.filter(phone="+33123456789").exists()
    assert "+33 1 23 45 67 89" in reception_client.get(patient.get_absolute_url()).content.decode()


@pytest.mark.parametrize("typed", SAME_MOBILE)
def test_sms_reads_each_way_of_typing_as_the_form_stores_it(typed):
    assert normalise_sms_number(typed) == "+447700900123" == phone_field().clean(typed).as_e164


@pytest.mark.parametrize("typed, message", REFUSED)
def test_sms_refuses_what_the_form_refuses_with_the_same_reason(typed, message):
    with pytest.raises(InvalidRecipient, match=message[:30]):
        normalise_sms_number(typed)
    with pytest.raises(ValidationError, match=message[:30]):
        phone_field().clean(typed)


@pytest.mark.parametrize("landline", ["0161 496 0123", "01632 960001", "+33 1 23 45 67 89"])
def test_sms_refuses_a_landline_the_form_accepts(landline):
    assert phone_field().clean(landline)
    with pytest.raises(InvalidRecipient, match="not a mobile number"):
        normalise_sms_number(landline)


def test_sms_takes_an_international_mobile():
    assert normalise_sms_number("+33 6 12 34 56 78") == "+33612345678"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 +-().", min_size=1, max_size=20).filter(str.strip))
def test_the_form_and_sms_never_disagree_about_a_number(typed):
    try:
        number = parse_phone(typed)
    except ValidationError:
        with pytest.raises(ValidationError):
            phone_field().clean(typed)
        with pytest.raises(InvalidRecipient):
            normalise_sms_number(typed)
        return
    assert phone_field().clean(typed) == number
    try:
        sent_to = normalise_sms_number(typed)
    except InvalidRecipient as exc:
        assert "not a mobile number" in str(exc)
    else:
        assert sent_to == number.as_e164


@pytest.mark.django_db
def test_the_model_refuses_what_the_form_refuses():
    patient = factories.PatientFactory.build(phone="07700 9001")
    with pytest.raises(ValidationError) as caught:
        patient.full_clean(exclude=["nhs_number"])
    assert caught.value.message_dict["phone"] == [INVALID_MESSAGE]


@pytest.mark.django_db
def test_the_fhir_patient_carries_the_number_in_e164():
    patient = factories.PatientFactory(phone="07700.900123")
    assert {"system": "phone", "value": "+447700900123"} in fhir.patient_resource(patient)["telecom"]


@pytest.mark.django_db
def test_a_stored_number_that_cannot_be_read_is_shown_as_typed_flagged_and_must_be_corrected(
    reception_client,
):
    patient = factories.PatientFactory()
    Patient.objects.filter(pk=patient.pk).update(phone="ring the daughter")  # typed before the checks
    assert Patient.objects.filter(phone="ring the daughter").exists()
    page = reception_client.get(patient.get_absolute_url()).content.decode()
    assert "ring the daughter" in page and 'data-testid="phone-unreadable"' in page
    assert (
        fhir.patient_resource(Patient.objects.get(pk=patient.pk))["telecom"][0]["value"]
        == "ring the daughter"
    )
    with pytest.raises(InvalidRecipient, match="no letters"):
        normalise_sms_number(Patient.objects.get(pk=patient.pk).phone)
    edit = reception_client.post(
        reverse("patients:patient_edit", args=[patient.pk]),
        {**PATIENT, "nhs_number": "", "phone": "ring the daughter"},
    )
    assert_field_error(edit, "id_phone", LETTERS_MESSAGE)
    tidy = factories.PatientFactory(phone="07700 900123")
    assert (
        'data-testid="phone-unreadable"' not in reception_client.get(tidy.get_absolute_url()).content.decode()
    )


# --- the migration of the numbers stored before ----------------------------------------------------

BEFORE = ("patients", "0008_followup_moves_to_followup")
OLD_ROWS = {
    "Mobile": "07700 900123",
    "Dotted": "07700.900123",
    "Landline": "(0161) 4960123",
    "Plus": "+44 7700 900456",
    "Empty": "",
    "Unreadable": "ring the daughter",
}


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def migrate_to_the_latest():
    """Forward through the phone migration and every later one, as the other tests expect to find it."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def stored_phones():
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_name, phone FROM patients_patient")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_the_migration_stores_old_numbers_as_e164_keeps_what_it_cannot_read_and_goes_back(capsys):
    assert connection.vendor == "postgresql"
    try:
        old_apps = migrate(BEFORE)
        OldPatient = old_apps.get_model("patients", "Patient")
        for last_name, phone in OLD_ROWS.items():
            OldPatient.objects.create(
                first_name="Old", last_name=last_name, date_of_birth="1960-01-01", phone=phone
            )
        assert stored_phones() == OLD_ROWS
    finally:
        migrate_to_the_latest()
    migrated = {
        "Mobile": "+447700900123",
        "Dotted": "+447700900123",
        "Landline": "+441614960123",
        "Plus": "+447700900456",
        "Empty": "",
        "Unreadable": "ring the daughter",
    }
    assert stored_phones() == migrated
    unreadable = Patient.objects.get(last_name="Unreadable")
    assert (
        f"could not be read and were kept as typed (flagged on the patient's page); patient ids: {unreadable.pk}"
        in (capsys.readouterr().out)
    )
    assert str(Patient.objects.get(last_name="Dotted").phone) == "07700 900123"

    try:
        migrate(BEFORE)
        # Back to the format the old validator accepted; what could not be read is still as typed.
        assert stored_phones() == {
            **migrated,
            "Mobile": "07700 900123",
            "Dotted": "07700 900123",
            "Landline": "0161 496 0123",
            "Plus": "07700 900456",
        }
    finally:
        migrate_to_the_latest()
    assert stored_phones() == migrated

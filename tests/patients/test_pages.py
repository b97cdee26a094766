"""Each page: who may open it (and who gets 403), bad input shown next to its field, visibility."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients.models import EligibilityAssessment, Patient, Referral, WeightRecord

from .. import factories
from ..conftest import CLINIC_MORNING
from .conftest import referral_in

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def users(db):
    return {
        "reception": factories.reception_user(username="rec"),
        "nurse": factories.nurse_user(username="nur"),
        "specialist": factories.specialist_user(username="spe"),
        "admin": factories.admin_user(username="adm"),
        "nobody": factories.UserFactory(username="norole"),
    }


@pytest.fixture
def patient(db):
    return factories.PatientFactory(allergies="Penicillin: rash", notes="Lives alone; anxious about needles.")


@pytest.fixture
def a_referral(patient, users):
    return factories.ReferralFactory(patient=patient, created_by=users["reception"])


def assert_field_error(response, field_id, text):
    """The message sits in the field's own feedback element (crispy: id="error_1_<input id>")."""
    html = response.content.decode()
    match = re.search(rf'<[^>]+id="error_\d+_{re.escape(field_id)}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no error next to {field_id}"
    assert text in html[match.start() : match.start() + 400], html[match.start() : match.start() + 400]


# --- who may open each page -------------------------------------------------------------------

PAGES = [
    # (name, kwargs from fixtures, method, role that may, role that may not)
    ("patient_list", None, "get", "reception", "nobody"),
    ("patient_create", None, "get", "reception", "nurse"),
    ("patient_edit", "patient", "get", "reception", "nurse"),
    ("patient_detail", "patient", "get", "nurse", "nobody"),
    ("weight_add", "patient", "get", "nurse", "reception"),
    ("eligibility_assess", "family", "get", "specialist", "nurse"),
    ("referral_intake", None, "get", "reception", "specialist"),
    ("referral_detail", "referral", "get", "admin", "nobody"),
    ("referral_edit", "referral", "get", "reception", "nurse"),
    ("referral_transition", "referral", "post", "specialist", "reception"),
    ("waiting_list", None, "get", "reception", "nobody"),
    ("triage_queue", None, "get", "specialist", "reception"),
]


@pytest.mark.parametrize("name,kind,method,may,may_not", PAGES)
def test_each_page_lets_its_role_in_and_refuses_others_with_403(
    name, kind, method, may, may_not, users, patient, a_referral, lidocaine
):
    kwargs = {
        None: {},
        "patient": {"pk": patient.pk},
        "family": {"pk": patient.pk, "family": lidocaine.slug},
        "referral": {"pk": a_referral.pk},
    }[kind]
    url = reverse(f"patients:{name}", kwargs=kwargs)
    data = {"action": "triage", "note": "Reads well."} if method == "post" else None
    refused = getattr(client_for(users[may_not]), method)(url, data)
    assert refused.status_code == 403
    allowed = getattr(client_for(users[may]), method)(url, data)
    assert allowed.status_code in (200, 302)
    if method == "post":
        a_referral.refresh_from_db()
        assert a_referral.status == "triaged"


# --- bad input: a message next to the field, nothing saved ------------------------------------

PATIENT = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "date_of_birth": "1961-03-14",
    "sex": "F",
    "nhs_number": "943 476 5919",
    "postcode": "m14 5tq",
    "phone": "07700 900123",
    "email": "ada@example.org",
    "consent_sms": "on",
    "gp_practice_name": "Riverside Medical Practice",
    "gp_practice_ods": "p84001",
}


def test_reception_registers_a_patient_and_the_nhs_number_is_stored_as_digits(reception_client):
    response = reception_client.post(reverse("patients:patient_create"), PATIENT)
    patient = Patient.objects.get()
    assert response.status_code == 302 and response["Location"] == patient.get_absolute_url()
    assert (patient.nhs_number, patient.postcode, patient.gp_practice_ods) == (
        "9434765919",
        "M14 5TQ",
        "P84001",
    )
    page = reception_client.get(patient.get_absolute_url()).content.decode()
    assert "943 476 5919" in page


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("nhs_number", "943 476 5918", "check digit does not match"),
        ("nhs_number", "12345", "exactly 10 digits"),
        ("nhs_number", "".join(chr(0xFF10 + int(d)) for d in "9434765919"), "digits 0-9"),
        ("date_of_birth", (CLINIC_MORNING.date() + timedelta(days=1)).isoformat(), "cannot be in the future"),
        ("phone", "555-0100", "UK phone number"),
        ("postcode", "12345", "UK postcode"),
        ("gp_practice_ods", "QE1", "letter and five digits"),
    ],
)
def test_it_refuses_bad_patient_details_next_to_the_field_and_saves_nothing(
    clinic_morning, reception_client, field, value, message
):
    response = reception_client.post(reverse("patients:patient_create"), {**PATIENT, field: value})
    assert response.status_code == 200
    assert_field_error(response, f"id_{field}", message)
    assert not Patient.objects.exists()


def test_the_same_number_in_full_width_digits_cannot_register_twice(reception_client):
    factories.PatientFactory(nhs_number="9434765919")
    full_width = "".join(chr(0xFF10 + int(d)) for d in "9434765919")
    response = reception_client.post(
        reverse("patients:patient_create"), {**PATIENT, "nhs_number": full_width}
    )
    assert_field_error(response, "id_nhs_number", "digits 0-9")
    assert Patient.objects.count() == 1


def test_it_refuses_a_duplicate_nhs_number_next_to_the_field(reception_client):
    factories.PatientFactory(nhs_number="9434765919")
    response = reception_client.post(reverse("patients:patient_create"), PATIENT)
    assert_field_error(response, "id_nhs_number", "already registered")
    assert Patient.objects.count() == 1


def test_it_refuses_a_weight_outside_20_to_300_kg(nurse_client, patient):
    url = reverse("patients:weight_add", args=[patient.pk])
    for weight in ("19.9", "300.1"):
        response = nurse_client.post(
            url, {"recorded_on": timezone.localdate().isoformat(), "weight_kg": weight}
        )
        assert_field_error(response, "id_weight_kg", "between 20 and 300 kg")
    assert not WeightRecord.objects.exists()
    nurse_client.post(
        url, {"recorded_on": timezone.localdate().isoformat(), "weight_kg": "72.5", "height_cm": "170"}
    )
    assert WeightRecord.objects.get().weight_kg == 72.5


def intake(**changes):
    data = {f"patient-{k}": v for k, v in PATIENT.items()}
    data.update(
        {
            "referral-source": "gp",
            "referral-received_on": timezone.localdate().isoformat(),
            "referral-condition": "crps",
            "referral-prior_treatments": "Gabapentin",
            "referral-letter_text": "Dear Dr Patel ...",
            "referral-funding_route": "nhs",
            "referral-commissioner": str(factories.CommissionerFactory().pk),
        }
    )
    data.update(changes)
    return data


def test_reception_registers_a_new_patient_and_referral_in_one_step(reception_client, reception):
    response = reception_client.post(reverse("patients:referral_intake"), intake())
    referral = Referral.objects.select_related("patient").get()
    assert response["Location"] == referral.get_absolute_url()
    assert referral.patient.last_name == "Lovelace" and referral.status == "received"
    assert referral.events.get().by == reception


def test_an_insured_referral_needs_insurer_and_policy_but_not_yet_preauthorisation(reception_client):
    response = reception_client.post(
        reverse("patients:referral_intake"), intake(**{"referral-funding_route": "insured"})
    )
    assert_field_error(response, "id_referral-insurer", "needs the insurer")
    assert_field_error(response, "id_referral-policy_number", "needs the policy number")
    assert not Patient.objects.exists() and not Referral.objects.exists()
    insurer = factories.InsurerFactory()
    reception_client.post(
        reverse("patients:referral_intake"),
        intake(
            **{
                "referral-funding_route": "insured",
                "referral-insurer": insurer.pk,
                "referral-policy_number": "P1",
            }
        ),
    )
    assert Referral.objects.get().preauth_number == ""


@pytest.mark.parametrize(
    "changes,field,message",
    [
        (
            {"referral-received_on": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "received_on",
            "future",
        ),
        ({"referral-commissioner": ""}, "commissioner", "needs the commissioner"),
        ({"referral-letter_text": ""}, "letter_text", "Paste the referral letter or upload it"),
        ({"referral-condition": "other"}, "condition_other", "Describe the condition"),
        ({"patient-gp_practice_name": ""}, "patient-gp_practice_name", "referring GP practice"),
    ],
)
def test_it_refuses_bad_referral_details_next_to_the_field(reception_client, changes, field, message):
    response = reception_client.post(reverse("patients:referral_intake"), intake(**changes))
    assert_field_error(
        response, f"id_{field}" if field.startswith("patient-") else f"id_referral-{field}", message
    )
    assert not Referral.objects.exists() and not Patient.objects.exists()


def test_a_new_patients_intake_asks_for_the_gp_practice_once_and_the_referral_comes_from_it(
    reception_client,
):
    page = reception_client.get(reverse("patients:referral_intake")).content.decode()
    assert page.count('name="patient-gp_practice_name"') == 1
    assert "referral-gp_practice_name" not in page
    reception_client.post(reverse("patients:referral_intake"), intake())
    referral = Referral.objects.get()
    assert (referral.gp_practice_name, referral.gp_practice_ods) == ("Riverside Medical Practice", "P84001")


def test_an_existing_patients_referral_starts_from_their_gp_practice(reception_client, patient):
    patient.gp_practice_name = "Moss Side Health Centre"
    patient.save()
    page = reception_client.get(
        reverse("patients:referral_intake") + f"?patient={patient.pk}"
    ).content.decode()
    assert f'name="referral-gp_practice_name" value="{patient.gp_practice_name}"' in page


def test_the_intake_refuses_a_duplicate_nhs_number_and_saves_neither(reception_client):
    factories.PatientFactory(nhs_number="9434765919")
    response = reception_client.post(reverse("patients:referral_intake"), intake())
    assert_field_error(response, "id_patient-nhs_number", "already registered")
    assert not Referral.objects.exists()


def test_a_referral_for_an_existing_patient_keeps_the_patient(reception_client, patient):
    data = {k: v for k, v in intake().items() if k.startswith("referral-")}
    data["referral-gp_practice_name"] = "Riverside Medical Practice"
    reception_client.post(
        reverse("patients:referral_intake") + f"?patient={patient.pk}", {**data, "patient": patient.pk}
    )
    assert Referral.objects.get().patient == patient
    assert Patient.objects.count() == 1


def eligibility_data(**changes):
    data = {
        "assessed_on": timezone.localdate().isoformat(),
        "weight_kg": "70",
        "egfr": "85",
        "corrected_calcium": "2.40",
        "ecg_result": "normal",
        "qtc_ms": "420",
        "decision": "eligible",
        "reasons": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("egfr", "-1", "between 0 and 200"),
        ("corrected_calcium", "4.5", "between 1.00 and 4.00"),
        ("qtc_ms", "250", "between 300 and 700"),
        ("weight_kg", "350", "between 20 and 300 kg"),
    ],
)
def test_the_eligibility_form_refuses_out_of_range_values(
    specialist_client, patient, lidocaine, field, value, message
):
    url = reverse("patients:eligibility_assess", args=[patient.pk, lidocaine.slug])
    response = specialist_client.post(url, eligibility_data(**{field: value}))
    assert_field_error(response, f"id_{field}", message)
    assert not EligibilityAssessment.objects.exists() and not WeightRecord.objects.exists()


def test_the_eligibility_form_needs_reasons_to_decline(specialist_client, patient, lidocaine):
    url = reverse("patients:eligibility_assess", args=[patient.pk, lidocaine.slug])
    response = specialist_client.post(url, eligibility_data(decision="declined"))
    assert_field_error(response, "id_reasons", "reasons for declining")
    assert not EligibilityAssessment.objects.exists()


def test_the_eligibility_form_shows_the_family_checklist_and_needs_a_justification(
    specialist_client, patient, lidocaine
):
    lidocaine.contraindications = ["Uncontrolled epilepsy", "Severe heart failure"]
    lidocaine.save()
    url = reverse("patients:eligibility_assess", args=[patient.pk, lidocaine.slug])
    page = specialist_client.get(url).content.decode()
    assert "Uncontrolled epilepsy" in page and "Severe heart failure" in page
    response = specialist_client.post(
        url, {**eligibility_data(), "contraindications": ["Uncontrolled epilepsy"]}
    )
    assert_field_error(response, "id_reasons", "justify the decision")
    specialist_client.post(
        url, {**eligibility_data(reasons="Stable for years"), "contraindications": ["Uncontrolled epilepsy"]}
    )
    assert EligibilityAssessment.objects.get().checklist == {
        "Uncontrolled epilepsy": True,
        "Severe heart failure": False,
    }


def test_an_illegal_transition_from_the_page_says_why(specialist_client, specialist, a_referral):
    url = reverse("patients:referral_transition", args=[a_referral.pk])
    response = specialist_client.post(url, {"action": "accept", "note": ""})
    assert response.status_code == 400
    assert "cannot be moved to accepted" in response.content.decode()
    a_referral.refresh_from_db()
    assert a_referral.status == "received"


def test_declining_from_the_page_needs_a_reason_next_to_the_note(specialist_client, specialist):
    referral = referral_in("triaged", by=specialist)
    response = specialist_client.post(
        reverse("patients:referral_transition", args=[referral.pk]), {"action": "decline", "note": ""}
    )
    assert response.status_code == 400
    assert "Give the reason for declining" in response.content.decode()


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Thornton",
        "thorn",
        "Margaret Thornton",
        "943 476 5919",
        "9434765919",
        "943476",
        "14/03/1961",
        "1961-03-14",
    ],
)
def test_one_search_box_finds_a_patient_by_name_nhs_number_or_birth_date(reception_client, query):
    from datetime import date

    wanted = factories.PatientFactory(
        first_name="Margaret", last_name="Thornton", nhs_number="9434765919", date_of_birth=date(1961, 3, 14)
    )
    factories.PatientFactory(first_name="David", last_name="Okonkwo", date_of_birth=date(1975, 9, 2))
    response = reception_client.get(reverse("patients:patient_list"), {"q": query})
    assert list(response.context["page"]) == [wanted]


def test_a_search_with_no_match_says_what_to_do_next(reception_client):
    response = reception_client.get(reverse("patients:patient_list"), {"q": "Nobody"})
    assert "No patient matches" in response.content.decode()


# --- what each role sees ------------------------------------------------------------------------


def test_reception_sees_status_and_allergies_but_not_notes_or_labs(
    reception_client, specialist, patient, lidocaine
):
    from patients import services

    referral = referral_in("awaiting_assessment", by=specialist, patient=patient)
    services.record_eligibility(
        patient=patient,
        family=lidocaine,
        by=specialist,
        assessed_on=timezone.localdate(),
        weight_kg=70,
        egfr=77,
        decision="eligible",
        checklist={},
        referral=referral,
    )
    page = reception_client.get(patient.get_absolute_url()).content.decode()
    assert "Penicillin: rash" in page
    assert "Accepted" in page and "Eligible" in page
    assert "anxious about needles" not in page and "Clinical notes" not in page
    assert ">77<" not in page and "clinical staff only" in page
    form = reception_client.get(reverse("patients:patient_edit", args=[patient.pk])).context["form"]
    assert "notes" not in form.fields


def test_clinical_roles_see_notes_and_labs(nurse_client, specialist, patient, lidocaine):
    from patients import services

    services.record_eligibility(
        patient=patient,
        family=lidocaine,
        by=specialist,
        assessed_on=timezone.localdate(),
        weight_kg=70,
        egfr=77,
        decision="eligible",
        checklist={},
    )
    page = nurse_client.get(patient.get_absolute_url()).content.decode()
    assert "anxious about needles" in page and ">77<" in page and "Penicillin: rash" in page


def test_the_patient_page_shows_a_lapsed_eligibility(nurse_client, specialist, nurse, patient, lidocaine):
    from patients import services

    services.record_eligibility(
        patient=patient,
        family=lidocaine,
        by=specialist,
        assessed_on=timezone.localdate() - timedelta(days=10),
        weight_kg=70,
        decision="eligible",
        checklist={},
    )
    services.record_weight(patient=patient, recorded_on=timezone.localdate(), weight_kg=60, by=nurse)
    page = nurse_client.get(patient.get_absolute_url()).content.decode()
    assert "Lapsed" in page and "more than 10%" in page


def test_the_prescribe_link_shows_only_to_those_who_may_prescribe(
    specialist_client, reception_client, patient
):
    prescribe_url = reverse("patients:prescribe", args=[patient.pk])
    assert prescribe_url in specialist_client.get(patient.get_absolute_url()).content.decode()
    assert "Choose protocol and dose" in specialist_client.get(patient.get_absolute_url()).content.decode()
    assert "Choose protocol and dose" not in reception_client.get(patient.get_absolute_url()).content.decode()


def test_the_waiting_list_marks_breaches_and_filters(reception_client, users):
    today = timezone.localdate()
    breach = factories.ReferralFactory(received_on=today - timedelta(days=127), condition="crps")
    fresh = factories.ReferralFactory(received_on=today - timedelta(days=3), condition="fibromyalgia")
    private = factories.ReferralFactory(
        received_on=today - timedelta(days=200), funding_route="self_pay", commissioner=None, condition="crps"
    )
    response = reception_client.get(reverse("patients:waiting_list"))
    rows = [r for r, _ in response.context["rows"]]
    assert rows == [private, breach, fresh]  # longest wait first
    html = response.content.decode()
    assert html.count('data-testid="rtt-breach"') == 1
    assert 'class="table-danger"' in html
    filtered = reception_client.get(
        reverse("patients:waiting_list"), {"condition": "crps", "funding_route": "nhs"}
    )
    assert [r for r, _ in filtered.context["rows"]] == [breach]


def test_the_waiting_list_filters_by_status(reception_client, specialist):
    triaged = referral_in("triaged", by=specialist)
    referral_in("received", by=specialist)
    treated = referral_in("in_treatment", by=specialist)
    response = reception_client.get(reverse("patients:waiting_list"), {"status": "triaged"})
    assert [r for r, _ in response.context["rows"]] == [triaged]
    default = reception_client.get(reverse("patients:waiting_list"))
    assert treated not in [r for r, _ in default.context["rows"]]


def test_the_referral_timeline_shows_each_step_with_who(specialist_client, specialist):
    referral = referral_in("accepted", by=specialist)
    html = specialist_client.get(referral.get_absolute_url()).content.decode()
    for label in ("Triaged", "Awaiting assessment", "Accepted"):
        assert label in html
    assert html.count(specialist.get_full_name()) >= 3


def test_dashboard_cards_show_counts_per_role(reception_client, specialist_client, specialist):
    referral_in("received", by=specialist)
    referral_in("received", by=specialist)
    reception_page = reception_client.get(reverse("dashboard")).content.decode()
    assert re.search(r'data-testid="received-count">2<', reception_page)
    specialist_page = specialist_client.get(reverse("dashboard")).content.decode()
    assert re.search(r'data-testid="triage-count">2<', specialist_page)


def test_reception_sees_the_timeline_steps_but_not_the_clinical_notes_on_them(reception_client, specialist):
    referral = referral_in("received", by=specialist)
    from patients import services

    services.triage_referral(referral=referral, by=specialist, note="History of psychosis: avoid ketamine.")
    reception_page = reception_client.get(referral.get_absolute_url()).content.decode()
    assert "Triaged" in reception_page and "History of psychosis" not in reception_page
    assert "clinical staff only" in reception_page
    specialist_page = client_for(specialist).get(referral.get_absolute_url()).content.decode()
    assert "History of psychosis" in specialist_page


def test_a_missing_patient_or_referral_is_a_404_not_a_500(nurse_client):
    assert nurse_client.get(reverse("patients:patient_detail", args=[999999])).status_code == 404
    assert nurse_client.get(reverse("patients:referral_detail", args=[999999])).status_code == 404

"""The booking page and the slot finder find the patient as you type (patients/picker.py): the page never
lists every patient, its queries do not grow with the number of patients, the referral field follows the
chosen patient, and without JavaScript a search narrows the choice. The browser side is in
test_browser_patient_picker.py."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from sessions.models import InfusionSession

from .. import factories
from .conftest import accepted_referral, at, eligible_patient

pytestmark = pytest.mark.django_db

BOOK = reverse("infusion_sessions:book")
PICK = reverse("patients:picker")
REFERRALS = reverse("infusion_sessions:book_referrals")


def crowd(count):
    """`count` patients, each with a referral: what a select of every patient and referral would list."""
    patients = factories.PatientFactory.create_batch(count)
    for p in patients:
        accepted_referral(p)
    return patients


def shown(html, patients):
    return [p for p in patients if str(p) in html or p.nhs_number_display in html]


# --- the page never lists every patient ------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_the_booking_page_lists_no_patient_until_one_is_searched_in_constant_queries(
    clinic_morning, reception_client, lidocaine, chairs, django_assert_max_num_queries, count
):
    patients = crowd(count)
    with django_assert_max_num_queries(14):
        response = reception_client.get(BOOK)
    html = response.content.decode()
    assert response.status_code == 200
    assert shown(html, patients) == []
    assert "Referral " not in html  # no referral options either, before a patient is chosen
    assert html.count('role="listbox"') == 2  # the slot finder's picker and the booking form's
    assert 'for="id_patient_search"' in html and 'for="book_patient_search"' in html


@pytest.mark.parametrize("count", [3, 30])
def test_a_patient_from_the_query_string_is_chosen_with_their_referrals_only(
    clinic_morning, reception_client, lidocaine, chairs, django_assert_max_num_queries, count
):
    others = crowd(count)
    patient = eligible_patient(lidocaine)
    second = accepted_referral(patient, condition="crps")
    with django_assert_max_num_queries(16):
        response = reception_client.get(BOOK, {"patient": patient.pk})
    html = response.content.decode()
    assert shown(html, others) == []
    assert html.count(f'<option value="{patient.pk}" selected>') == 2  # in both pickers
    assert f'value="{patient}"' in html  # the search box shows who is chosen, with their details under it
    assert f"born {patient.date_of_birth:%-d %b %Y} · NHS {patient.nhs_number_display}</span>" in html
    assert f'<option value="{second.pk}">' in html
    referrals = {r.pk for r in response.context["form"].fields["referral"].queryset}
    assert referrals == set(patient.referrals.values_list("pk", flat=True)) and len(referrals) == 2


@pytest.mark.parametrize("count", [3, 30])
def test_the_slot_finder_keeps_its_queries_and_page_size_whatever_the_number_of_patients(
    clinic_morning, reception_client, lidocaine, chairs, django_assert_max_num_queries, count
):
    others = crowd(count)
    patient = eligible_patient(lidocaine)
    query = {
        "patient": patient.pk,
        "protocol_version": lidocaine.pk,
        "earliest": "2026-11-30",
        "preference": "any",
    }
    with django_assert_max_num_queries(40):
        response = reception_client.get(BOOK, query)
    assert response.status_code == 200 and len(response.context["found"].slots) == 10
    html = response.content.decode()
    assert shown(html, others) == []
    assert html.count(f'<option value="{patient.pk}" selected>') == 2


# --- the picker's list -----------------------------------------------------------------------------


def test_the_picker_finds_by_part_of_a_name_nhs_number_or_date_of_birth(reception_client):
    thornton = factories.PatientFactory(
        first_name="Margaret", last_name="Thornton", nhs_number="9434765919", date_of_birth=date(1961, 3, 14)
    )
    factories.PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=date(1970, 1, 2))
    for query in ("thorn", "marg", "Margaret Thorn", "943 476 5919", "943476", "14/03/1961", "1961-03-14"):
        response = reception_client.get(PICK, {"q": query})
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('role="option"') == 1, query
        assert f'data-value="{thornton.pk}"' in html and "THORNTON, Margaret" in html
        assert "born 14 Mar 1961" in html and "943 476 5919" in html
    assert "No patient matches" in reception_client.get(PICK, {"q": "zzzz"}).content.decode()
    # One character would match nearly everyone: nothing is listed until a second is typed.
    assert 'role="option"' not in reception_client.get(PICK, {"q": "t"}).content.decode()


@pytest.mark.parametrize("count", [12, 40])
def test_the_picker_lists_ten_matches_at_most_in_one_query(
    reception_client, django_assert_max_num_queries, count
):
    for n in range(count):
        factories.PatientFactory(last_name=f"Smith{n:02d}")
    with django_assert_max_num_queries(6):  # the session, the user, their permissions, the search
        response = reception_client.get(PICK, {"q": "smith"})
    html = response.content.decode()
    assert html.count('role="option" aria-selected="false"') == 10
    assert "More patients match" in html
    assert "SMITH00" in html and "SMITH10" not in html  # by name, in order


def test_the_picker_needs_a_role_that_sees_patients(client, nurse_client):
    factories.PatientFactory(last_name="Thornton")
    client.force_login(factories.UserFactory())
    assert client.get(PICK, {"q": "thorn"}).status_code == 403
    assert nurse_client.get(PICK, {"q": "thorn"}).status_code == 200
    assert Client().get(PICK, {"q": "thorn"}).status_code == 302  # to the sign-in page


# --- the referral field follows the patient ---------------------------------------------------------


def test_the_referral_field_is_fetched_for_the_chosen_patient(reception_client, nurse_client, lidocaine):
    patient = eligible_patient(lidocaine)
    mine = patient.referrals.get()
    other = accepted_referral(factories.PatientFactory())
    response = reception_client.get(REFERRALS, {"form": "book", "patient": patient.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="div_book_referral"' in html and f'<option value="{mine.pk}">' in html
    assert f'value="{other.pk}"' not in html
    search = reception_client.get(REFERRALS, {"form": "search", "patient": patient.pk}).content.decode()
    assert 'id="div_id_referral"' in search and "The accepted referral" in search
    for nobody in ("", "abc", str(2**64)):
        empty = reception_client.get(REFERRALS, {"form": "book", "patient": nobody})
        assert empty.status_code == 200 and "Referral " not in empty.content.decode()
    assert nurse_client.get(REFERRALS, {"patient": patient.pk}).status_code == 403


# --- validation stays the same ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "patient, message",
    [
        ("", "Choose the patient: type part of their name"),
        ("999999", "No such patient. Search again"),
        ("abc", "No such patient. Search again"),
    ],
)
def test_a_missing_or_unknown_patient_is_refused_next_to_the_field(
    clinic_morning, reception_client, lidocaine, chair, patient, message
):
    response = reception_client.post(
        BOOK,
        {
            "patient": patient,
            "protocol_version": lidocaine.pk,
            "chair": chair.pk,
            "start": "2026-11-30T09:00",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["patient"] == [
        next(m for m in response.context["form"].fields["patient"].error_messages.values() if message in m)
    ]
    html = response.content.decode()
    assert 'id="book_patient_error" class="invalid-feedback"' in html
    assert 'class="patient-picker is-invalid"' in html  # the feedback shows (Bootstrap's sibling rule)
    assert 'aria-invalid="true"' in html
    assert not InfusionSession.objects.exists()


def test_a_referral_of_another_patient_is_refused(clinic_morning, reception_client, lidocaine, chair):
    patient = eligible_patient(lidocaine)
    other = accepted_referral(factories.PatientFactory())
    response = reception_client.post(
        BOOK,
        {
            "patient": patient.pk,
            "protocol_version": lidocaine.pk,
            "chair": chair.pk,
            "start": "2026-11-30T09:00",
            "referral": other.pk,
        },
    )
    assert response.status_code == 400
    assert "referral" in response.context["form"].errors
    assert not InfusionSession.objects.exists()


def test_a_patient_picked_in_the_picker_is_booked(clinic_morning, reception_client, lidocaine, chair):
    patient = eligible_patient(lidocaine)
    response = reception_client.post(
        BOOK,
        {
            "patient": patient.pk,
            "protocol_version": lidocaine.pk,
            "chair": chair.pk,
            "start": "2026-11-30T09:00",
            "referral": patient.referrals.get().pk,
        },
    )
    assert response.status_code == 302
    session = InfusionSession.objects.get()
    assert session.patient == patient and session.start == at(date(2026, 11, 30), 9)


# --- without JavaScript: a search narrows the choice -----------------------------------------------


def test_without_javascript_the_booking_forms_search_offers_the_matches(
    clinic_morning, reception_client, lidocaine, chairs
):
    others = crowd(5)
    smiths = [factories.PatientFactory(first_name=n, last_name="Smithson") for n in ("Ann", "Bea")]
    response = reception_client.get(BOOK, {"patient_lookup": "book", "patient_q": "smithson"})
    html = response.content.decode()
    assert shown(html, others) == []
    for smith in smiths:
        assert f'<option value="{smith.pk}">' in html
    assert "Patients matching “smithson”" in html and "Choose one of 2" in html
    # The slot finder's picker did not search.
    assert response.context["search"].fields["patient"].widget.matches == []
    # The booking form's search box and button belong to a GET form outside the POST form.
    assert 'id="book-patient-lookup" method="get"' in html
    assert 'name="patient_q" value="smithson"' in html and 'form="book-patient-lookup"' in html


def test_without_javascript_one_match_is_chosen_and_the_slot_finder_keeps_its_choices(
    clinic_morning, reception_client, lidocaine, chairs
):
    crowd(5)
    patient = eligible_patient(lidocaine)
    patient.last_name = "Featherstonehaugh"
    patient.save()
    response = reception_client.get(
        BOOK,
        {
            "patient_lookup": "search",
            "patient_q": "featherstone",
            "protocol_version": lidocaine.pk,
            "preference": "morning",
        },
    )
    assert response.status_code == 200
    search = response.context["search"]
    assert not search.is_bound and response.context["found"] is None  # a lookup, not a slot search
    html = response.content.decode()
    assert f'<option value="{patient.pk}" selected>' in html
    assert f'<option value="{lidocaine.pk}" selected>' in html
    assert '<option value="morning" selected>' in html
    # Its referral is offered now the patient is chosen.
    assert f'<option value="{patient.referrals.get().pk}">' in html

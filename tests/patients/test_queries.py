"""Pages whose data grows make the same number of queries for 5 and for 50 rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.dashboard import reception_referrals_card, specialist_triage_card

from .. import factories

pytestmark = pytest.mark.django_db

# session + user + permissions + groups + count + page: 7 today; one spare.
BUDGET = {
    "waiting_list": 8,
    "search": 8,
    "triage_queue": 8,
    # Other apps add their own sections (sessions, diaries) to the patient page through includes.
    "patient_detail": 16,
}


def make_referrals(n, *, surname="Hartley"):
    commissioner = factories.CommissionerFactory()
    insurer = factories.InsurerFactory()
    creator = factories.UserFactory()
    today = timezone.localdate()
    for i in range(n):
        patient = factories.PatientFactory(last_name=surname)
        if i % 3 == 2:
            factories.ReferralFactory(
                patient=patient,
                created_by=creator,
                funding_route="insured",
                insurer=insurer,
                commissioner=None,
                policy_number=f"P{i}",
                received_on=today - timedelta(days=i * 3),
            )
        else:
            factories.ReferralFactory(
                patient=patient,
                created_by=creator,
                commissioner=commissioner,
                received_on=today - timedelta(days=i * 3),
            )


def queries_for(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("size", [5, 50])
def test_the_waiting_list_makes_constant_queries(reception_client, django_assert_max_num_queries, size):
    make_referrals(size)
    with django_assert_max_num_queries(BUDGET["waiting_list"]):
        response = reception_client.get(reverse("patients:waiting_list"))
    assert len(response.context["rows"]) == size


@pytest.mark.parametrize("size", [5, 50])
def test_the_patient_search_makes_constant_queries(reception_client, django_assert_max_num_queries, size):
    make_referrals(size)
    with django_assert_max_num_queries(BUDGET["search"]):
        response = reception_client.get(reverse("patients:patient_list"), {"q": "hartley"})
    assert response.context["page"].paginator.count == size


@pytest.mark.parametrize("size", [5, 50])
def test_the_triage_queue_makes_constant_queries(specialist_client, django_assert_max_num_queries, size):
    make_referrals(size)
    with django_assert_max_num_queries(BUDGET["triage_queue"]):
        response = specialist_client.get(reverse("patients:triage_queue"))
    assert len(response.context["new"]) == size


@pytest.mark.parametrize("size", [1, 10])
def test_the_patient_page_makes_constant_queries(
    nurse_client, specialist, django_assert_max_num_queries, size, lidocaine
):
    patient = factories.PatientFactory()
    ketamine = factories.ProtocolFamilyFactory(slug="ketamine", name="Ketamine")
    for i in range(size):
        factories.ReferralFactory(patient=patient, received_on=timezone.localdate() - timedelta(days=i))
        factories.WeightRecordFactory(patient=patient, recorded_on=timezone.localdate() - timedelta(days=i))
        services.record_eligibility(
            patient=patient,
            family=lidocaine if i % 2 else ketamine,
            by=specialist,
            assessed_on=timezone.localdate() - timedelta(days=i),
            weight_kg=70,
            decision="eligible",
            checklist={},
        )
    with django_assert_max_num_queries(BUDGET["patient_detail"]):
        response = nurse_client.get(patient.get_absolute_url())
    assert len(response.context["referrals"]) == size


def test_the_same_pages_make_exactly_as_many_queries_at_5_and_50(reception_client, specialist_client):
    make_referrals(5, surname="Small")
    small = (
        queries_for(reception_client, reverse("patients:waiting_list")),
        queries_for(reception_client, reverse("patients:patient_list"), {"q": "small"}),
        queries_for(specialist_client, reverse("patients:triage_queue")),
    )
    make_referrals(45, surname="Small")
    large = (
        queries_for(reception_client, reverse("patients:waiting_list")),
        queries_for(reception_client, reverse("patients:patient_list"), {"q": "small"}),
        queries_for(specialist_client, reverse("patients:triage_queue")),
    )
    assert small == large


@pytest.mark.parametrize("size", [5, 50])
def test_the_dashboard_cards_make_constant_queries(
    reception, specialist, django_assert_max_num_queries, size
):
    make_referrals(size)
    for user, provider in ((reception, reception_referrals_card), (specialist, specialist_triage_card)):
        request = RequestFactory().get("/")
        request.user = user
        user.has_perm("patients.view_patient")  # load the permission cache outside the budget
        with django_assert_max_num_queries(2):
            card = provider(request)
        assert card.context["received"] == size

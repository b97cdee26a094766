"""The Book page checks the booking first: what is missing, and where it is put right, before any slot."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients.models import EligibilityAssessment, EligibilityDecision
from sessions import booking
from sessions.models import InfusionSession

from .. import factories
from .conftest import accepted_referral, at, make_eligible

pytestmark = pytest.mark.django_db

BOOK = reverse("infusion_sessions:book")


def search(client, patient, version, day, **extra):
    return client.get(
        BOOK,
        {
            "patient": patient.pk,
            "protocol_version": version.pk,
            "earliest": day.isoformat(),
            "preference": "any",
            **extra,
        },
    )


def test_it_says_what_is_missing_for_an_untriaged_unassessed_patient_and_offers_no_slot(
    lidocaine, chairs, monday, reception_client
):
    patient = factories.PatientFactory()
    referral = factories.ReferralFactory(patient=patient, status="received")
    response = search(reception_client, patient, lidocaine, monday)
    assert response.status_code == 200
    found = response.context["found"]
    assert found.slots == []
    assert [b.field for b in found.blockers] == ["patient", "referral"]
    page = response.content.decode()
    assert 'data-testid="slots"' not in page and "Book course" not in page
    assert "cannot be booked for" in page
    assert "has no eligibility assessment for Lidocaine" in page
    assert "has no accepted referral" in page and "is received" in page
    # Reception cannot triage or assess: the page says who does, and links the record instead.
    assert "Ask a pain specialist: triage the referral." in page
    assert "Ask a pain specialist: record eligibility for lidocaine." in page
    assert reverse("patients:patient_detail", args=[patient.pk]) in page
    assert found.blockers[1].url == reverse("patients:referral_detail", args=[referral.pk])
    assert found.blockers[0].url == reverse("patients:eligibility_assess", args=[patient.pk, "lidocaine"])


def test_a_user_who_can_fix_it_gets_the_link_to_the_page_that_does(lidocaine, chairs, monday, db):
    user = factories.reception_user(username="desk")
    user.groups.add(*factories.specialist_user(username="doc").groups.all())  # reception and specialist
    client = reception_client_for(user)
    patient = factories.PatientFactory()
    factories.ReferralFactory(patient=patient, status="triaged")
    page = search(client, patient, lidocaine, monday).content.decode()
    assert f'href="{reverse("patients:eligibility_assess", args=[patient.pk, "lidocaine"])}"' in page
    assert ">Accept the referral</a>" in page


def reception_client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_patient_with_no_referral_at_all_is_sent_to_register_one(
    lidocaine, chairs, monday, reception_client
):
    patient = factories.PatientFactory()
    make_eligible(patient, lidocaine.protocol.family)
    response = search(reception_client, patient, lidocaine, monday)
    (blocker,) = response.context["found"].blockers
    assert blocker.field == "referral" and "No referral is waiting" in blocker.message
    assert f'href="{reverse("patients:referral_intake")}?patient={patient.pk}"' in response.content.decode()


def test_a_declined_or_lapsed_assessment_is_a_blocker_too(lidocaine, chairs, monday, reception_client):
    patient = factories.PatientFactory()
    accepted_referral(patient)
    EligibilityAssessment.objects.create(
        patient=patient,
        protocol_family=lidocaine.protocol.family,
        assessed_on=timezone.localdate() - timedelta(days=1),
        assessed_by=factories.specialist_user(),
        decision=EligibilityDecision.DECLINED,
        reasons="Heart block on the ECG",
        weight_kg=70,
    )
    response = search(reception_client, patient, lidocaine, monday)
    (blocker,) = response.context["found"].blockers
    assert "assessed as not eligible" in blocker.message
    assert response.context["found"].slots == []


def test_the_finder_and_book_refuse_for_the_same_reasons(lidocaine, chairs, monday, booker):
    patient = factories.PatientFactory()
    factories.ReferralFactory(patient=patient, status="received")
    blockers = booking.check_booking(patient=patient, protocol_version=lidocaine, on_date=monday).blockers
    with pytest.raises(ValidationError) as refused:
        booking.book_session(
            patient=patient,
            protocol_version=lidocaine,
            chair=chairs[0],
            start=at(monday, 9),
            booked_by=booker,
        )
    assert refused.value.message_dict == {b.field: [b.message] for b in blockers}
    assert not InfusionSession.objects.exists()


def test_an_insured_referral_without_pre_authorisation_is_named_before_any_slot(
    lidocaine, chairs, monday, reception_client
):
    patient = factories.PatientFactory()
    make_eligible(patient, lidocaine.protocol.family)
    referral = accepted_referral(
        patient, funding_route="insured", commissioner=None, insurer=factories.InsurerFactory()
    )
    response = search(reception_client, patient, lidocaine, monday)
    (blocker,) = response.context["found"].blockers
    assert "no current pre-authorisation" in blocker.message
    assert blocker.url == reverse("patients:referral_detail", args=[referral.pk])
    assert 'data-testid="slots"' not in response.content.decode()


def test_several_accepted_referrals_are_chosen_in_the_search_and_sent_with_book(
    lidocaine, chairs, monday, reception_client
):
    patient = factories.PatientFactory()
    make_eligible(patient, lidocaine.protocol.family)
    accepted_referral(patient)
    second = accepted_referral(patient)
    unchosen = search(reception_client, patient, lidocaine, monday)
    assert "more than one active referral" in unchosen.context["found"].blockers[0].message
    assert "Choose the referral in" in unchosen.content.decode()
    chosen = search(reception_client, patient, lidocaine, monday, referral=second.pk)
    assert chosen.context["found"].blockers == [] and chosen.context["found"].slots
    assert f'name="referral" value="{second.pk}"' in chosen.content.decode()


def test_a_ready_patient_gets_slots_in_day_and_time_order_with_the_quieter_ones_marked(
    patient, lidocaine, chairs, monday, booker, reception_client, django_assert_max_num_queries
):
    other = factories.PatientFactory()
    accepted_referral(other)
    make_eligible(other, lidocaine.protocol.family)
    booking.book_session(
        patient=other, protocol_version=lidocaine, chair=chairs[0], start=at(monday, 10), booked_by=booker
    )
    with django_assert_max_num_queries(30):
        response = search(reception_client, patient, lidocaine, monday)
    found = response.context["found"]
    assert found.blockers == [] and len(found.slots) == 10
    starts = [s.start for s in found.slots]
    assert starts == sorted(starts)
    page = response.content.decode()
    assert page.count('data-testid="quieter"') == sum(s.quieter for s in found.slots) > 0
    assert 'data-testid="no-prescription"' in page  # a hint, not a blocker


def test_the_book_page_is_for_reception_only(lidocaine, patient, monday, nurse_client, reception_client):
    assert search(nurse_client, patient, lidocaine, monday).status_code == 403
    assert search(reception_client, patient, lidocaine, monday).status_code == 200


def test_a_user_who_may_prescribe_gets_the_prescribe_link_with_the_slots(patient, lidocaine, chairs, monday):
    user = factories.reception_user(username="desk2")
    user.groups.add(*factories.specialist_user(username="doc2").groups.all())  # reception and specialist
    response = search(reception_client_for(user), patient, lidocaine, monday)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{reverse("patients:prescribe", args=[patient.pk])}">prescribe</a>' in page

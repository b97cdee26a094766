"""Every booking path attaches the patient's active referral, or refuses with a message next to the field."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.selectors import nhs_activity
from billing.services import session_completed
from sessions import booking
from sessions.models import Course, InfusionSession, SessionStatus

from .. import factories
from .conftest import accepted_referral, at, make_eligible

pytestmark = pytest.mark.django_db


def eligible_without_referral(*versions):
    p = factories.PatientFactory()
    for v in versions:
        make_eligible(p, v.protocol.family)
    return p


def test_it_attaches_the_patients_accepted_referral_to_a_single_session(lidocaine, chair, monday, booker):
    patient = eligible_without_referral(lidocaine)
    factories.ReferralFactory(patient=patient, status="declined")  # closed: never chosen
    referral = accepted_referral(patient)
    session = booking.book_session(
        patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 9), booked_by=booker
    )
    assert session.referral == referral


def test_it_attaches_the_referral_to_the_course_and_every_session(ketamine, chair, monday, booker):
    patient = eligible_without_referral(ketamine)
    referral = accepted_referral(patient, status="in_treatment")
    course = booking.book_course(
        patient=patient, protocol_version=ketamine, chair=chair, start=at(monday, 8), booked_by=booker
    )
    assert course.referral == referral
    assert {s.referral_id for s in course.sessions.all()} == {referral.pk}
    assert course.sessions.count() == 5


@pytest.mark.parametrize("book", ["session", "course"])
def test_it_refuses_a_patient_without_an_accepted_referral_and_saves_nothing(
    book, lidocaine, ketamine, chair, monday, booker
):
    version = lidocaine if book == "session" else ketamine
    patient = eligible_without_referral(version)
    factories.ReferralFactory(patient=patient)  # received, not yet accepted
    service = booking.book_session if book == "session" else booking.book_course
    with pytest.raises(ValidationError) as exc:
        service(patient=patient, protocol_version=version, chair=chair, start=at(monday, 8), booked_by=booker)
    assert "has no accepted referral" in exc.value.message_dict["referral"][0]
    assert not InfusionSession.objects.exists()
    assert not Course.objects.exists()


def test_it_refuses_to_guess_between_two_active_referrals_and_books_the_one_chosen(
    lidocaine, chair, monday, booker
):
    patient = eligible_without_referral(lidocaine)
    accepted_referral(patient)
    second = accepted_referral(patient, funding_route="self_pay", commissioner=None)
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 9), booked_by=booker
        )
    assert "more than one active referral" in exc.value.message_dict["referral"][0]
    session = booking.book_session(
        patient=patient,
        protocol_version=lidocaine,
        chair=chair,
        start=at(monday, 9),
        booked_by=booker,
        referral=second,
    )
    assert session.referral == second


@pytest.mark.parametrize(
    ("status", "message"), [("discharged", "is discharged"), ("received", "is received")]
)
def test_it_refuses_a_named_referral_that_is_not_active(status, message, lidocaine, chair, monday, booker):
    patient = eligible_without_referral(lidocaine)
    accepted_referral(patient)
    closed = factories.ReferralFactory(patient=patient, status=status)
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient,
            protocol_version=lidocaine,
            chair=chair,
            start=at(monday, 9),
            booked_by=booker,
            referral=closed,
        )
    assert message in exc.value.message_dict["referral"][0]
    assert not InfusionSession.objects.exists()


def test_it_refuses_another_patients_referral(patient, lidocaine, chair, monday, booker):
    someone_else = accepted_referral(factories.PatientFactory())
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient,
            protocol_version=lidocaine,
            chair=chair,
            start=at(monday, 9),
            booked_by=booker,
            referral=someone_else,
        )
    assert "another patient" in exc.value.message_dict["referral"][0]


def test_a_move_of_a_session_booked_without_referral_attaches_the_active_one(
    lidocaine, chair, monday, booker
):
    patient = eligible_without_referral(lidocaine)
    legacy = InfusionSession.objects.create(  # booked before sessions carried their referral
        patient=patient,
        protocol_version=lidocaine,
        chair=chair,
        start=at(monday, 9),
        end=at(monday, 9) + lidocaine.chair_time,
        booked_by=booker,
    )
    with pytest.raises(ValidationError) as exc:
        booking.move_session(session=legacy, chair=chair, start=at(monday, 11), by=booker, reason="asked")
    assert "has no accepted referral" in exc.value.message_dict["referral"][0]
    legacy.refresh_from_db()
    assert legacy.status == SessionStatus.BOOKED
    referral = accepted_referral(patient)
    moved = booking.move_session(session=legacy, chair=chair, start=at(monday, 11), by=booker, reason="asked")
    assert moved.referral == referral


def test_rescheduling_the_rest_of_a_course_keeps_its_referral(ketamine, chair, monday, booker):
    patient = eligible_without_referral(ketamine)
    referral = accepted_referral(patient)
    course = booking.book_course(
        patient=patient, protocol_version=ketamine, chair=chair, start=at(monday, 8), booked_by=booker
    )
    new = booking.reschedule_rest_of_course(
        course=course, chair=chair, start=at(monday + timedelta(days=7), 8), by=booker, reason="holiday"
    )
    assert len(new) == 5
    assert {s.referral_id for s in new} == {referral.pk}


# --- the slot finder's Book button posts no referral -----------------------------------------


def _post_book(client, *, patient, version, chair, start):
    return client.post(
        reverse("infusion_sessions:book"),
        {
            "patient": patient.pk,
            "protocol_version": version.pk,
            "chair": chair.pk,
            "start": f"{start:%Y-%m-%dT%H:%M}",
        },
    )


def test_the_book_button_books_a_self_pay_session_that_is_invoiced_on_completion(
    lidocaine, chair, monday, reception_client
):
    patient = eligible_without_referral(lidocaine)
    referral = accepted_referral(patient, funding_route="self_pay", commissioner=None)
    factories.PriceListFactory(protocol_family=lidocaine.protocol.family, funding_route="self_pay")
    response = _post_book(
        reception_client, patient=patient, version=lidocaine, chair=chair, start=at(monday, 9)
    )
    assert response.status_code == 302
    session = InfusionSession.objects.get(patient=patient)
    assert session.referral == referral
    invoice = session_completed(session=session)
    assert invoice is not None
    assert invoice.lines.get().session == session


def test_the_book_button_runs_the_insurers_pre_authorisation_check(
    lidocaine, chair, monday, reception_client
):
    patient = eligible_without_referral(lidocaine)
    accepted_referral(
        patient,
        funding_route="insured",
        commissioner=None,
        insurer=factories.InsurerFactory(),
        policy_number="POL-9",
    )
    response = _post_book(
        reception_client, patient=patient, version=lidocaine, chair=chair, start=at(monday, 9)
    )
    assert response.status_code == 400
    assert "no current pre-authorisation" in response.context["form"].errors["referral"][0]
    assert not InfusionSession.objects.exists()


def test_the_book_button_puts_an_nhs_session_in_the_commissioners_activity_report(
    lidocaine, chair, monday, reception_client
):
    patient = eligible_without_referral(lidocaine)
    referral = accepted_referral(patient)
    response = _post_book(
        reception_client, patient=patient, version=lidocaine, chair=chair, start=at(monday, 9)
    )
    assert response.status_code == 302
    InfusionSession.objects.filter(patient=patient).update(status=SessionStatus.COMPLETED)  # given
    report = nhs_activity(monday.replace(day=1), commissioner=referral.commissioner)
    assert sum(row["sessions"] for row in report.rows) == 1


def test_the_book_button_without_an_accepted_referral_says_so_next_to_the_referral(
    lidocaine, chair, monday, reception_client, nurse_client
):
    patient = eligible_without_referral(lidocaine)
    response = _post_book(
        reception_client, patient=patient, version=lidocaine, chair=chair, start=at(monday, 9)
    )
    assert response.status_code == 400
    assert "has no accepted referral" in response.context["form"].errors["referral"][0]
    accepted_referral(patient)
    refused = _post_book(nurse_client, patient=patient, version=lidocaine, chair=chair, start=at(monday, 9))
    assert refused.status_code == 403
    assert not InfusionSession.objects.exists()

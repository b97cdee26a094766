from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import PreAuthorisation
from billing.services import ensure_preauthorisation, save_preauthorisation, session_completed

from .. import factories
from .conftest import referral, session, version

pytestmark = pytest.mark.django_db


def _ensure(ref, count=1):
    ensure_preauthorisation(
        patient=ref.patient, referral=ref, protocol_version=version(), session_count=count
    )


def test_an_insured_booking_without_a_preauthorisation_is_refused():
    ref = referral("insured")
    with pytest.raises(ValidationError) as exc:
        _ensure(ref)
    assert "no current pre-authorisation" in exc.value.message_dict["referral"][0]


def test_self_pay_and_nhs_bookings_need_no_preauthorisation():
    _ensure(referral("self_pay"), count=10)
    _ensure(referral("nhs"), count=10)


def test_booked_and_used_sessions_count_against_the_authorisation():
    preauth = factories.PreAuthorisationFactory(sessions_authorised=3)
    ref = preauth.referral
    _ensure(ref, count=3)
    done = session(referral=ref, status="completed")
    session_completed(session=done)
    session(referral=ref, status="booked", on=timezone.localdate() + timedelta(days=3))
    _ensure(ref, count=1)
    with pytest.raises(ValidationError) as exc:
        _ensure(ref, count=2)
    assert "1 left, 2 sessions asked for" in exc.value.message_dict["referral"][0]


def test_no_sessions_left_is_refused_with_a_clear_message():
    preauth = factories.PreAuthorisationFactory(sessions_authorised=1)
    session_completed(session=session(referral=preauth.referral))
    with pytest.raises(ValidationError) as exc:
        _ensure(preauth.referral)
    assert "authorised no more sessions" in exc.value.message_dict["referral"][0]
    assert preauth.uses.count() == 1


def test_cancelled_sessions_do_not_count():
    preauth = factories.PreAuthorisationFactory(sessions_authorised=1)
    session(referral=preauth.referral, status="cancelled")
    session(referral=preauth.referral, status="dna", on=timezone.localdate() - timedelta(days=1))
    _ensure(preauth.referral)


def test_an_expired_preauthorisation_does_not_count():
    preauth = factories.PreAuthorisationFactory(
        valid_from=timezone.localdate() - timedelta(days=200),
        valid_to=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        _ensure(preauth.referral)


def test_a_preauthorisation_must_belong_to_an_insured_referral_with_that_insurer():
    nhs = referral("nhs")
    with pytest.raises(ValidationError) as exc:
        save_preauthorisation(
            preauth=PreAuthorisation(
                referral=nhs,
                insurer=factories.InsurerFactory(),
                policy_number="P",
                preauth_number="A1",
                sessions_authorised=2,
                valid_from=timezone.localdate(),
                valid_to=timezone.localdate(),
            )
        )
    assert "not insured" in exc.value.message_dict["referral"][0]
    ins = referral("insured")
    with pytest.raises(ValidationError) as exc:
        save_preauthorisation(
            preauth=PreAuthorisation(
                referral=ins,
                insurer=factories.InsurerFactory(name="AXA Health"),
                policy_number="P",
                preauth_number="A1",
                sessions_authorised=2,
                valid_from=timezone.localdate(),
                valid_to=timezone.localdate(),
            )
        )
    assert "insurer" in exc.value.message_dict
    assert not PreAuthorisation.objects.exists()


def test_it_refuses_to_authorise_fewer_sessions_than_were_used():
    preauth = factories.PreAuthorisationFactory(sessions_authorised=2)
    session_completed(session=session(referral=preauth.referral))
    session_completed(session=session(referral=preauth.referral))
    preauth.sessions_authorised = 1
    with pytest.raises(ValidationError) as exc:
        save_preauthorisation(preauth=preauth)
    assert "2 sessions have already been used" in exc.value.message_dict["sessions_authorised"][0]

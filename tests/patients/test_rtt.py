from datetime import date, timedelta

import pytest

from patients.rtt import rtt_clock

from .. import factories

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)


def nhs(**kw):
    return factories.ReferralFactory.build(received_on=START, funding_route="nhs", **kw)


def test_weeks_waited_are_whole_weeks_since_receipt():
    assert rtt_clock(nhs(), today=START).weeks_waited == 0
    assert rtt_clock(nhs(), today=START + timedelta(days=6)).weeks_waited == 0
    assert rtt_clock(nhs(), today=START + timedelta(days=7)).weeks_waited == 1
    assert rtt_clock(nhs(), today=START + timedelta(days=125)).weeks_waited == 17


def test_126_days_is_not_yet_a_breach_and_127_is():
    at_126 = rtt_clock(nhs(), today=START + timedelta(days=126))
    at_127 = rtt_clock(nhs(), today=START + timedelta(days=127))
    assert at_126.weeks_waited == 18 and not at_126.breached and at_126.near_breach
    assert at_127.breached and not at_127.near_breach


def test_the_clock_stops_on_the_stop_date_and_the_wait_no_longer_grows():
    referral = nhs(rtt_stopped_on=START + timedelta(days=70))
    clock = rtt_clock(referral, today=START + timedelta(days=400))
    assert not clock.running
    assert clock.days_waited == 70 and clock.weeks_waited == 10
    assert not clock.breached


def test_a_clock_stopped_after_126_days_stays_a_breach():
    clock = rtt_clock(nhs(rtt_stopped_on=START + timedelta(days=130)), today=START + timedelta(days=200))
    assert clock.breached


def test_private_referrals_show_their_wait_but_never_breach():
    referral = factories.ReferralFactory.build(received_on=START, funding_route="self_pay", commissioner=None)
    clock = rtt_clock(referral, today=START + timedelta(days=300))
    assert clock.weeks_waited == 42
    assert not clock.applies and not clock.breached and not clock.near_breach


def test_near_breach_covers_the_last_three_weeks():
    assert not rtt_clock(nhs(), today=START + timedelta(days=104)).near_breach
    assert rtt_clock(nhs(), today=START + timedelta(days=105)).near_breach

"""Due times, quiet hours and wording: pure functions, no database."""

from datetime import datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from followup.models import validate_reminder_template
from followup.reminders import (
    applicable_lead,
    parse_quiet_hours,
    quiet_hours_end,
    render_reminder,
    sms_send_time,
)

LONDON = ZoneInfo("Europe/London")
QUIET = (time(21), time(8))


def at(*args):
    return datetime(*args, tzinfo=LONDON)


def test_it_picks_the_48h_reminder_between_48_and_24_hours_before():
    start = at(2026, 11, 27, 14, 30)
    assert applicable_lead(start=start, now=start - timedelta(hours=47), leads=[48, 24]) == 48
    assert applicable_lead(start=start, now=start - timedelta(hours=48), leads=[48, 24]) == 48
    assert applicable_lead(start=start, now=start - timedelta(hours=24, minutes=1), leads=[48, 24]) == 48


def test_it_picks_the_24h_reminder_in_the_last_day_and_none_before_48h_or_after_start():
    start = at(2026, 11, 27, 14, 30)
    assert applicable_lead(start=start, now=start - timedelta(hours=24), leads=[48, 24]) == 24
    assert applicable_lead(start=start, now=start - timedelta(hours=2), leads=[48, 24]) == 24
    assert applicable_lead(start=start, now=start - timedelta(hours=48, minutes=1), leads=[48, 24]) is None
    assert applicable_lead(start=start, now=start, leads=[48, 24]) is None
    assert applicable_lead(start=start, now=start + timedelta(minutes=5), leads=[48, 24]) is None


@given(minutes_before=st.integers(min_value=1, max_value=72 * 60))
def test_at_most_one_lead_time_is_due_at_any_moment(minutes_before):
    start = at(2026, 11, 27, 9, 0)
    lead = applicable_lead(start=start, now=start - timedelta(minutes=minutes_before), leads=[72, 48, 24])
    if minutes_before > 72 * 60:
        assert lead is None
    else:
        assert lead * 60 >= minutes_before
        assert all(other * 60 < minutes_before for other in (72, 48, 24) if other < lead)


def test_quiet_hours_across_midnight_defer_to_eight_in_the_morning():
    assert quiet_hours_end(at(2026, 11, 25, 22, 15), QUIET) == at(2026, 11, 26, 8, 0)
    assert quiet_hours_end(at(2026, 11, 26, 3, 0), QUIET) == at(2026, 11, 26, 8, 0)
    assert quiet_hours_end(at(2026, 11, 26, 8, 0), QUIET) is None
    assert quiet_hours_end(at(2026, 11, 26, 20, 59), QUIET) is None
    assert sms_send_time(at(2026, 11, 25, 21, 0), QUIET) == at(2026, 11, 26, 8, 0)
    assert sms_send_time(at(2026, 11, 25, 12, 0), QUIET) == at(2026, 11, 25, 12, 0)


def test_quiet_hours_follow_uk_time_in_summer():
    # 21:30 BST is 20:30 UTC: quiet in London even though UTC says 20:30.
    utc_moment = datetime(2026, 7, 1, 20, 30, tzinfo=ZoneInfo("UTC"))
    assert quiet_hours_end(utc_moment, QUIET) == at(2026, 7, 2, 8, 0)


def test_quiet_hours_within_a_day_and_off():
    assert parse_quiet_hours("13:00-14:00") == (time(13), time(14))
    assert quiet_hours_end(at(2026, 11, 25, 13, 30), (time(13), time(14))) == at(2026, 11, 25, 14, 0)
    assert parse_quiet_hours("") is None


def test_it_refuses_malformed_quiet_hours():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_quiet_hours("9pm to 8am")


def _session(start):
    return SimpleNamespace(
        start=start,
        patient=SimpleNamespace(first_name="Margaret"),
        chair=SimpleNamespace(location=SimpleNamespace(name="Riverside Infusion Suite")),
    )


def test_wording_shows_uk_date_and_time_and_only_plain_values(settings):
    settings.CLINIC_NAME = "Riverside Pain Clinic"
    # 13:30 UTC on 1 July is 14:30 BST.
    session = _session(datetime(2026, 7, 1, 13, 30, tzinfo=ZoneInfo("UTC")))
    template = {
        "subject": "Visit on {{ date }}",
        "body": "Hi {{ first_name }}: {{ date }} at {{ time }}, {{ location }}. {{ clinic_name }}",
    }
    subject, body = render_reminder(session=session, channel="email", template=template)
    assert subject == "Visit on Wed 1 Jul"
    assert body == "Hi Margaret: Wed 1 Jul at 14:30, Riverside Infusion Suite. Riverside Pain Clinic"


def test_wording_does_not_escape_or_expose_objects():
    session = _session(datetime(2026, 11, 25, 14, 30, tzinfo=LONDON))
    session.patient.first_name = "Ann & <Bo>"
    _, body = render_reminder(
        session=session,
        channel="sms",
        template={"subject": "", "body": "{{ first_name }} {{ patient.nhs_number }}{{ session }}"},
    )
    assert body == "Ann & <Bo>"


@pytest.mark.parametrize(
    "text",
    [
        "{% load static %}",
        "{% debug %}",
        "{% include 'base.html' %}",
        "{% if %}",
        "{{ nhs_number }}",
        "{{ patient.first_name }}",
    ],
)
def test_it_refuses_unsafe_or_broken_templates(text):
    with pytest.raises(ValidationError):
        validate_reminder_template(text)


def test_it_accepts_placeholders_and_if_tags():
    validate_reminder_template("Hi {{ first_name }}{% if location %} at {{ location }}{% endif %}")

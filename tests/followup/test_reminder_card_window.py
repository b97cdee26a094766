"""Reception's reminders card counts only the reminders of sessions from today on (followup/dashboard.py:
reminder_window), in queries that do not grow with the years of reminders behind it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus
from infusion_clinic.dates import today_bounds

from .conftest import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned(clinic_morning):
    """Today is the pinned Wednesday."""


def _log(session, status, *, claimed_before=timedelta(hours=24), channel="email"):
    return ReminderLog.objects.create(
        session=session,
        kind="24h",
        channel=channel,
        status=status,
        attempts=1,
        claimed_at=session.start - claimed_before,
        sent_at=session.start - claimed_before if status == ReminderStatus.SENT else None,
        recipient="x@example.org",
    )


def _history(n):
    """`n` past sessions, each with a failed and a sent reminder: none is for reception to act on."""
    for i in range(n):
        session = make_session(start=timezone.now() - timedelta(days=3 + i))
        _log(session, ReminderStatus.FAILED)
        _log(session, ReminderStatus.SENT, channel="sms")


def test_the_card_counts_the_failed_reminders_of_sessions_from_today_on_only(reception_client):
    _history(3)
    today_start, _ = today_bounds()
    earlier_today = make_session(start=today_start + timedelta(hours=8))  # this morning, already begun
    tomorrow = make_session(start=timezone.now() + timedelta(hours=20))
    _log(earlier_today, ReminderStatus.UNKNOWN, claimed_before=timedelta(hours=48))
    _log(tomorrow, ReminderStatus.FAILED)
    page = reception_client.get(reverse("dashboard")).content.decode()
    assert "2 failed or unknown" in page
    assert "for sessions from today on" in page


def test_the_card_says_all_delivered_when_only_past_sessions_had_failures(reception_client):
    _history(2)
    _log(make_session(start=timezone.now() + timedelta(hours=20)), ReminderStatus.SENT)
    page = reception_client.get(reverse("dashboard")).content.decode()
    assert "failed or unknown" not in page
    assert "All reminders for sessions from today on delivered" in page


def test_a_retried_reminder_still_counts_for_its_session(reception_client):
    session = make_session(start=timezone.now() + timedelta(hours=20))
    log = _log(session, ReminderStatus.FAILED)
    ReminderLog.objects.filter(pk=log.pk).update(claimed_at=timezone.now())  # a retry moves claimed_at on
    assert "1 failed or unknown" in reception_client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("history", [2, 40])
def test_the_reception_dashboard_keeps_its_query_count_whatever_the_history(
    history, reception_client, django_assert_max_num_queries
):
    _history(history)
    _log(make_session(start=timezone.now() + timedelta(hours=20)), ReminderStatus.FAILED)
    reception_client.get(reverse("dashboard"))  # the sign-in's session write happens here
    with django_assert_max_num_queries(10):  # auth and device, the cards: the same at 2 and 40
        page = reception_client.get(reverse("dashboard")).content.decode()
    assert "1 failed or unknown" in page

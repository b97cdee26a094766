"""The reminder deliveries page: 50 a page, newest first, and tab badges that stay cheap."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus
from followup.views import REMINDER_HISTORY_DAYS, REMINDER_PAGE_SIZE

from .conftest import make_session

pytestmark = pytest.mark.django_db


def _logs(n, status=ReminderStatus.FAILED, *, age=timedelta(0), session=None, tag=""):
    """n reminder logs on one session (distinct kinds), claimed a minute apart, the newest `age` ago."""
    session = session or make_session(start=timezone.now() + timedelta(hours=20))
    now = timezone.now()
    return [
        ReminderLog.objects.create(
            session=session,
            kind=f"{status[:2]}{tag}{i}",
            channel="email",
            status=status,
            attempts=1,
            claimed_at=now - age - timedelta(minutes=i),
            sent_at=now - age if status == ReminderStatus.SENT else None,
            last_error=f"error number {i}" if status == ReminderStatus.FAILED else "",
            recipient=session.patient.email,
        )
        for i in range(n)
    ]


def _badge(html, key):
    match = re.search(rf'data-testid="tab-{key}">[^<]*<span class="badge [^"]*">(\d+)</span>', html)
    assert match, f"no badge for the {key} tab"
    return int(match.group(1))


@pytest.mark.parametrize("rows", [3, 120])
def test_the_page_costs_the_same_queries_at_two_sizes(
    reception_client, django_assert_max_num_queries, clinic_morning, rows
):
    _logs(rows)
    _logs(rows, ReminderStatus.SENT)
    with django_assert_max_num_queries(12):
        response = reception_client.get(reverse("followup:reminder_list"))
    assert response.status_code == 200
    assert response.content.count(b">Retry<") == min(rows, REMINDER_PAGE_SIZE)


def test_page_two_holds_the_older_rows_newest_first(reception_client, clinic_morning):
    _logs(REMINDER_PAGE_SIZE + 7)
    first = reception_client.get(reverse("followup:reminder_list")).content.decode()
    assert first.count(">Retry<") == REMINDER_PAGE_SIZE
    assert "error number 0<" in first and f"error number {REMINDER_PAGE_SIZE}<" not in first
    assert "Page 1 of 2" in first and "page=2" in first
    second = reception_client.get(reverse("followup:reminder_list"), {"status": "failed", "page": 2})
    text = second.content.decode()
    assert second.status_code == 200 and text.count(">Retry<") == 7
    assert f"error number {REMINDER_PAGE_SIZE}<" in text and "error number 0<" not in text
    assert "Page 2 of 2" in text


def test_the_pager_keeps_the_tab(reception_client, clinic_morning):
    _logs(REMINDER_PAGE_SIZE + 1, ReminderStatus.SENT)
    text = reception_client.get(reverse("followup:reminder_list"), {"status": "sent"}).content.decode()
    assert "?status=sent&amp;page=2" in text


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", "99999999999999999999999", ""])
def test_a_bad_page_number_shows_a_page_never_a_500(reception_client, clinic_morning, page):
    _logs(REMINDER_PAGE_SIZE + 2)
    response = reception_client.get(reverse("followup:reminder_list"), {"page": page})
    assert response.status_code == 200
    assert response.content.count(b">Retry<") in (REMINDER_PAGE_SIZE, 2)


def test_badges_count_the_action_tabs_whole_and_the_history_tabs_over_the_window(
    reception_client, clinic_morning
):
    session = make_session(start=timezone.now() + timedelta(hours=20))
    _logs(2, ReminderStatus.FAILED, session=session, age=timedelta(days=400))
    _logs(1, ReminderStatus.UNKNOWN, session=session)
    _logs(1, ReminderStatus.PENDING, session=session)
    _logs(1, ReminderStatus.RETRYING, session=session, age=timedelta(days=90))
    _logs(3, ReminderStatus.SENT, session=session, age=timedelta(days=1))
    _logs(4, ReminderStatus.SENT, session=session, age=timedelta(days=REMINDER_HISTORY_DAYS + 1), tag="o")
    _logs(2, ReminderStatus.SKIPPED, session=session, age=timedelta(days=REMINDER_HISTORY_DAYS + 1))
    html = reception_client.get(reverse("followup:reminder_list")).content.decode()
    assert _badge(html, "failed") == 3 and _badge(html, "waiting") == 2
    assert _badge(html, "sent") == 3 and _badge(html, "skipped") == 0
    assert f"({REMINDER_HISTORY_DAYS} days)" in html
    sent = reception_client.get(reverse("followup:reminder_list"), {"status": "sent"}).content.decode()
    assert sent.count("badge text-bg-success") == 3
    skipped = reception_client.get(reverse("followup:reminder_list"), {"status": "skipped"}).content.decode()
    assert f"None in the last {REMINDER_HISTORY_DAYS} days" in skipped

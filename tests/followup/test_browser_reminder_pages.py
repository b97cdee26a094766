"""The reminder deliveries page in Chromium: 50 a page, the pager, the bounded Sent badge."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from followup.models import ReminderLog, ReminderStatus
from followup.views import REMINDER_PAGE_SIZE
from tests import factories
from tests.conftest import login, screenshot

from .conftest import make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reception_pages_through_failed_reminders_and_sees_the_sent_window(page):
    factories.reception_user(username="reception")
    now = timezone.now()
    sessions = [make_session(start=now + timedelta(hours=20 + 3 * i)) for i in range(3)]
    for i in range(REMINDER_PAGE_SIZE + 5):
        session = sessions[i % 3]
        status = ReminderStatus.UNKNOWN if i % 7 == 0 else ReminderStatus.FAILED
        ReminderLog.objects.create(
            session=session,
            kind=f"f{i}",
            channel="sms" if i % 2 else "email",
            status=status,
            attempts=1,
            claimed_at=now - timedelta(minutes=i),
            recipient=session.patient.email,
            last_error="Email is not configured (set EMAIL_URL)." if status == ReminderStatus.FAILED else "",
        )
    for i, days in enumerate((1, 2, 45)):
        ReminderLog.objects.create(
            session=sessions[0],
            kind=f"s{i}",
            channel="email",
            status=ReminderStatus.SENT,
            attempts=1,
            claimed_at=now - timedelta(days=days),
            sent_at=now - timedelta(days=days),
            recipient=sessions[0].patient.email,
        )
    login(page, "reception")
    page.goto(reverse("followup:reminder_list"))
    table = page.get_by_test_id("reminder-table")
    expect(table.locator("tbody tr")).to_have_count(REMINDER_PAGE_SIZE)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(page.get_by_test_id("tab-failed").locator(".badge")).to_have_text(str(REMINDER_PAGE_SIZE + 5))
    expect(page.get_by_test_id("tab-sent").locator(".badge")).to_have_text("2")
    expect(page.get_by_test_id("tab-sent")).to_contain_text("(30 days)")
    screenshot(page, "followup-reminders-page-1")
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    screenshot(page, "followup-reminders-page-2")
    page.get_by_test_id("tab-sent").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    screenshot(page, "followup-reminders-sent")

"""Outcome review to GP letter, and reception retrying a failed reminder, in Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followup import outcomes
from followup.models import OutcomeReview, PainDiaryEntry, ReminderLog, ReminderStatus
from tests import factories
from tests.conftest import login, screenshot

from .conftest import make_course, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_specialist_records_an_outcome_review_and_prints_the_gp_letter(page):
    factories.specialist_user(username="specialist", first_name="Samuel", last_name="Patel")
    patient = factories.PatientFactory(
        first_name="Thomas",
        last_name="Whitfield",
        gp_practice_name="Riverside Medical Practice",
        gp_practice_ods="P84001",
    )
    first = timezone.now().replace(hour=10, minute=0) - timedelta(days=20)
    course = make_course(
        patient=patient, starts=[first, first + timedelta(days=1), first + timedelta(days=2)]
    )
    for days, score in ((1, 7), (3, 8), (5, 7)):
        PainDiaryEntry.objects.create(
            patient=patient,
            recorded_at=first - timedelta(days=days),
            pain_now=score,
            pain_average=score,
            pain_worst=9,
            sleep="poor",
            activity="reduced",
        )
    outcomes.schedule_outcome_reviews(course=course)
    login(page, "specialist")
    page.goto("/patients/follow-up/outcomes/")
    screenshot(page, "followup-outcome-queue")
    page.get_by_role("link", name="Record review").first.click()
    page.get_by_label("Average pain over the last week (0-10)").fill("3")
    page.get_by_label("Much improved", exact=True).check()
    page.get_by_label("Discharge to GP").check()
    page.get_by_label("Notes for the GP letter").fill("Sleeping better; walking the dog again.")
    screenshot(page, "followup-outcome-form")
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_text("Outcome review recorded")).to_be_visible()
    screenshot(page, "followup-outcome-detail")
    page.get_by_role("link", name="GP letter").click()
    expect(page.get_by_text("Re: Thomas Whitfield")).to_be_visible()
    last = timezone.localtime(first + timedelta(days=2))
    expect(page.get_by_text(f"to {last.day} {last:%b %Y}")).to_be_visible()
    expect(page.get_by_text("Yes, substantial benefit (50% or more)")).to_be_visible()
    screenshot(page, "followup-gp-letter")
    review = OutcomeReview.objects.get(offset_days=14)
    assert str(review.percent_reduction) == "59.1" and review.baseline_pain is not None


def test_reception_sees_a_failed_reminder_and_retries_it(page, settings):
    factories.reception_user(username="reception")
    session = make_session(start=timezone.now() + timedelta(hours=20))
    ReminderLog.objects.create(
        session=session,
        kind="24h",
        channel="email",
        status=ReminderStatus.FAILED,
        attempts=1,
        claimed_at=timezone.now(),
        recipient=session.patient.email,
        last_error="Email is not configured (set EMAIL_URL).",
    )
    login(page, "reception")
    page.goto("/")
    page.get_by_role("link", name="See failed reminders").click()
    screenshot(page, "followup-failed-reminders")
    page.get_by_role("button", name=f"Retry the Email reminder to {session.patient.full_name}").click()
    expect(page.get_by_text(f"Email reminder sent to {session.patient.full_name}.")).to_be_visible()
    screenshot(page, "followup-reminder-retried")
    assert ReminderLog.objects.get().status == ReminderStatus.SENT

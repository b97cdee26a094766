"""The diary workflow in Chromium: a nurse gives a link, the patient fills the diary on a phone
without logging in, the specialist reviews it with a comment."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followup.models import PainDiaryEntry
from sessions.models import SessionStatus
from tests import factories
from tests.conftest import login, screenshot

from .conftest import make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _history(patient):
    now = timezone.now()
    make_session(patient=patient, start=now - timedelta(days=9), status=SessionStatus.SIGNED_OFF)
    make_session(patient=patient, start=now - timedelta(days=2), status=SessionStatus.SIGNED_OFF)
    for days, (p_now, avg, worst) in zip(
        range(16, 0, -3), [(7, 7, 9), (7, 8, 9), (6, 6, 8), (5, 5, 7), (4, 4, 6), (3, 4, 5)], strict=True
    ):
        PainDiaryEntry.objects.create(
            patient=patient,
            recorded_at=now - timedelta(days=days),
            pain_now=p_now,
            pain_average=avg,
            pain_worst=worst,
            sleep="disturbed",
            activity="reduced",
        )
    PainDiaryEntry.objects.filter(patient=patient).update(
        reviewed_at=now - timedelta(days=1),
        reviewed_by=factories.specialist_user(username="drlee"),
        review_comment="Good response to the first infusion.",
    )


def test_a_patient_fills_the_diary_by_link_and_the_specialist_reviews_it(browser, live_server, page):
    patient = factories.PatientFactory(first_name="Eleanor", last_name="Byrne")
    _history(patient)
    factories.nurse_user(username="nurse")
    factories.specialist_user(username="specialist", first_name="Samuel", last_name="Patel")

    # The nurse makes a link.
    login(page, "nurse")
    page.goto(f"/patients/follow-up/diaries/{patient.pk}/")
    page.get_by_role("button", name="New diary link").click()
    expect(page.get_by_role("alert").filter(has_text="New diary link")).to_be_visible()
    # The link stays on the page (copy, send, QR slip); its address starts with SITE_URL.
    link = re.search(r"/patients/diary/\S+/", page.locator("#diary-link-url").input_value()).group(0)
    screenshot(page, "followup-nurse-link")

    # The patient, on a phone, without an account.
    phone = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    mobile = phone.new_page()
    mobile.goto(link)
    expect(mobile.get_by_role("heading", name="Your pain diary")).to_be_visible()
    assert mobile.get_by_test_id("current-user").count() == 0
    # An impossible answer first: worst below average is refused with a clear message.
    mobile.locator("label[for=id_pain_now_3]").click()
    mobile.locator("label[for=id_pain_average_4]").click()
    mobile.locator("label[for=id_pain_worst_2]").click()
    mobile.get_by_text("Woke a few times with pain").click()
    mobile.get_by_text("Fewer activities than usual").click()
    mobile.get_by_role("button", name="Send my diary").click()
    expect(mobile.get_by_text("Worst pain cannot be lower than average pain")).to_be_visible()
    assert PainDiaryEntry.objects.filter(reviewed_at__isnull=True).count() == 0
    mobile.locator("label[for=id_pain_worst_6]").click()
    mobile.get_by_label("I took extra (rescue) pain medication in the last 24 hours").check()
    mobile.get_by_label("Which medication, and how much? (optional)").fill("Paracetamol 1 g")
    mobile.get_by_label("Anything else? (optional)").fill("Slept better after the second infusion.")
    screenshot(mobile, "followup-diary-phone-form")
    mobile.get_by_role("button", name="Send my diary").click()
    expect(mobile.get_by_role("heading", name="Thank you, Eleanor")).to_be_visible()
    screenshot(mobile, "followup-diary-phone-thanks")
    # A tampered link shows a friendly page.
    mobile.goto(link.replace(live_server.url, "")[:-4] + "abc/")
    expect(mobile.get_by_role("heading", name="This diary link does not work")).to_be_visible()
    screenshot(mobile, "followup-diary-bad-link")
    phone.close()

    entry = PainDiaryEntry.objects.get(reviewed_at__isnull=True)
    assert (entry.pain_now, entry.pain_average, entry.pain_worst, entry.source) == (3, 4, 6, "patient")

    # The specialist reviews.
    page.context.clear_cookies()
    login(page, "specialist")
    page.goto("/")
    screenshot(page, "followup-dashboard-specialist")
    page.get_by_role("link", name="Review diaries").click()
    screenshot(page, "followup-review-queue")
    page.get_by_role("link", name="Review", exact=True).click()
    page.wait_for_function(
        "document.querySelector('#diary-chart') && document.querySelector('#diary-chart').width > 0"
    )
    expect(page.get_by_test_id("unreviewed-entries").get_by_text("Paracetamol 1 g")).to_be_visible()
    screenshot(page, "followup-patient-diary-chart")
    page.get_by_label("Review comment").fill("Improving after the course; keep the diary going.")
    page.get_by_role("button", name=re.compile("Mark 1 entry reviewed")).click()
    expect(page.get_by_text("Reviewed 1 diary entry for Eleanor Byrne.")).to_be_visible()
    screenshot(page, "followup-reviewed")
    entry.refresh_from_db()
    assert entry.reviewed_by.username == "specialist" and entry.review_comment.startswith("Improving")

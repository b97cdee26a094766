"""A nurse hands a diary link over in Chromium: copies it to the clipboard and prints the QR slip."""

import pytest
from playwright.sync_api import expect

from followup import diaries
from tests import factories
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_copies_the_link_and_prints_the_qr_slip(page, live_server, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    patient = factories.PatientFactory(first_name="Eleanor", last_name="Byrne", consent_sms=False)
    factories.nurse_user(username="nurse")
    login(page, "nurse")
    page.goto(f"/patients/follow-up/diaries/{patient.pk}/")
    page.get_by_role("button", name="New diary link").click()
    page.wait_for_load_state("load")
    card = page.get_by_test_id("active-diary-link")
    expect(card).to_be_visible()
    url = diaries.link_url(diaries.active_link(patient))
    expect(card.get_by_label("Link", exact=True)).to_have_value(url)
    expect(card.get_by_role("img", name="QR code of the diary link")).to_be_visible()
    expect(card.get_by_role("button", name="Send by SMS")).to_be_disabled()
    expect(card).to_contain_text("Eleanor has not consented to SMS.")

    card.get_by_role("button", name="Copy").click()
    expect(card.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    screenshot(page, "followup-diary-link")

    with page.context.expect_page() as opened:
        card.get_by_role("link", name="Print slip").click()
    slip = opened.value
    slip.wait_for_load_state("load")
    sheet = slip.get_by_test_id("diary-slip")
    expect(sheet).to_contain_text("For Eleanor Byrne")
    expect(sheet).to_contain_text("This link works until 2 Dec 2026.")
    expect(sheet.get_by_test_id("slip-url")).to_have_text(url)
    box = sheet.get_by_role("img", name="QR code of the diary link").bounding_box()
    assert box["width"] > 200 and abs(box["width"] - box["height"]) < 2  # 60 mm: scannable on paper
    screenshot(slip, "followup-diary-slip")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("load")
    card = page.get_by_test_id("active-diary-link")
    overflow = card.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0
    screenshot(page, "followup-diary-link-phone")


def test_without_the_clipboard_api_the_copy_button_selects_the_link(
    browser, live_server, clinic_morning_ticking
):
    # Plain HTTP on another host is not a secure context: no navigator.clipboard there.
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.clock.install(time=clinic_morning_ticking)
    page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")
    patient = factories.PatientFactory(first_name="Eleanor", last_name="Byrne")
    factories.nurse_user(username="nurse")
    diaries.create_diary_link(patient=patient, created_by=factories.nurse_user(username="other"))
    login(page, "nurse")
    page.goto(f"/patients/follow-up/diaries/{patient.pk}/")
    card = page.get_by_test_id("active-diary-link")
    card.get_by_role("button", name="Copy").click()
    expect(card.get_by_role("status")).to_contain_text("press Ctrl+C")
    selected = page.evaluate(
        "document.getSelection().toString() || (() => {const i = document.activeElement; return i.value.substring(i.selectionStart, i.selectionEnd)})()"
    )
    assert selected == diaries.link_url(diaries.active_link(patient))
    context.close()

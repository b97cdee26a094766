"""A clinic admin resets a nurse's two-factor sign-in (lost phone) from the nurse's staff page."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from infusion_clinic.mfa import services as mfa

from .. import factories
from ..conftest import authenticator_for, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_resets_a_nurses_two_factor_with_a_reason(page, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    factories.admin_user(username="amorgan", first_name="Alex", last_name="Morgan")
    nurse = factories.nurse_user(username="npatel", first_name="Nina", last_name="Patel")
    authenticator_for(nurse)
    mfa.new_recovery_codes(user=nurse)

    login(page, "amorgan")
    page.goto(f"/staff/{nurse.pk}/")
    expect(page.get_by_test_id("staff-mfa")).to_have_text("Set up 25 Nov 2026; 10 recovery codes left")
    page.get_by_role("link", name="Reset two-factor sign-in").click()
    page.get_by_role("button", name="Reset two-factor sign-in").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Say why you are resetting it.")
    page.get_by_label("Reason").fill("Lost phone, identity checked in person")
    screenshot(page, "staff-mfa-reset-confirm")
    page.get_by_role("button", name="Reset two-factor sign-in").click()

    expect(page.get_by_role("alert").first).to_contain_text("they set it up again at their next sign-in")
    expect(page.get_by_test_id("staff-mfa")).to_have_text(
        "Not set up yet: they set it up at their next sign-in"
    )
    expect(page.get_by_test_id("staff-change").first).to_contain_text(
        "Reset two-factor sign-in (they set it up again at their next sign-in). "
        "Reason: Lost phone, identity checked in person"
    )
    expect(page.get_by_test_id("staff-change").first).to_contain_text("Alex Morgan")
    screenshot(page, "staff-mfa-reset-done")
    assert not TOTPDevice.objects.filter(user=nurse).exists()

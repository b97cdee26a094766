"""Two-factor sign-in in Chromium: a nurse's first sign-in sets it up, the next asks for a code."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from .. import factories
from ..conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_a_nurse_sets_up_two_factor_at_the_first_sign_in_then_signs_in_with_a_recovery_code(
    page, clinic_morning_ticking
):
    page.clock.install(time=clinic_morning_ticking)
    factories.nurse_user(username="nadia", first_name="Nadia", last_name="Okafor")

    _password(page, "nadia")

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_test_id("mfa-qr").locator("svg")).to_be_visible()
    screenshot(page, "mfa-enrol")
    key = b32decode(page.get_by_test_id("mfa-secret").inner_text().replace(" ", ""))
    page.get_by_label("6-digit code from the app").fill(f"{(totp(key) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("That code is not right")
    page.wait_for_timeout(1100)  # one wrong code: the next try waits a second
    page.get_by_label("6-digit code from the app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm and continue").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-code").all_inner_texts()
    assert len(codes) == 10
    download = page.get_by_role("link", name="Download")
    assert download.get_attribute("download").endswith("recovery-codes-nadia.txt")
    screenshot(page, "mfa-recovery-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_test_id("dashboard-nurse")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    _password(page, "nadia")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    screenshot(page, "mfa-verify")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("dashboard-nurse")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("9 left")

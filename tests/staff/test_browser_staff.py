"""A clinic admin adds a nurse (who gets the set-password email) and deactivates a leaver, without
Django admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from infusion_clinic.roles import NURSE

from .. import factories
from ..conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_a_nurse_and_deactivates_a_leaver(page, settings):
    factories.admin_user(username="amorgan", first_name="Alex", last_name="Morgan")
    factories.reception_user(username="rhale", first_name="Rob", last_name="Hale")
    factories.nurse_user(username="NPatel", first_name="Nina", last_name="Patel")

    login(page, "amorgan")
    page.get_by_role("link", name="Users", exact=True).click()
    page.wait_for_url("**/staff/")
    expect(page.get_by_test_id("staff-row")).to_have_count(3)
    screenshot(page, "staff-list")

    page.get_by_role("link", name="Add a staff member").click()
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Evans")
    page.get_by_label("Username").fill("npatel")  # taken, in another case
    page.get_by_label("Email").fill("nia.evans@example.org")
    page.get_by_label("Role").select_option(label=NURSE)
    page.get_by_role("button", name="Add and send the email").click()
    expect(page.get_by_text("The username “npatel” is taken")).to_be_visible()
    screenshot(page, "staff-form-error")

    page.get_by_label("Username").fill("nevans")
    page.get_by_role("button", name="Add and send the email").click()
    expect(page.get_by_role("alert")).to_contain_text("A set-password email went to nia.evans@example.org")
    expect(page.get_by_test_id("staff-role")).to_have_text(NURSE)
    expect(page.get_by_test_id("staff-changes")).to_contain_text("Added with role Nurse.")
    expect(page.get_by_test_id("staff-changes")).to_contain_text("Alex Morgan")
    assert [m.to for m in mail.outbox] == [["nia.evans@example.org"]]
    assert not get_user_model().objects.get(username="nevans").has_usable_password()
    screenshot(page, "staff-added")

    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name="Rob Hale").click()
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("alert")).to_contain_text("Deactivated Rob Hale: they can no longer sign in.")
    expect(page.get_by_test_id("staff-status")).to_have_text("Deactivated")
    expect(page.get_by_test_id("staff-changes")).to_contain_text("Deactivated (can no longer sign in).")
    screenshot(page, "staff-deactivated")
    assert not get_user_model().objects.get(username="rhale").is_active

    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_label("Status").select_option(label="Deactivated")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("staff-row")).to_have_count(1)
    expect(page.get_by_test_id("staff-list")).to_contain_text("Rob Hale")

    # The mail server goes down: the page says the email was not sent and offers the link instead.
    settings.EMAIL_BACKEND = "tests.staff.failing_email.RefusingEmailBackend"
    page.get_by_role("link", name="Show everyone").click()
    page.get_by_role("link", name="Nina Patel").click()
    page.get_by_role("button", name="Send a password reset email").click()
    expect(page.get_by_role("heading", name="The set-password email was not sent")).to_be_visible()
    expect(page.get_by_test_id("set-password-link")).to_have_value(re.compile(r"/accounts/reset/"))
    screenshot(page, "staff-email-not-sent")
    assert len(mail.outbox) == 1

"""A clinic admin keeps reference data through the one shared set of pages (infusion_clinic/reference_data.py):
billing's insurers and commissioners, and the clinic set-up's closures."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from billing.models import Commissioner, Insurer
from sessions.models import Closure

from .. import factories
from ..conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinic_admin_adds_and_edits_an_insurer_and_a_refused_code_changes_nothing(
    page, clinic_morning_ticking
):
    page.clock.install(time=clinic_morning_ticking)
    factories.admin_user(username="alex")
    login(page, "alex")

    page.goto("/billing/insurers/")
    expect(page.get_by_text("No insurers yet.")).to_be_visible()
    page.get_by_role("link", name="Add").first.click()
    expect(page.get_by_role("heading", name="Add an insurer")).to_be_visible()
    page.get_by_label("Name").fill("Bupa")
    page.get_by_label("Claims email").fill("claims@example.org")
    screenshot(page, "reference-data-1-insurer-form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/billing/insurers/")
    expect(page.locator(".alert-success")).to_contain_text("Insurer Bupa saved.")
    expect(page.get_by_role("cell", name="claims@example.org")).to_be_visible()
    screenshot(page, "reference-data-2-insurers")

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit insurer")).to_be_visible()
    page.get_by_label("Name").fill("Bupa UK")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/billing/insurers/")
    assert Insurer.objects.get().name == "Bupa UK"

    page.get_by_role("link", name="Commissioners").click()
    page.get_by_role("link", name="Add").first.click()
    page.get_by_label("Name").fill("NHS Somewhere ICB")
    page.get_by_label("ODS code").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()  # the ODS code is required
    screenshot(page, "reference-data-3-commissioner-refused")
    assert not Commissioner.objects.exists()


def test_a_clinic_admin_adds_a_closure_after_a_refused_date_range(page, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    factories.LocationFactory()
    factories.admin_user(username="alex")
    login(page, "alex")
    first = clinic_morning_ticking.date() + timedelta(days=14)

    page.goto("/sessions/setup/closure/add/")
    expect(page.get_by_role("heading", name="Add closure")).to_be_visible()
    page.get_by_label("Starts on").fill(first.isoformat())
    page.get_by_label("Ends on").fill((first - timedelta(days=1)).isoformat())
    page.get_by_label("Reason").fill("Staff training")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The last closed day cannot be before the first.")).to_be_visible()
    screenshot(page, "reference-data-4-closure-refused")
    assert not Closure.objects.exists()

    page.get_by_label("Ends on").fill(first.isoformat())
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/sessions/setup/")
    expect(page.locator(".alert-success")).to_contain_text("Saved the closure.")
    screenshot(page, "reference-data-5-setup")
    assert Closure.objects.get().reason == "Staff training"

"""The protocol workflow in a real browser: an admin makes a new version; a specialist prescribes."""

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from protocols.models import Prescription, ProtocolVersion
from protocols.seed import seed_protocol_library
from tests import factories
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_makes_a_new_version_and_a_specialist_must_give_a_reason_over_the_soft_limit(page):
    seed_protocol_library()  # the migration's rows are flushed between transactional tests
    factories.admin_user(username="alex", first_name="Alex", last_name="Morgan")
    factories.specialist_user(username="sam", first_name="Samuel", last_name="Patel")
    patient = factories.PatientFactory(first_name="Grace", last_name="Hopper")
    factories.WeightRecordFactory(patient=patient, weight_kg=D("72.0"))

    # The clinic admin: library -> lidocaine -> new version with a lower soft limit.
    login(page, "alex")
    expect(page.get_by_role("heading", name="Protocol versions to verify")).to_be_visible()
    expect(page.get_by_test_id("versions-to-verify").get_by_role("listitem")).to_have_count(6)
    screenshot(page, "protocols-admin-dashboard")
    page.get_by_role("link", name="Protocols").click()
    expect(page.get_by_role("heading", name="Protocol library")).to_be_visible()
    screenshot(page, "protocols-library")
    page.get_by_role("link", name="Lidocaine 5 mg/kg over 60 min").click()
    expect(page.get_by_test_id("example-banner")).to_be_visible()
    page.get_by_role("link", name="New version").click()
    page.get_by_label("Soft limit").fill("9")  # above the hard limit: refused on the field
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator("#id_soft_limit.is-invalid")).to_be_visible()
    expect(page.get_by_text("must not be above the hard limit")).to_be_visible()
    screenshot(page, "protocols-new-version-invalid")
    assert ProtocolVersion.objects.filter(protocol__slug="lidocaine").count() == 1
    page.get_by_label("Name").fill("Lidocaine 4 mg/kg over 60 min")
    page.get_by_label("Default dose").fill("4")
    page.get_by_label("Soft limit").fill("4.5")
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.get_by_text("Version 2 of Lidocaine is now current")).to_be_visible()
    expect(page.get_by_test_id("version-history").get_by_role("row")).to_have_count(3)  # header + v2 + v1
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_text("marked verified for this clinic")).to_be_visible()
    expect(page.get_by_test_id("example-banner")).to_have_count(0)
    screenshot(page, "protocols-version-verified")
    page.get_by_role("button", name="Sign out").click()

    # The specialist: choose lidocaine, raise the dose above the soft limit, give the reason.
    login(page, "sam")
    page.goto(f"/protocols/prescribe/{patient.pk}/")
    expect(page.get_by_test_id("dose-preview-empty")).to_be_visible()
    page.get_by_label("Protocol").select_option(label="Lidocaine: Lidocaine 4 mg/kg over 60 min (v2)")
    preview = page.get_by_test_id("dose-preview")
    expect(preview).to_have_attribute("data-verdict", "ok")
    expect(page.get_by_test_id("dose-mg")).to_have_text("288.0 mg")  # 4 x 72
    expect(page.get_by_test_id("example-banner")).to_have_count(0)  # verified by the admin
    page.get_by_label("Dose", exact=True).fill("5")
    expect(page.get_by_test_id("soft-limit-warning")).to_be_visible()
    expect(page.get_by_test_id("dose-mg")).to_have_text("360.0 mg")
    # 36 mL of lidocaine 10 mg/mL in the 250 mL bag: 286 mL over 60 minutes.
    expect(page.get_by_test_id("rate-ml-h")).to_have_text("286.0 mL/h")
    screenshot(page, "protocols-dose-preview-soft")
    page.get_by_role("button", name="Prescribe").click()
    expect(page.locator("#id_reason.is-invalid")).to_be_visible()
    assert Prescription.objects.count() == 0
    screenshot(page, "protocols-prescribe-reason-required")
    page.get_by_label("Reason for a dose over the soft limit").fill("Good response to 5 mg/kg last course")
    page.get_by_role("button", name="Prescribe").click()
    expect(
        page.get_by_text(re.compile(r"Prescribed Lidocaine 4 mg/kg over 60 min: 360\.0 mg"))
    ).to_be_visible()
    screenshot(page, "protocols-prescribed")
    p = Prescription.objects.get()
    assert p.verdict == "soft" and p.dose_mg == D("360.0") and p.soft_limit_reason.startswith("Good response")

    # A fixed-dose protocol with unverified example values carries the banner in the preview.
    page.get_by_label("Protocol").select_option(label="Bisphosphonate: Pamidronate 60 mg over 2 hours (v1)")
    page.get_by_label("Dose", exact=True).fill("")
    expect(page.get_by_test_id("dose-preview").get_by_test_id("example-banner")).to_be_visible()
    page.get_by_label("Dose", exact=True).fill("120")
    expect(page.get_by_test_id("refused")).to_be_visible()
    screenshot(page, "protocols-dose-preview-refused")

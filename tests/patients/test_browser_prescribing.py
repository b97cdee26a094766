"""Prescribing in a real browser: a specialist chooses a protocol from the patient's page, raises the dose
above the soft limit and must give a reason; a refused dose is shown as refused."""

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from patients.models import Prescription
from protocols.seed import seed_protocol_library
from protocols.selectors import current_versions
from protocols.services import create_version, mark_verified
from tests import factories
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_specialist_prescribes_and_must_give_a_reason_over_the_soft_limit(page, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    seed_protocol_library()  # the migration's rows are flushed between transactional tests
    admin = factories.admin_user(username="alex")
    lidocaine = current_versions().get(protocol__slug="lidocaine")
    v2 = create_version(
        from_version=lidocaine,
        by=admin,
        name="Lidocaine 4 mg/kg over 60 min",
        default_dose=D("4"),
        soft_limit=D("4.5"),
    )
    mark_verified(version=v2, by=admin)
    factories.specialist_user(username="sam", first_name="Samuel", last_name="Patel")
    patient = factories.PatientFactory(first_name="Grace", last_name="Hopper")
    factories.WeightRecordFactory(patient=patient, weight_kg=D("72.0"))

    # The specialist: from the patient's page choose lidocaine, raise the dose above the soft limit,
    # give the reason.
    login(page, "sam")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Choose protocol and dose").click()
    expect(page.get_by_role("heading", name="Protocol and dose for Grace Hopper")).to_be_visible()
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
    screenshot(page, "prescribing-dose-preview-soft")
    page.get_by_role("button", name="Prescribe").click()
    expect(page.locator("#id_reason.is-invalid")).to_be_visible()
    assert Prescription.objects.count() == 0
    screenshot(page, "prescribing-prescribe-reason-required")
    page.get_by_label("Reason for a dose over the soft limit").fill("Good response to 5 mg/kg last course")
    page.get_by_role("button", name="Prescribe").click()
    expect(
        page.get_by_text(re.compile(r"Prescribed Lidocaine 4 mg/kg over 60 min: 360\.0 mg"))
    ).to_be_visible()
    screenshot(page, "prescribing-prescribed")
    p = Prescription.objects.get()
    assert p.verdict == "soft" and p.dose_mg == D("360.0") and p.soft_limit_reason.startswith("Good response")

    # A fixed-dose protocol with unverified example values carries the banner in the preview.
    page.get_by_label("Protocol").select_option(label="Bisphosphonate: Pamidronate 60 mg over 2 hours (v1)")
    page.get_by_label("Dose", exact=True).fill("")
    expect(page.get_by_test_id("dose-preview").get_by_test_id("example-banner")).to_be_visible()
    page.get_by_label("Dose", exact=True).fill("120")
    expect(page.get_by_test_id("refused")).to_be_visible()
    screenshot(page, "prescribing-dose-preview-refused")

"""A clinic admin answers a subject access request in Chromium: from the patient's page to the export
page, a refusal next to the field when no reason is given, then the zip downloaded and opened: its
record.json a FHIR Bundle that fhir.resources (R4B) accepts, its README naming the patient, the reason
and every file. Under the CSP with no violation and no serious accessibility violation (axe-core);
screenshots at desktop and phone widths (tests/artifacts/)."""

import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from audit.models import AccessEvent, AccessKind
from tests import factories
from tests.api.test_browser_docs import LISTEN
from tests.conftest import login, screenshot
from tests.foundation.test_browser_accessibility import _violations

from .conftest import NHS_NUMBER, infusion, validate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Subject access request of 20 Nov 2026, ref SAR-42"


@pytest.fixture
def _pinned_clock(clinic_morning_ticking):
    """The browser's waits need time to pass: the pinned morning with the clock running (this replaces
    the standing clock of tests/interop/conftest.py)."""


def test_admin_downloads_a_patients_subject_access_export(page, live_server, nurse, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    factories.admin_user(username="sar-admin", first_name="Grace", last_name="Admin")
    ada = factories.PatientFactory(first_name="Ada", last_name="Lovelace", nhs_number=NHS_NUMBER)
    referral = factories.ReferralFactory(patient=ada)
    session = infusion(ada, nurse, referral=referral)
    weight = ada.weights.get()
    page.context.add_init_script(LISTEN)
    login(page, "sar-admin")

    page.goto(ada.get_absolute_url())
    page.get_by_test_id("subject-access-link").click()
    expect(page.get_by_role("heading", name="Subject access export")).to_be_visible()
    breadcrumb = page.get_by_role("navigation", name="breadcrumb")
    expect(breadcrumb.get_by_role("link", name="Ada Lovelace")).to_have_attribute(
        "href", ada.get_absolute_url()
    )
    expect(page.get_by_text("recorded in the access audit")).to_be_visible()
    expect(page.get_by_test_id("subject-access-earlier")).to_contain_text("None yet")
    screenshot(page, "subject-access-1366")
    assert _violations(page) == []

    # No reason: refused next to the field, nothing exported or audited.
    page.get_by_role("button", name="Download the zip").click()
    reason = page.get_by_label("Reason")
    expect(reason).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#div_id_reason .invalid-feedback")).to_contain_text("Give the reason for the export")
    assert not AccessEvent.objects.filter(kind=AccessKind.SUBJECT_ACCESS).exists()
    assert _violations(page) == []

    reason.fill(REASON)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the zip").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as archive:
        names = set(archive.namelist())
        assert {"record.json", "README.txt"} <= names
        bundle = validate(json.loads(archive.read("record.json")))
        readme = archive.read("README.txt").decode()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    assert by_id[f"patient-{ada.pk}"]["identifier"][0]["value"] == NHS_NUMBER
    assert f"referral-{referral.pk}" in by_id and f"session-{session.pk}" in by_id
    assert by_id[f"weight-{weight.pk}"]["code"]["coding"][0]["code"] == "29463-7"
    assert f"session-{session.pk}-infusion" in by_id
    assert "Ada Lovelace" in readme and REASON in readme
    assert "record.json" in readme and "Grace Admin" in readme
    event = AccessEvent.objects.get(kind=AccessKind.SUBJECT_ACCESS)
    assert event.patient_id == ada.pk and REASON in event.label

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/patients/{ada.pk}/subject-access/")
    expect(page.get_by_role("button", name="Download the zip")).to_be_visible()
    expect(page.get_by_test_id("subject-access-earlier")).to_contain_text(f"Grace Admin: {REASON}")
    screenshot(page, "subject-access-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert page.evaluate("window.__cspViolations") == []

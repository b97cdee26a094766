"""The protocol workflow in a real browser: an admin makes a new version and marks it verified (prescribing
with it: tests/patients/test_browser_prescribing.py)."""

import pytest
from playwright.sync_api import expect

from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library
from tests import factories
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_makes_a_new_version_and_marks_it_verified(page):
    seed_protocol_library()  # the migration's rows are flushed between transactional tests
    factories.admin_user(username="alex", first_name="Alex", last_name="Morgan")

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

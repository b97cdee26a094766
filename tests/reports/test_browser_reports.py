"""An admin reads the clinic reports, each with its chart, table and CSV, from the Billing menu."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .. import factories
from ..conftest import login, screenshot
from .test_reports import populate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _menu(page, item):
    page.get_by_role("button", name="Billing").click()
    page.get_by_role("link", name=item, exact=True).click()


def test_an_admin_reads_the_clinic_reports_with_charts(page):
    factories.admin_user(username="alex", first_name="Alex")
    populate(6)
    login(page, "alex")
    _menu(page, "Reports")
    page.wait_for_url("**/reports/")
    screenshot(page, "reports-index")
    for name, shot in [
        ("Chair utilisation", "report-utilisation"),
        ("Did not attend and late cancellations", "report-attendance"),
        ("Outcomes by protocol", "report-outcomes"),
        ("Adverse events per 100 infusions", "report-adverse-events"),
    ]:
        page.get_by_role("link", name=name).click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("#report-chart")).to_be_visible()
        expect(page.get_by_test_id("report-table")).to_be_visible()
        if name == "Chair utilisation":
            expect(page.get_by_test_id("chair-week-table")).to_contain_text("Riverside Infusion Suite")
            page.get_by_text("Per day", exact=True).click()
            expect(page.get_by_test_id("chair-day-table")).to_be_visible()
            with page.expect_download() as by_chair:
                page.get_by_test_id("chair-csv-link").click()
            assert by_chair.value.suggested_filename.startswith("utilisation-by-chair-")
        screenshot(page, shot)
        page.go_back()
    page.get_by_role("link", name="Waiting list and RTT breaches").click()
    expect(page.get_by_test_id("breach-total")).to_have_text("1")
    screenshot(page, "report-waiting-list")
    page.go_back()
    page.get_by_role("link", name="NHS activity by commissioner").click()
    page.get_by_label("Month").fill(f"{timezone.localdate():%Y-%m}")
    page.get_by_role("button", name="Show").click()
    screenshot(page, "report-nhs-activity")
    with page.expect_download() as download:
        page.get_by_test_id("csv-link").click()
    assert download.value.suggested_filename.startswith("nhs-activity-all-")

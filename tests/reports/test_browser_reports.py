"""An admin reads the clinic reports, each with its chart, table and CSV, from the Billing menu."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from infusion_clinic.dates import uk_format

from .. import factories
from ..billing.conftest import referral, session
from ..conftest import login, screenshot
from .test_reports import populate

URL = reverse("reports:report", args=["utilisation"])
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


def test_a_year_of_utilisation_reads_per_month(page):
    """A year: the chart, the breakdown and the table per month, the per-day grid only in the CSV."""
    factories.admin_user(username="alex", first_name="Alex")
    end = timezone.localdate()
    start = end - timedelta(days=364)
    places = [factories.LocationFactory(name=n) for n in ("Riverside Infusion Suite", "Northgate Clinic")]
    chairs = [factories.ChairFactory(location=p, name=f"Chair {i}") for p in places for i in range(1, 4)]
    for week in range(52):
        for i, chair in enumerate(chairs[: 1 + week % len(chairs)]):
            session(
                referral=referral("nhs"), on=start + timedelta(weeks=week, days=i % 5), chair=chair, hour=9
            )
    login(page, "alex")
    page.goto(f"{URL}?start={start}&end={end}")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#report-chart")).to_be_visible()
    expect(page.get_by_test_id("chair-week-table")).to_contain_text(uk_format(end, "short_month"))
    expect(page.get_by_test_id("report-table")).to_contain_text(uk_format(start, "month"))
    expect(page.get_by_test_id("chair-day-table")).to_have_count(0)
    screenshot(page, "report-utilisation-year")

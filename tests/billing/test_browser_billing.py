"""An admin sets a private price; a completed private session is invoiced at it; a later price change
leaves that invoice as it was."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Invoice, PriceList
from billing.services import session_completed

from .. import factories
from ..conftest import login, screenshot
from .conftest import family, referral, session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _menu(page, item):
    page.get_by_role("button", name="Billing").click()
    page.get_by_role("link", name=item, exact=True).click()


def test_an_invoice_keeps_the_price_of_its_day_when_the_admin_changes_the_price(page):
    factories.admin_user(username="alex", first_name="Alex")
    lidocaine = family("lidocaine")
    start = date(timezone.localdate().year, 1, 1)

    login(page, "alex")
    _menu(page, "Prices and packages")
    page.get_by_role("link", name="Add a price").first.click()
    page.get_by_label("Protocol family").select_option(label=lidocaine.name)
    page.get_by_label("Funding route").select_option(label="Private self-pay")
    page.get_by_label("Effective from").fill(start.isoformat())
    page.get_by_label("Price per session (GBP)").fill("425.00")
    page.get_by_label("Follow-up review fee (GBP)").fill("150.00")
    screenshot(page, "billing-price-form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/billing/prices/")
    expect(page.get_by_test_id("price-table")).to_contain_text("£425.00")
    screenshot(page, "billing-prices")

    # An overlapping period is refused next to the field.
    page.get_by_role("link", name="Add a price").first.click()
    page.get_by_label("Protocol family").select_option(label=lidocaine.name)
    page.get_by_label("Funding route").select_option(label="Private self-pay")
    page.get_by_label("Effective from").fill(start.replace(month=6).isoformat())
    page.get_by_label("Price per session (GBP)").fill("999")
    page.get_by_label("Follow-up review fee (GBP)").fill("150")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("These dates overlap the Lidocaine private self-pay price")).to_be_visible()
    screenshot(page, "billing-price-overlap")
    assert PriceList.objects.count() == 1

    # The session record's completion calls the billing hook; here the completed session is made directly.
    patient_referral = referral("self_pay")
    completed = session(referral=patient_referral, on=timezone.localdate(), status="completed")
    invoice = session_completed(session=completed)

    _menu(page, "Invoices")
    page.get_by_role("link", name=invoice.display_number).click()
    expect(page.get_by_test_id("invoice-total")).to_have_text("£425.00")
    page.get_by_role("link", name="Edit draft").click()
    expect(page.get_by_label("Lidocaine infusion (GBP)")).to_have_value("425.00")
    screenshot(page, "billing-invoice-edit-draft")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Issue invoice").click()
    number = page.get_by_test_id("invoice-number").inner_text()
    assert number.startswith("INV-")
    expect(page.get_by_test_id("invoice-status").first).to_have_text("Issued")
    screenshot(page, "billing-invoice-issued")

    # A later price change: edit the period in force, then also start a new price.
    _menu(page, "Prices and packages")
    page.get_by_role("link", name="Edit").first.click()
    page.get_by_label("Price per session (GBP)").fill("480.00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/billing/prices/")
    expect(page.get_by_test_id("price-table")).to_contain_text("£480.00")

    _menu(page, "Invoices")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("invoice-total")).to_have_text("£425.00")
    assert page.get_by_test_id("invoice-line").inner_text().count("£425.00") == 2
    page.get_by_role("link", name="Printable invoice").click()
    expect(page.get_by_test_id("vat-note")).to_contain_text("Exempt from VAT")
    screenshot(page, "billing-invoice-print")
    page.emulate_media(media="print")
    screenshot(page, "billing-invoice-print-media")

    # A partial credit: more than the total is refused next to the amount, then GBP 100 is credited.
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back to the invoice").click()
    page.get_by_label("Or an amount (GBP)").fill("425.01")
    page.get_by_label("Reason").fill("Review not attended")
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.get_by_text("more than the GBP 425.00 left to credit")).to_be_visible()
    screenshot(page, "billing-credit-refused")
    page.get_by_label("Or an amount (GBP)").fill("100")
    page.get_by_role("button", name="Issue credit note").click()
    assert page.get_by_test_id("invoice-number").inner_text().startswith("CN-")
    expect(page.get_by_test_id("invoice-total")).to_have_text("£100.00")
    screenshot(page, "billing-credit-note")
    page.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("amount-credited")).to_have_text("£100.00")
    expect(page.get_by_test_id("invoice-balance")).to_have_text("£325.00")
    expect(page.get_by_test_id("invoice-status").first).to_have_text("Issued")
    screenshot(page, "billing-invoice-partly-credited")

    invoice.refresh_from_db()
    assert invoice.total == Decimal("425.00")
    # The next session is invoiced at the new price.
    later = session_completed(
        session=session(referral=referral("self_pay"), on=timezone.localdate(), status="completed")
    )
    assert later.total == Decimal("480.00")
    assert Invoice.objects.filter(kind="invoice").count() == 2


def test_reception_records_a_preauthorisation_and_sees_todays_invoice_status(page):
    factories.reception_user(username="rita", first_name="Rita")
    factories.admin_user(username="alex", first_name="Alex")
    insured = referral("insured")
    factories.PriceListFactory(protocol_family=family("lidocaine"), funding_route="insured")
    session_completed(session=session(referral=insured, on=timezone.localdate(), status="completed"))

    login(page, "rita")
    assert page.get_by_role("link", name="Prices and packages").count() == 0
    screenshot(page, "billing-dashboard-reception")
    _menu(page, "Pre-authorisations")
    page.get_by_role("link", name="Record a pre-authorisation").click()
    page.get_by_label("Referral").select_option(index=1)
    page.get_by_label("Insurer").select_option(label=insured.insurer.name)
    page.get_by_label("Policy number").fill("POL-998877")
    page.get_by_label("Pre-authorisation number").fill("BUPA-PA-5531")
    page.get_by_label("Sessions authorised").fill("0")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Ensure this value is greater than or equal to 1.")).to_be_visible()
    screenshot(page, "billing-preauth-refused")
    page.get_by_label("Sessions authorised").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("table")).to_contain_text("BUPA-PA-5531")
    screenshot(page, "billing-preauth-list")
    _menu(page, "Invoices")
    screenshot(page, "billing-invoice-list-reception")
    assert page.get_by_role("button", name="Issue invoice").count() == 0
    page.get_by_role("button", name="Sign out").click()

    login(page, "alex")
    expect(page.get_by_test_id("dash-drafts")).to_have_text("1")
    screenshot(page, "billing-dashboard-admin")

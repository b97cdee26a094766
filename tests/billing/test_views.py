from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, PreAuthorisation, PriceList
from billing.services import create_price, issue_invoice, session_completed

from .. import factories
from .conftest import family, referral, session, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def price():
    return create_price(
        protocol_family=family("lidocaine"),
        funding_route="self_pay",
        effective_from=date(2026, 1, 1),
        session_price=Decimal("450"),
        review_fee=Decimal("150"),
    )


@pytest.fixture
def draft(price):
    return session_completed(session=session(referral=referral("self_pay")))


MANAGE_PAGES = [
    ("billing:price_list", []),
    ("billing:price_create", []),
    ("billing:package_list", []),
    ("billing:package_create", []),
    ("billing:insurer_list", []),
    ("billing:insurer_create", []),
    ("billing:commissioner_list", []),
    ("billing:commissioner_create", []),
]


@pytest.mark.parametrize("name,args", MANAGE_PAGES)
def test_only_clinic_admins_open_the_price_pages(
    name, args, admin_client_role, reception_client, nurse_client, specialist_client
):
    url = reverse(name, args=args)
    assert admin_client_role.get(url).status_code == 200
    for client in (reception_client, nurse_client, specialist_client):
        assert client.get(url).status_code == 403


def test_nhs_activity_needs_view_reports(admin_client_role, reception_client, nurse_client):
    url = reverse("billing:nhs_activity")
    assert admin_client_role.get(url).status_code == 200
    assert reception_client.get(url).status_code == 403
    assert nurse_client.get(url).status_code == 403


def test_reception_sees_invoice_status_but_cannot_issue(
    draft, reception_client, nurse_client, specialist_client
):
    assert reception_client.get(reverse("billing:invoice_list")).status_code == 200
    page = reception_client.get(draft.get_absolute_url())
    assert page.status_code == 200 and b"Draft" in page.content
    assert b"Issue invoice" not in page.content
    assert reception_client.post(reverse("billing:invoice_issue", args=[draft.pk])).status_code == 403
    assert reception_client.get(reverse("billing:invoice_edit", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
    for client in (nurse_client, specialist_client):
        assert client.get(reverse("billing:invoice_list")).status_code == 403
        assert client.get(draft.get_absolute_url()).status_code == 403


def test_clinical_staff_see_no_price_editing_in_the_navigation(nurse_client, admin_client_role):
    assert reverse("billing:price_list").encode() not in nurse_client.get(reverse("dashboard")).content
    assert reverse("billing:price_list").encode() in admin_client_role.get(reverse("dashboard")).content


def test_an_admin_adds_a_price(admin_client_role):
    fam = family("ketamine")
    response = admin_client_role.post(
        reverse("billing:price_create"),
        {
            "protocol_family": fam.pk,
            "funding_route": "self_pay",
            "effective_from": "2026-01-01",
            "session_price": "600",
            "review_fee": "150",
        },
    )
    assert response.status_code == 302
    assert PriceList.objects.get(protocol_family=fam).session_price == Decimal("600.00")


def test_an_overlapping_price_is_refused_next_to_the_field(admin_client_role, price):
    response = admin_client_role.post(
        reverse("billing:price_create"),
        {
            "protocol_family": price.protocol_family.pk,
            "funding_route": "self_pay",
            "effective_from": "2026-06-01",
            "session_price": "500",
            "review_fee": "150",
        },
    )
    assert response.status_code == 200
    assert (
        "overlap the Lidocaine private self-pay price from 1 Jan 2026 with no end date"
        in response.content.decode()
    )
    assert PriceList.objects.count() == 1


def test_a_negative_price_is_refused_next_to_the_field(admin_client_role):
    response = admin_client_role.post(
        reverse("billing:price_create"),
        {
            "protocol_family": family("lidocaine").pk,
            "funding_route": "self_pay",
            "effective_from": "2026-06-01",
            "session_price": "-5",
            "review_fee": "150",
        },
    )
    assert response.status_code == 200
    assert "Amounts cannot be negative." in response.content.decode()
    assert not PriceList.objects.exists()


def test_change_price_from_a_date_through_the_page(admin_client_role, price):
    response = admin_client_role.post(
        reverse("billing:price_change", args=[price.pk]),
        {
            "starts_on": "2026-07-01",
            "session_price": "480",
            "review_fee": "160",
        },
    )
    assert response.status_code == 302
    price.refresh_from_db()
    assert price.effective_to == date(2026, 6, 30)


def test_issuing_twice_through_the_page_is_refused_with_a_message(admin_client_role, draft):
    admin_client_role.post(reverse("billing:invoice_issue", args=[draft.pk]))
    response = admin_client_role.post(reverse("billing:invoice_issue", args=[draft.pk]), follow=True)
    assert "has already been issued" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.ISSUED
    assert Invoice.objects.filter(number__isnull=False).count() == 1


def test_editing_an_issued_invoice_is_refused(admin_client_role, draft):
    issue_invoice(invoice=draft)
    response = admin_client_role.get(reverse("billing:invoice_edit", args=[draft.pk]), follow=True)
    assert "cannot be edited" in response.content.decode()
    line = draft.lines.get()
    admin_client_role.post(
        reverse("billing:invoice_edit", args=[draft.pk]), {"notes": "x", f"line_{line.pk}": "1"}
    )
    line.refresh_from_db()
    assert line.unit_price == Decimal("450.00")


def test_the_printable_invoice_shows_the_vat_exemption(admin_client_role, draft):
    draft = issue_invoice(invoice=draft)
    page = admin_client_role.get(reverse("billing:invoice_print", args=[draft.pk])).content.decode()
    assert "Exempt from VAT" in page and draft.display_number in page and "£450.00" in page


def test_the_invoice_downloads_as_a_pdf_with_the_same_figures(admin_client_role, reception_client, draft):
    from io import BytesIO

    from pypdf import PdfReader

    draft = issue_invoice(invoice=draft)
    response = admin_client_role.get(reverse("billing:invoice_pdf", args=[draft.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{draft.display_number.lower()}.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Exempt from VAT" in text and draft.display_number in text and "£450.00" in text
    assert "Download PDF" not in text  # the buttons are for the screen only
    assert reception_client.get(reverse("billing:invoice_pdf", args=[draft.pk])).status_code == 200


def test_a_paid_invoice_is_credited_through_the_page(admin_client_role, draft):
    issue_invoice(invoice=draft)
    admin_client_role.post(
        reverse("billing:invoice_paid", args=[draft.pk]), {"paid_on": timezone.localdate().isoformat()}
    )
    response = admin_client_role.post(
        reverse("billing:invoice_credit", args=[draft.pk]), {"reason": "Refund"}
    )
    note = Invoice.objects.get(kind="credit_note")
    assert response["Location"] == note.get_absolute_url()


def test_reception_records_a_preauthorisation(reception_client, nurse_client):
    ref = referral("insured")
    data = {
        "referral": ref.pk,
        "insurer": ref.insurer.pk,
        "policy_number": "POL-1",
        "preauth_number": "PA-77",
        "sessions_authorised": 4,
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }
    assert nurse_client.post(reverse("billing:preauth_create"), data).status_code == 403
    assert reception_client.post(reverse("billing:preauth_create"), data).status_code == 302
    preauth = PreAuthorisation.objects.get()
    assert preauth.patient == ref.patient and preauth.sessions_authorised == 4
    page = reception_client.get(reverse("billing:preauth_list")).content.decode()
    assert "PA-77" in page


def test_a_preauthorisation_with_zero_sessions_is_refused(reception_client):
    ref = referral("insured")
    response = reception_client.post(
        reverse("billing:preauth_create"),
        {
            "referral": ref.pk,
            "insurer": ref.insurer.pk,
            "policy_number": "POL-1",
            "preauth_number": "PA-77",
            "sessions_authorised": 0,
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
        },
    )
    assert response.status_code == 200
    assert not PreAuthorisation.objects.exists()


def test_a_package_is_sold_as_a_draft_invoice(admin_client_role, reception_client):
    pkg = factories.PackageFactory(protocol_family=family("lidocaine"))
    ref = referral("self_pay")
    data = {"referral": ref.pk, "package": pkg.pk}
    assert reception_client.post(reverse("billing:package_sell"), data).status_code == 403
    response = admin_client_role.post(reverse("billing:package_sell"), data)
    invoice = Invoice.objects.get()
    assert response["Location"] == invoice.get_absolute_url()
    assert invoice.total == Decimal("1200.00")


def test_admin_dashboard_shows_drafts_and_unpaid(admin_client_role, draft):
    content = admin_client_role.get(reverse("dashboard")).content.decode()
    assert 'data-testid="dash-drafts">1<' in content


def test_reception_dashboard_shows_todays_invoice_status(reception_client, draft):
    content = reception_client.get(reverse("dashboard")).content.decode()
    assert (
        "Today&#x27;s private and insured patients" in content
        or "Today's private and insured patients" in content
    )
    assert "Draft" in content


def test_a_bad_nhs_activity_month_is_a_400_with_a_message(admin_client_role):
    response = admin_client_role.get(reverse("billing:nhs_activity"), {"month": "garbage"})
    assert response.status_code == 400
    assert "Choose a month, e.g. 2026-11." in response.content.decode()


def test_the_invoice_list_filters_by_status(admin_client_role, draft):
    assert (
        draft.display_number
        in admin_client_role.get(reverse("billing:invoice_list"), {"status": "draft"}).content.decode()
    )
    assert (
        draft.display_number
        not in admin_client_role.get(reverse("billing:invoice_list"), {"status": "paid"}).content.decode()
    )
    assert timedelta(days=1)


def _pk_urls(price, draft):
    pkg = factories.PackageFactory(protocol_family=price.protocol_family)
    preauth = factories.PreAuthorisationFactory()
    return {
        "manage": [
            reverse("billing:price_edit", args=[price.pk]),
            reverse("billing:price_change", args=[price.pk]),
            reverse("billing:package_edit", args=[pkg.pk]),
            reverse("billing:insurer_edit", args=[preauth.insurer.pk]),
            reverse("billing:commissioner_edit", args=[factories.CommissionerFactory().pk]),
        ],
        "preauth": [
            reverse("billing:preauth_list"),
            reverse("billing:preauth_create"),
            reverse("billing:preauth_edit", args=[preauth.pk]),
        ],
        "view_invoice": [reverse("billing:invoice_print", args=[draft.pk])],
        "change_invoice_post": [
            reverse("billing:invoice_discard", args=[draft.pk]),
            reverse("billing:invoice_paid", args=[draft.pk]),
            reverse("billing:invoice_credit", args=[draft.pk]),
            reverse("billing:invoice_add_review", args=[draft.pk]),
        ],
    }


def test_every_billing_page_allows_its_role_and_refuses_the_others(
    price, draft, admin_client_role, reception_client, nurse_client, specialist_client
):
    urls = _pk_urls(price, draft)
    for url in urls["manage"]:
        assert admin_client_role.get(url).status_code == 200, url
        for client in (reception_client, nurse_client, specialist_client):
            assert client.get(url).status_code == 403, url
    for url in urls["preauth"] + urls["view_invoice"]:
        assert admin_client_role.get(url).status_code == 200, url
        assert reception_client.get(url).status_code == 200, url
        for client in (nurse_client, specialist_client):
            assert client.get(url).status_code == 403, url
    for url in urls["change_invoice_post"]:
        for client in (reception_client, nurse_client, specialist_client):
            assert client.post(url, {"reason": "x", "paid_on": "2026-01-01"}).status_code == 403, url
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
    assert admin_client_role.post(reverse("billing:invoice_discard", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.VOID and draft.number is None


def test_actions_need_post(admin_client_role, draft):
    assert admin_client_role.get(reverse("billing:invoice_issue", args=[draft.pk])).status_code == 405


def test_an_admin_invoices_a_follow_up_review_at_the_review_fee(admin_client_role, reception_client, price):
    ref = referral("self_pay")
    data = {"referral": ref.pk, "protocol_family": price.protocol_family.pk, "review_date": "2026-03-02"}
    assert reception_client.post(reverse("billing:review_invoice_create"), data).status_code == 403
    response = admin_client_role.post(reverse("billing:review_invoice_create"), data)
    invoice = Invoice.objects.get()
    assert response["Location"] == invoice.get_absolute_url()
    assert invoice.total == Decimal("150.00") and invoice.lines.get().kind == "review"
    refused = admin_client_role.post(
        reverse("billing:review_invoice_create"), {**data, "review_date": "2025-03-02"}
    )
    assert "No Lidocaine private self-pay price was in force on 2 Mar 2025" in refused.content.decode()
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize("size", [2, 12])
def test_invoice_list_and_dashboard_keep_a_constant_query_count(
    size, admin_client_role, reception_client, django_assert_max_num_queries
):
    factories.PriceListFactory(protocol_family=version().protocol.family)
    for _ in range(size):
        session_completed(session=session(referral=referral("self_pay")))
    with django_assert_max_num_queries(12):
        assert admin_client_role.get(reverse("billing:invoice_list")).status_code == 200
    with django_assert_max_num_queries(30):
        assert reception_client.get(reverse("dashboard")).status_code == 200

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import VAT_EXEMPTION_NOTE, Invoice, InvoiceLine, InvoiceStatus, PackagePurchase
from billing.services import (
    add_review_fee,
    change_price_from,
    create_price,
    credit_invoice,
    discard_draft,
    issue_invoice,
    mark_paid,
    sell_package,
    session_completed,
    update_draft,
)

from .. import factories
from .conftest import days_ago, family, referral, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def prices():
    fam = family("lidocaine")
    old = create_price(
        protocol_family=fam,
        funding_route="self_pay",
        effective_from=days_ago(400),
        effective_to=days_ago(11),
        session_price=Decimal("400"),
        review_fee=Decimal("140"),
    )
    new = create_price(
        protocol_family=fam,
        funding_route="self_pay",
        effective_from=days_ago(10),
        session_price=Decimal("450"),
        review_fee=Decimal("150"),
    )
    insured = create_price(
        protocol_family=fam,
        funding_route="insured",
        effective_from=days_ago(400),
        session_price=Decimal("520"),
        review_fee=Decimal("150"),
    )
    return {"old": old, "new": new, "insured": insured, "family": fam}


def test_a_completed_private_session_gets_a_draft_invoice_at_the_price_of_the_session_date(prices):
    ref = referral("self_pay")
    s = session(referral=ref, on=days_ago(11))
    invoice = session_completed(session=s)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.number is None
    line = invoice.lines.get()
    assert line.unit_price == Decimal("400.00") and line.session == s
    assert line.service_date == days_ago(11)
    assert invoice.total == Decimal("400.00")
    assert invoice.funding_route == "self_pay"
    s2 = session(referral=ref, on=days_ago(10))
    assert session_completed(session=s2).total == Decimal("450.00")


def test_the_completion_hook_is_idempotent(prices):
    s = session(referral=referral("self_pay"))
    session_completed(session=s)
    assert session_completed(session=s) is None
    assert Invoice.objects.count() == 1
    assert InvoiceLine.objects.filter(session=s).count() == 1


def test_an_nhs_session_is_not_invoiced(prices):
    s = session(referral=referral("nhs"))
    assert session_completed(session=s) is None
    assert not Invoice.objects.exists()


def test_a_later_price_change_never_alters_an_existing_invoice(prices):
    s = session(referral=referral("self_pay"))
    invoice = session_completed(session=s)
    issue_invoice(invoice=invoice)
    change_price_from(
        price=prices["new"],
        starts_on=days_ago(0) - timedelta(days=5),
        session_price=Decimal("999"),
        review_fee=Decimal("999"),
    )
    invoice.refresh_from_db()
    assert invoice.total == Decimal("450.00")
    assert invoice.lines.get().unit_price == Decimal("450.00")


def test_an_insured_invoice_names_the_insurer_and_uses_one_preauthorised_session(prices):
    preauth = factories.PreAuthorisationFactory(sessions_authorised=2)
    s = session(referral=preauth.referral)
    invoice = session_completed(session=s)
    assert invoice.insurer == preauth.insurer
    assert invoice.preauth_number == preauth.preauth_number
    assert invoice.total == Decimal("520.00")
    assert preauth.uses.count() == 1
    session_completed(session=s)
    assert preauth.uses.count() == 1


def test_a_missing_price_never_blocks_completion_but_the_draft_says_so():
    s = session(referral=referral("self_pay"), slug="ketamine")
    invoice = session_completed(session=s)
    assert invoice.total == Decimal("0.00")
    assert "No Ketamine private self-pay price was in force" in invoice.notes
    with pytest.raises(ValidationError) as exc:
        issue_invoice(invoice=invoice)
    assert "set the line prices" in str(exc.value)


def test_issuing_assigns_consecutive_numbers_and_refuses_a_second_issue(prices):
    invoices = [session_completed(session=session(referral=referral("self_pay"))) for _ in range(3)]
    numbers = [issue_invoice(invoice=i).number for i in invoices]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    with pytest.raises(ValidationError) as exc:
        issue_invoice(invoice=invoices[0])
    assert "has already been issued" in str(exc.value)
    invoices[0].refresh_from_db()
    assert invoices[0].number == numbers[0]


def test_a_discarded_draft_leaves_no_gap(prices):
    a = session_completed(session=session(referral=referral("self_pay")))
    b = session_completed(session=session(referral=referral("self_pay")))
    c = session_completed(session=session(referral=referral("self_pay")))
    first = issue_invoice(invoice=a).number
    discard_draft(invoice=b)
    assert issue_invoice(invoice=c).number == first + 1


def test_it_refuses_to_edit_an_issued_or_paid_invoice(prices):
    invoice = session_completed(session=session(referral=referral("self_pay")))
    line = invoice.lines.get()
    issue_invoice(invoice=invoice)
    with pytest.raises(ValidationError) as exc:
        update_draft(invoice=invoice, notes="changed", line_prices={line.pk: Decimal("1")})
    assert "cannot be edited" in str(exc.value)
    mark_paid(invoice=invoice)
    with pytest.raises(ValidationError):
        update_draft(invoice=invoice, notes="changed", line_prices={line.pk: Decimal("1")})
    invoice.refresh_from_db()
    line.refresh_from_db()
    assert invoice.notes == "" and line.unit_price == Decimal("450.00")
    assert invoice.status == InvoiceStatus.PAID


def test_a_draft_can_be_edited_but_not_to_a_negative_price(prices):
    invoice = session_completed(session=session(referral=referral("self_pay")))
    line = invoice.lines.get()
    update_draft(invoice=invoice, notes="Discount agreed", line_prices={line.pk: Decimal("300")})
    invoice.refresh_from_db()
    assert invoice.total == Decimal("300.00")
    with pytest.raises(ValidationError):
        update_draft(invoice=invoice, notes="x", line_prices={line.pk: Decimal("-5")})
    invoice.refresh_from_db()
    assert invoice.total == Decimal("300.00") and invoice.notes == "Discount agreed"


def test_a_credit_note_corrects_an_issued_invoice(prices):
    invoice = issue_invoice(invoice=session_completed(session=session(referral=referral("self_pay"))))
    note = credit_invoice(invoice=invoice, reason="Charged at the wrong rate")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert note.kind == "credit_note" and note.status == InvoiceStatus.ISSUED
    assert note.number == invoice.number + 1 and note.total == invoice.total
    assert note.display_number.startswith("CN-")
    with pytest.raises(ValidationError):
        credit_invoice(invoice=invoice, reason="again")


def test_mark_paid_only_from_issued(prices):
    invoice = session_completed(session=session(referral=referral("self_pay")))
    with pytest.raises(ValidationError):
        mark_paid(invoice=invoice)
    issue_invoice(invoice=invoice)
    assert mark_paid(invoice=invoice, paid_on=timezone.localdate()).status == InvoiceStatus.PAID


def test_a_package_is_invoiced_once_and_covers_its_sessions(prices):
    pkg = factories.PackageFactory(
        protocol_family=prices["family"], sessions_included=2, price=Decimal("800")
    )
    ref = referral("self_pay")
    invoice = sell_package(patient=ref.patient, package=pkg, referral=ref)
    assert invoice.total == Decimal("800.00")
    assert session_completed(session=session(referral=ref)) == invoice
    assert session_completed(session=session(referral=ref)) == invoice
    third = session_completed(session=session(referral=ref))
    assert third != invoice and third.total == Decimal("450.00")
    assert PackagePurchase.objects.get().uses.count() == 2


def test_a_review_fee_comes_from_the_price_list(prices):
    invoice = session_completed(session=session(referral=referral("self_pay")))
    add_review_fee(invoice=invoice, protocol_family=prices["family"], review_date=timezone.localdate())
    invoice.refresh_from_db()
    assert invoice.total == Decimal("600.00")


def test_the_vat_exemption_is_noted():
    assert "Exempt from VAT" in VAT_EXEMPTION_NOTE and "Schedule 9, Group 7" in VAT_EXEMPTION_NOTE


def test_a_price_lookup_boundary_date_is_respected_for_a_session(prices):
    s = session(referral=referral("self_pay"), on=prices["old"].effective_to)
    assert session_completed(session=s).total == Decimal("400.00")
    assert prices["new"].effective_from == prices["old"].effective_to + timedelta(days=1)
    assert isinstance(prices["new"].effective_from, date)

"""Partial credit notes: whole lines or an amount with a reason, never more than the invoice total."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from billing.services import (
    add_review_fee,
    create_price,
    credit_invoice,
    issue_invoice,
    mark_paid,
    session_completed,
)

from .conftest import family, referral, session

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
def issued(price):
    """An issued invoice of GBP 600: a GBP 450 infusion and a GBP 150 follow-up review."""
    invoice = session_completed(session=session(referral=referral("self_pay")))
    add_review_fee(invoice=invoice, protocol_family=price.protocol_family, review_date=timezone.localdate())
    return issue_invoice(invoice=invoice)


def _lines(invoice):
    infusion, review = invoice.lines.order_by("id")
    return infusion, review


def _notes(invoice):
    return Invoice.objects.filter(credit_for=invoice, kind=InvoiceKind.CREDIT_NOTE)


# --- service --------------------------------------------------------------------------------------


def test_it_credits_one_chosen_line_and_leaves_the_invoice_issued(issued):
    _, review = _lines(issued)
    note = credit_invoice(invoice=issued, reason="Review not attended", line_ids=[review.pk])
    issued.refresh_from_db()
    assert note.kind == InvoiceKind.CREDIT_NOTE and note.status == InvoiceStatus.ISSUED
    assert note.total == Decimal("150.00") and note.number == issued.number + 1
    assert note.lines.get().credited_line == review
    assert issued.status == InvoiceStatus.ISSUED
    assert issued.amount_credited == Decimal("150.00") and issued.balance == Decimal("450.00")


def test_it_credits_a_free_amount_with_its_reason(issued):
    note = credit_invoice(invoice=issued, reason="Goodwill discount", amount=Decimal("75.50"))
    assert note.total == Decimal("75.50") and note.reason == "Goodwill discount"
    assert "Goodwill discount" in note.lines.get().description
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.ISSUED and issued.balance == Decimal("524.50")


def test_several_partial_credits_summing_to_the_total_void_an_issued_invoice(issued):
    infusion, review = _lines(issued)
    credit_invoice(invoice=issued, reason="Review not attended", line_ids=[review.pk])
    credit_invoice(invoice=issued, reason="Discount", amount=Decimal("400"))
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.ISSUED
    credit_invoice(invoice=issued, reason="Rest of the discount", amount=Decimal("50"))
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.VOID and issued.voided_at is not None
    assert issued.amount_credited == issued.total == Decimal("600.00")
    assert issued.balance == Decimal("0.00")
    numbers = sorted(_notes(issued).values_list("number", flat=True))
    assert numbers == [issued.number + 1, issued.number + 2, issued.number + 3]


def test_the_whole_balance_after_a_line_credit_credits_the_remaining_lines(issued):
    infusion, review = _lines(issued)
    credit_invoice(invoice=issued, reason="Review not attended", line_ids=[review.pk])
    rest = credit_invoice(invoice=issued, reason="Treatment cancelled")
    assert rest.total == Decimal("450.00") and rest.lines.get().credited_line == infusion
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.VOID


def test_over_crediting_is_refused_and_nothing_is_saved(issued):
    credit_invoice(invoice=issued, reason="Discount", amount=Decimal("500"))
    infusion, _ = _lines(issued)
    with pytest.raises(ValidationError) as amount_refused:
        credit_invoice(invoice=issued, reason="Too much", amount=Decimal("100.01"))
    assert "more than the GBP 100.00 left to credit" in amount_refused.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as line_refused:
        credit_invoice(invoice=issued, reason="Too much", line_ids=[infusion.pk])
    assert "lines" in line_refused.value.message_dict
    assert _notes(issued).count() == 1
    assert InvoiceLine.objects.filter(kind="credit").count() == 1
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.ISSUED and issued.balance == Decimal("100.00")


def test_a_line_is_credited_once(issued):
    _, review = _lines(issued)
    credit_invoice(invoice=issued, reason="Review not attended", line_ids=[review.pk])
    with pytest.raises(ValidationError) as refused:
        credit_invoice(invoice=issued, reason="again", line_ids=[review.pk])
    assert "Already credited" in refused.value.message_dict["lines"][0]


def test_a_line_of_another_invoice_is_refused(issued, price):
    other = session_completed(session=session(referral=referral("self_pay")))
    with pytest.raises(ValidationError) as refused:
        credit_invoice(invoice=issued, reason="x", line_ids=[other.lines.get().pk])
    assert refused.value.message_dict["lines"] == ["Choose lines of this invoice."]


def test_a_draft_cannot_be_credited(price):
    draft = session_completed(session=session(referral=referral("self_pay")))
    with pytest.raises(ValidationError) as refused:
        credit_invoice(invoice=draft, reason="x", amount=Decimal("10"))
    assert "Only an issued or paid invoice can be credited" in refused.value.messages[0]
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


def test_a_paid_invoice_credited_in_part_or_in_full_stays_paid_as_a_refund(issued):
    mark_paid(invoice=issued, paid_on=timezone.localdate())
    credit_invoice(invoice=issued, reason="Refund for the review", amount=Decimal("150"))
    credit_invoice(invoice=issued, reason="Refund the rest")
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID and issued.balance == Decimal("0.00")
    with pytest.raises(ValidationError) as refused:
        credit_invoice(invoice=issued, reason="again", amount=Decimal("1"))
    assert "already been credited in full" in refused.value.messages[0]


def test_an_amount_beyond_a_line_s_digits_is_refused_not_a_server_error():
    invoice = Invoice.objects.create(
        patient=referral("self_pay").patient, funding_route="self_pay", total=Decimal("1800000")
    )
    for _ in range(2):
        InvoiceLine.objects.create(
            invoice=invoice,
            kind="package",
            description="Course",
            unit_price=Decimal("900000"),
            amount=Decimal("900000"),
        )
    issue_invoice(invoice=invoice)
    with pytest.raises(ValidationError) as refused:
        credit_invoice(invoice=invoice, reason="x", amount=Decimal("1000000"))
    assert "at most GBP 999,999.99" in refused.value.message_dict["amount"][0]
    assert credit_invoice(invoice=invoice, reason="x", amount=Decimal("999999.99")).total == Decimal(
        "999999.99"
    )


def test_a_zero_or_missing_reason_is_refused(issued):
    with pytest.raises(ValidationError) as no_reason:
        credit_invoice(invoice=issued, reason="  ", amount=Decimal("10"))
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as zero:
        credit_invoice(invoice=issued, reason="x", amount=Decimal("0"))
    assert "amount" in zero.value.message_dict
    assert not _notes(issued).exists()


# --- pages ----------------------------------------------------------------------------------------


def test_an_admin_credits_one_line_through_the_page(admin_client_role, issued):
    _, review = _lines(issued)
    response = admin_client_role.post(
        reverse("billing:invoice_credit", args=[issued.pk]),
        {"lines": [review.pk], "reason": "Review not attended"},
    )
    note = _notes(issued).get()
    assert response.status_code == 302 and response["Location"] == note.get_absolute_url()
    page = admin_client_role.get(issued.get_absolute_url()).content.decode()
    assert 'data-testid="amount-credited">£150.00' in page
    assert 'data-testid="invoice-balance">£450.00' in page
    assert 'data-testid="part-credited"' in page
    assert note.display_number in page
    printed = admin_client_role.get(reverse("billing:invoice_print", args=[note.pk])).content.decode()
    assert "Credit note" in printed and f"Credits {issued.display_number}" in printed
    assert "Review not attended" in printed and "Exempt from VAT" in printed


def test_an_over_credit_through_the_page_shows_the_message_next_to_the_amount(admin_client_role, issued):
    response = admin_client_role.post(
        reverse("billing:invoice_credit", args=[issued.pk]), {"amount": "600.01", "reason": "Too much"}
    )
    assert response.status_code == 200
    form = response.context["credit_form"]
    assert "more than the GBP 600.00 left to credit" in form.errors["amount"][0]
    assert "more than the GBP 600.00 left to credit" in response.content.decode()
    assert not _notes(issued).exists()


def test_lines_and_an_amount_together_are_refused_next_to_the_amount(admin_client_role, issued):
    _, review = _lines(issued)
    response = admin_client_role.post(
        reverse("billing:invoice_credit", args=[issued.pk]),
        {"lines": [review.pk], "amount": "10", "reason": "x"},
    )
    assert response.context["credit_form"].errors["amount"] == [
        "Credit either whole lines or an amount, not both."
    ]
    assert not _notes(issued).exists()


def test_a_missing_reason_is_refused_next_to_the_reason(admin_client_role, issued):
    response = admin_client_role.post(
        reverse("billing:invoice_credit", args=[issued.pk]), {"amount": "10", "reason": ""}
    )
    assert "reason" in response.context["credit_form"].errors
    assert not _notes(issued).exists()


def test_reception_sees_the_credits_but_cannot_credit(reception_client, issued):
    response = reception_client.post(
        reverse("billing:invoice_credit", args=[issued.pk]), {"amount": "10", "reason": "x"}
    )
    assert response.status_code == 403
    assert not _notes(issued).exists()
    page = reception_client.get(issued.get_absolute_url()).content.decode()
    assert 'data-testid="invoice-balance"' in page and 'data-testid="credit-form"' not in page


@pytest.mark.parametrize("credits", [1, 6])
def test_the_invoice_page_keeps_a_constant_query_count(
    credits, admin_client_role, issued, django_assert_max_num_queries
):
    for _ in range(credits):
        credit_invoice(invoice=issued, reason="Discount", amount=Decimal("10"))
    admin_client_role.get(reverse("dashboard"))
    with django_assert_max_num_queries(10):
        response = admin_client_role.get(issued.get_absolute_url())
    assert response.status_code == 200
    assert f"£{10 * credits}.00" in response.content.decode()
    with django_assert_max_num_queries(10):
        assert admin_client_role.get(reverse("billing:invoice_print", args=[issued.pk])).status_code == 200


def test_the_outstanding_total_is_net_of_part_credits(admin_client_role, issued):
    credit_invoice(invoice=issued, reason="Discount", amount=Decimal("100"))
    page = admin_client_role.get(reverse("billing:invoice_list")).content.decode()
    assert "£500.00" in page


def test_the_invoice_list_marks_a_part_credited_invoice(admin_client_role, reception_client, issued):
    url = reverse("billing:invoice_list")
    assert 'data-testid="list-part-credited"' not in admin_client_role.get(url).content.decode()
    credit_invoice(invoice=issued, reason="Discount", amount=Decimal("100"))
    page = reception_client.get(url).content.decode()
    assert page.count('data-testid="list-part-credited"') == 1  # the invoice, not its credit note
    assert 'title="£100.00 credited"' in page


@pytest.mark.parametrize(
    "data,field",
    [
        ({"amount": "-5", "reason": "x"}, "amount"),
        ({"amount": "0", "reason": "x"}, "amount"),
        ({"amount": "abc", "reason": "x"}, "amount"),
        ({"amount": "1e30", "reason": "x"}, "amount"),
        ({"lines": ["abc"], "reason": "x"}, "lines"),
        ({"lines": ["999999"], "reason": "x"}, "lines"),
        ({"amount": "10", "reason": "x" * 201}, "reason"),
    ],
)
def test_bad_credit_input_is_refused_next_to_its_field(admin_client_role, issued, data, field):
    response = admin_client_role.post(reverse("billing:invoice_credit", args=[issued.pk]), data)
    assert response.status_code == 200
    assert field in response.context["credit_form"].errors
    assert not _notes(issued).exists()

"""The invoice list computes what was credited for the 50 invoices it shows only, in one query, and keeps
its query count whatever the number of invoices."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from tests import factories

pytestmark = pytest.mark.django_db


def _invoices(count):
    patient = factories.PatientFactory()
    invoices = Invoice.objects.bulk_create(
        Invoice(
            patient=patient,
            funding_route="self_pay",
            status=InvoiceStatus.ISSUED,
            number=n + 1,
            total=Decimal("450.00"),
            issued_on="2026-11-01",
        )
        for n in range(count)
    )
    return patient, invoices


def _credit(invoice, amount, *, number, status=InvoiceStatus.ISSUED):
    return Invoice.objects.create(
        patient=invoice.patient,
        kind=InvoiceKind.CREDIT_NOTE,
        funding_route="self_pay",
        credit_for=invoice,
        status=status,
        number=number,
        total=Decimal(amount),
        issued_on="2026-11-02",
    )


@pytest.mark.parametrize("count", [5, 120])
def test_the_invoice_list_credits_only_the_rows_it_shows_in_constant_queries(
    admin_client_role, django_assert_max_num_queries, count
):
    _, invoices = _invoices(count)
    newest, oldest = invoices[-1], invoices[0]
    _credit(newest, "100.00", number=10_001)
    _credit(newest, "25.00", number=10_002)
    _credit(newest, "400.00", number=10_003, status=InvoiceStatus.VOID)  # a void credit takes nothing off
    _credit(oldest, "50.00", number=10_004)
    url = reverse("billing:invoice_list")
    with django_assert_max_num_queries(12):
        response = admin_client_role.get(url)
    assert response.status_code == 200
    rows = {row.pk: row for row in response.context["page"].object_list}
    assert len(rows) == min(count + 4, 50)
    assert rows[newest.pk].credited_sum == Decimal("125.00")
    html = response.content.decode()
    assert 'title="£125.00 credited"' in html
    if count > 50:
        assert oldest.pk not in rows  # on the last page, with its own sum
        with django_assert_max_num_queries(12):
            last = admin_client_role.get(url, {"page": 3})
        last_rows = {row.pk: row for row in last.context["page"].object_list}
        assert last_rows[oldest.pk].credited_sum == Decimal("50.00")
        assert 'title="£50.00 credited"' in last.content.decode()
    else:
        assert rows[oldest.pk].credited_sum == Decimal("50.00")
        assert all(row.credited_sum == 0 for pk, row in rows.items() if pk not in (newest.pk, oldest.pk))

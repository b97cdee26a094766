"""Invoice numbers stay unique and contiguous when many requests issue invoices at the same time."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from billing.models import Invoice, InvoiceLine
from billing.services import issue_invoice

from .. import factories

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 24


def _drafts(n):
    patient = factories.PatientFactory()
    drafts = []
    for i in range(n):
        invoice = Invoice.objects.create(patient=patient, funding_route="self_pay", total=Decimal("450"))
        InvoiceLine.objects.create(
            invoice=invoice,
            kind="session",
            description=f"Lidocaine infusion {i}",
            unit_price=Decimal("450"),
            amount=Decimal("450"),
        )
        drafts.append(invoice)
    return drafts


def _race(target, items):
    barrier = threading.Barrier(len(items))
    results, errors = [], []

    def run(item):
        try:
            barrier.wait()
            results.append(target(item))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_concurrent_issues_get_unique_contiguous_numbers_on_postgresql():
    assert connection.vendor == "postgresql"
    drafts = _drafts(THREADS)
    results, errors = _race(lambda inv: issue_invoice(invoice=inv).number, drafts)
    assert errors == []
    numbers = sorted(results)
    assert len(numbers) == THREADS
    assert numbers == list(range(numbers[0], numbers[0] + THREADS))
    assert sorted(Invoice.objects.values_list("number", flat=True)) == numbers


def test_the_same_invoice_issued_concurrently_gets_one_number():
    assert connection.vendor == "postgresql"
    (draft,) = _drafts(1)
    results, errors = _race(lambda inv: issue_invoice(invoice=inv).number, [draft] * 20)
    assert len(results) == 1
    assert len(errors) == 19 and all("already been issued" in str(e) for e in errors)
    draft.refresh_from_db()
    assert draft.number == results[0]
    nxt = _drafts(1)[0]
    assert issue_invoice(invoice=nxt).number == results[0] + 1

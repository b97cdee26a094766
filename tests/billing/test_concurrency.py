"""Under concurrency on PostgreSQL: invoice numbers stay unique and contiguous; insured bookings never exceed the authorisation."""

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


def test_concurrent_insured_bookings_never_exceed_the_authorised_sessions():
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from patients.models import EligibilityAssessment
    from sessions import booking
    from sessions.models import InfusionSession

    from .conftest import version

    assert connection.vendor == "postgresql"
    pv = version()
    preauth = factories.PreAuthorisationFactory(sessions_authorised=3)
    ref = preauth.referral
    EligibilityAssessment.objects.create(
        patient=ref.patient,
        protocol_family=pv.protocol.family,
        assessed_on=timezone.localdate() - timedelta(days=1),
        assessed_by=factories.specialist_user(),
        decision="eligible",
        weight_kg=70,
    )
    location = factories.LocationFactory()
    chairs = [factories.ChairFactory(location=location) for _ in range(2)]
    booker = factories.reception_user()
    first = factories.next_weekday()
    second = factories.next_weekday(first)
    london = ZoneInfo("Europe/London")
    slots = [
        (chairs[i % 2], datetime.combine(day, time(hour), tzinfo=london))
        for i, (day, hour) in enumerate((d, h) for d in (first, second) for h in (8, 10, 12, 14))
    ]

    def book(slot):
        chair, start = slot
        return booking.book_session(
            patient=ref.patient, protocol_version=pv, chair=chair, start=start, booked_by=booker, referral=ref
        )

    results, errors = _race(book, slots)
    assert len(results) == 3
    assert len(errors) == 5
    assert all("authorised no more sessions" in str(e) for e in errors)
    assert InfusionSession.objects.filter(referral=ref).count() == 3


def test_concurrent_partial_credits_never_exceed_the_invoice_total():
    from billing.models import InvoiceKind
    from billing.services import credit_invoice

    assert connection.vendor == "postgresql"
    invoice = issue_invoice(invoice=_drafts(1)[0])  # GBP 450
    results, errors = _race(
        lambda amount: credit_invoice(invoice=invoice, reason="Discount", amount=amount).total,
        [Decimal("200")] * 8,
    )
    assert sorted(results) == [Decimal("200.00"), Decimal("200.00")]
    assert len(errors) == 6 and all("left to credit" in str(e) for e in errors)
    credited = Invoice.objects.filter(credit_for=invoice, kind=InvoiceKind.CREDIT_NOTE)
    assert sum(n.total for n in credited) == Decimal("400.00")
    numbers = sorted(credited.values_list("number", flat=True))
    assert numbers == [invoice.number + 1, invoice.number + 2]

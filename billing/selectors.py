"""The reads the billing pages need, each a fixed number of queries whatever the data size."""

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Prefetch, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Package, PreAuthorisation, PriceList


def price_lists():
    return PriceList.objects.select_related("protocol_family", "created_by").order_by(
        "protocol_family__display_order", "protocol_family__name", "funding_route", "-effective_from"
    )


def packages():
    return Package.objects.select_related("protocol_family")


def invoices(*, status: str | None = None, query: str = ""):
    credited = Sum("credit_notes__total", filter=~Q(credit_notes__status=InvoiceStatus.VOID))
    qs = (
        Invoice.objects.select_related("patient", "insurer", "credit_for")
        .annotate(credited_sum=Coalesce(credited, Value(Decimal("0.00"), output_field=DecimalField())))
        .order_by("-number", "-created_at")
    )
    if status:
        qs = qs.filter(status=status)
    if query:
        q = Q(patient__last_name__icontains=query) | Q(patient__first_name__icontains=query)
        digits = "".join(ch for ch in query if ch.isdigit())
        if digits:
            q |= Q(number=int(digits))
        qs = qs.filter(q)
    return qs


def invoice_detail(pk: int) -> Invoice:
    return (
        Invoice.objects.select_related(
            "patient",
            "referral",
            "insurer",
            "credit_for",
            "issued_by",
            "created_by",
            "package_purchase__package",
        )
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.select_related("session", "credit_line__invoice")),
            Prefetch("credit_notes", queryset=Invoice.objects.order_by("number", "id")),
        )
        .get(pk=pk)
    )


def invoice_counts() -> dict:
    """Drafts to issue and unpaid invoices with what is still due (less part credits): one query."""
    invoice = Q(kind=InvoiceKind.INVOICE)
    unpaid = invoice & Q(status=InvoiceStatus.ISSUED)
    part_credit = Q(kind=InvoiceKind.CREDIT_NOTE, credit_for__status=InvoiceStatus.ISSUED) & ~Q(
        status=InvoiceStatus.VOID
    )
    row = Invoice.objects.aggregate(
        drafts=Count("id", filter=invoice & Q(status=InvoiceStatus.DRAFT)),
        unpaid=Count("id", filter=unpaid),
        unpaid_gross=Sum("total", filter=unpaid),
        credited=Sum("total", filter=part_credit),
    )
    row["unpaid_total"] = (row.pop("unpaid_gross") or 0) - (row.pop("credited") or 0)
    return row


def todays_invoice_lines():
    """Invoice lines of today's sessions, for reception's dashboard: one query."""
    today = timezone.localdate()
    return (
        InvoiceLine.objects.filter(session__start__date=today, kind="session")
        .select_related("invoice", "session__patient")
        .order_by("session__start")
    )


def preauthorisations(*, referral_id: int | None = None):
    qs = PreAuthorisation.objects.select_related("referral__patient", "insurer").annotate(
        sessions_used=Count("uses"), sessions_left=F("sessions_authorised") - Count("uses")
    )
    if referral_id:
        qs = qs.filter(referral_id=referral_id)
    return qs.order_by("-valid_from", "-id")

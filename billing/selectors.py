"""The reads the billing pages need, each a fixed number of queries whatever the data size."""

from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils import timezone

from .models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Package, PreAuthorisation, PriceList


def price_lists():
    return PriceList.objects.select_related("protocol_family", "created_by").order_by(
        "protocol_family__display_order", "protocol_family__name", "funding_route", "-effective_from"
    )


def packages():
    return Package.objects.select_related("protocol_family")


def invoices(*, status: str | None = None, query: str = ""):
    qs = Invoice.objects.select_related("patient", "insurer", "credit_for").order_by("-number", "-created_at")
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
        .select_related("credit_note")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.select_related("session")))
        .get(pk=pk)
    )


def invoice_counts() -> dict:
    """Drafts to issue and unpaid invoices with their total: one query."""
    row = Invoice.objects.filter(kind=InvoiceKind.INVOICE).aggregate(
        drafts=Count("id", filter=Q(status=InvoiceStatus.DRAFT)),
        unpaid=Count("id", filter=Q(status=InvoiceStatus.ISSUED)),
        unpaid_total=Sum("total", filter=Q(status=InvoiceStatus.ISSUED)),
    )
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

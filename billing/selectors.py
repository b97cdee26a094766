"""The reads the billing pages need, each a fixed number of queries whatever the data size."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils import timezone

from infusion_clinic.dates import days_bounds, on_day
from patients.models import FundingRoute
from sessions.models import InfusionSession, SessionStatus

from .models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Package, PreAuthorisation, PriceList


def price_lists():
    return PriceList.objects.select_related("protocol_family", "created_by").order_by(
        "protocol_family__display_order", "protocol_family__name", "funding_route", "-effective_from"
    )


def packages():
    return Package.objects.select_related("protocol_family")


def invoices(*, status: str | None = None, query: str = ""):
    """The invoice list's rows, newest number first; paginate it, then `with_credited_sums(page)` for
    the sums credited against the rows shown (not against every invoice)."""
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


def with_credited_sums(rows) -> list[Invoice]:
    """The rows (a page of invoices), each with `credited_sum`: what its credit notes that are not void
    take off it. One query, over the credit notes of these rows only."""
    rows = list(rows)
    sums = dict(
        Invoice.objects.filter(credit_for_id__in=[row.pk for row in rows])
        .exclude(status=InvoiceStatus.VOID)
        .values("credit_for_id")
        .annotate(credited=Sum("total"))
        .values_list("credit_for_id", "credited")
    )
    for row in rows:
        row.credited_sum = sums.get(row.pk, Decimal("0.00"))
    return rows


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
        InvoiceLine.objects.filter(kind="session", **on_day("session__start", today))
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


# --- NHS activity per commissioner ------------------------------------------------------------------

NHS_ACTIVITY_COLUMNS = [
    ("month", "Month"),
    ("ods_code", "ODS code"),
    ("commissioner", "Commissioner"),
    ("protocol", "Protocol"),
    ("sessions", "Sessions given"),
    ("patients", "Patients treated"),
    ("dna", "Did not attend"),
]


@dataclass
class NhsActivity:
    """A month's NHS activity: a row per commissioner and protocol, the totals and the CSV columns."""

    first: date
    last: date
    rows: list[dict]
    totals: dict
    columns = NHS_ACTIVITY_COLUMNS


def month_bounds(month: date) -> tuple[date, date]:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return month, nxt - timedelta(days=1)


def nhs_activity(month: date, commissioner=None) -> NhsActivity:
    """NHS sessions by commissioner and protocol in a month: given, did not attend, patients (one query).

    NHS care is not invoiced: this count is what the clinic reports to each commissioning ICB."""
    first, last = month_bounds(month)
    lo, hi = days_bounds(first, last)
    given = (SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)
    qs = InfusionSession.objects.filter(start__gte=lo, start__lt=hi, referral__funding_route=FundingRoute.NHS)
    if commissioner is not None:
        qs = qs.filter(referral__commissioner=commissioner)
    data = (
        qs.values(
            "referral__commissioner__ods_code",
            "referral__commissioner__name",
            "protocol_version__protocol__name",
        )
        .annotate(
            given=Count("id", filter=Q(status__in=given)),
            dna=Count("id", filter=Q(status=SessionStatus.DID_NOT_ATTEND)),
            patients=Count("patient", filter=Q(status__in=given), distinct=True),
        )
        .order_by("referral__commissioner__name", "protocol_version__protocol__name")
    )
    rows = [
        {
            "month": first.strftime("%Y-%m"),
            "ods_code": row["referral__commissioner__ods_code"] or "",
            "commissioner": row["referral__commissioner__name"] or "No commissioner recorded",
            "protocol": row["protocol_version__protocol__name"],
            "sessions": row["given"],
            "patients": row["patients"],
            "dna": row["dna"],
        }
        for row in data
        if row["given"] or row["dna"]
    ]
    totals = {"sessions": sum(r["sessions"] for r in rows), "dna": sum(r["dna"] for r in rows)}
    return NhsActivity(first=first, last=last, rows=rows, totals=totals)

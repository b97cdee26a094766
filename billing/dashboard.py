"""Billing cards on the dashboard: drafts and unpaid invoices for clinic admins, and for reception the
invoice status of today's patients. Each card is one query."""

from infusion_clinic.dashboard import Card
from infusion_clinic.roles import CLINIC_ADMIN, RECEPTION

from . import selectors


def invoices_card(request):
    if not request.user.has_perm("billing.view_invoice"):
        return None
    return Card(
        title="Invoices",
        template="billing/dashboard/_admin_invoices.html",
        context={"counts": selectors.invoice_counts()},
        order=60,
        icon="receipt",
    )


def todays_invoices_card(request):
    if not request.user.has_perm("billing.view_invoice"):
        return None
    return Card(
        title="Today's private and insured patients",
        template="billing/dashboard/_reception_invoices.html",
        context={"lines": list(selectors.todays_invoice_lines()[:20])},
        order=70,
        icon="receipt",
    )


PROVIDERS = {CLINIC_ADMIN: [invoices_card], RECEPTION: [todays_invoices_card]}

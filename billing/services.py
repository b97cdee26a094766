"""Billing services: the writes of prices, pre-authorisations and invoices.

Two hooks are called by the sessions app (keep their signatures):

- ensure_preauthorisation: called by the booking service inside its transaction, before sessions
  are saved. Raises ValidationError({"referral": ...}) when an insured booking has no authorised
  sessions left.
- session_completed: called by the session record when a nurse completes a session, inside the
  same transaction. Creates an invoice (private/insured) at the price in force on the session date
  and uses one pre-authorised session.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from infusion_clinic.dates import uk_date
from patients.models import FundingRoute
from sessions.models import InfusionSession

from .models import (
    ZERO,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceSequence,
    InvoiceStatus,
    LineKind,
    Package,
    PackagePurchase,
    PackageSessionUse,
    PreAuthorisation,
    PreAuthorisationUse,
    PriceList,
)

SEQUENCE_NAME = "invoice"
PRIVATE_ROUTES = (FundingRoute.SELF_PAY, FundingRoute.INSURED)
# Sessions booked but not yet completed count against an authorisation, so that a patient with one
# authorised session cannot be booked for three.
_PENDING_STATUSES = ("booked", "checked_in", "in_progress")


_d = uk_date


# --- prices ---------------------------------------------------------------------------------------


def price_in_force(*, protocol_family, funding_route, on_date: date) -> PriceList | None:
    """The price list row of a family and route in force on a date (both ends inclusive), or None."""
    return (
        PriceList.objects.filter(protocol_family=protocol_family, funding_route=funding_route)
        .filter(effective_from__lte=on_date)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))
        .order_by("-effective_from")
        .first()
    )


def _overlapping(*, protocol_family, funding_route, effective_from, effective_to, exclude_pk=None):
    qs = PriceList.objects.filter(protocol_family=protocol_family, funding_route=funding_route)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    qs = qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
    if effective_to is not None:
        qs = qs.filter(effective_from__lte=effective_to)
    return qs.order_by("effective_from").first()


def _describe_period(price: PriceList) -> str:
    end = f"to {_d(price.effective_to)}" if price.effective_to else "with no end date"
    return f"{_d(price.effective_from)} {end}"


def _save_price(price: PriceList) -> PriceList:
    price.full_clean()
    clash = _overlapping(
        protocol_family=price.protocol_family,
        funding_route=price.funding_route,
        effective_from=price.effective_from,
        effective_to=price.effective_to,
        exclude_pk=price.pk,
    )
    if clash is not None:
        raise ValidationError(
            {
                "effective_from": (
                    f"These dates overlap the {price.protocol_family} {clash.get_funding_route_display().lower()} "
                    f"price from {_describe_period(clash)}. End that price first or choose other dates."
                )
            }
        )
    try:
        with transaction.atomic():  # the PostgreSQL exclusion constraint catches a concurrent overlap
            price.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"effective_from": "Another price for this family and route was saved for these dates just now."}
        ) from exc
    return price


@transaction.atomic
def create_price(
    *,
    protocol_family,
    funding_route,
    effective_from,
    session_price,
    review_fee,
    effective_to=None,
    created_by=None,
) -> PriceList:
    """Add a price period; refused when it overlaps another period of the same family and route."""
    price = PriceList(
        protocol_family=protocol_family,
        funding_route=funding_route,
        effective_from=effective_from,
        effective_to=effective_to,
        session_price=session_price,
        review_fee=review_fee,
        created_by=created_by,
    )
    return _save_price(price)


@transaction.atomic
def update_price(*, price: PriceList, **fields) -> PriceList:
    """Change a price period. Invoices copied their amounts, so no invoice changes with it."""
    price = PriceList.objects.select_for_update().get(pk=price.pk)
    for name, value in fields.items():
        setattr(price, name, value)
    return _save_price(price)


@transaction.atomic
def change_price_from(
    *, price: PriceList, starts_on: date, session_price, review_fee, created_by=None
) -> PriceList:
    """End an open-ended price the day before starts_on and start a new one from starts_on."""
    price = PriceList.objects.select_for_update().get(pk=price.pk)
    if price.effective_to is not None:
        raise ValidationError(
            {"starts_on": "This price already has an end date; add a new price period instead."}
        )
    if starts_on <= price.effective_from:
        raise ValidationError(
            {"starts_on": f"The new price must start after the current one ({_d(price.effective_from)})."}
        )
    price.effective_to = starts_on - timedelta(days=1)
    _save_price(price)
    return create_price(
        protocol_family=price.protocol_family,
        funding_route=price.funding_route,
        effective_from=starts_on,
        session_price=session_price,
        review_fee=review_fee,
        created_by=created_by,
    )


# --- pre-authorisation ------------------------------------------------------------------------------


@transaction.atomic
def save_preauthorisation(*, preauth: PreAuthorisation) -> PreAuthorisation:
    """Create or change a pre-authorisation; the referral must be insured by the same insurer."""
    referral = preauth.referral
    errors = {}
    if referral.funding_route != FundingRoute.INSURED:
        errors["referral"] = "This referral is not insured: change its funding route first."
    elif referral.insurer_id and referral.insurer_id != preauth.insurer_id:
        errors["insurer"] = f"The referral is insured by {referral.insurer}."
    if preauth.pk:
        used = PreAuthorisation.objects.select_for_update().get(pk=preauth.pk).uses.count()
        if preauth.sessions_authorised is not None and preauth.sessions_authorised < used:
            errors["sessions_authorised"] = f"{used} sessions have already been used."
    if errors:
        raise ValidationError(errors)
    preauth.patient_id = referral.patient_id
    preauth.full_clean()
    preauth.save()
    return preauth


def _sessions_left(preauth: PreAuthorisation, *, exclude_session_pk=None) -> int:
    used = preauth.uses.count()
    pending = InfusionSession.objects.filter(referral_id=preauth.referral_id, status__in=_PENDING_STATUSES)
    if exclude_session_pk:
        pending = pending.exclude(pk=exclude_session_pk)
    return preauth.sessions_authorised - used - pending.count()


def ensure_preauthorisation(*, patient, referral, protocol_version, session_count: int) -> None:
    """Refuse an insured booking unless a current pre-authorisation has session_count sessions left
    after the sessions already used and those booked but not yet given."""
    if referral is None or referral.funding_route != FundingRoute.INSURED:
        return
    today = timezone.localdate()
    preauths = list(
        PreAuthorisation.objects.select_for_update()
        .filter(referral=referral, valid_to__gte=today)
        .order_by("valid_from", "id")
    )
    if not preauths:
        raise ValidationError(
            {
                "referral": "This insured referral has no current pre-authorisation: record the insurer's "
                "authorisation (number and sessions authorised) before booking."
            }
        )
    used = PreAuthorisationUse.objects.filter(preauthorisation__in=preauths).count()
    pending = InfusionSession.objects.filter(referral=referral, status__in=_PENDING_STATUSES).count()
    left = sum(p.sessions_authorised for p in preauths) - used - pending
    if left < session_count:
        wanted = f"{session_count} session{'s' if session_count != 1 else ''}"
        raise ValidationError(
            {
                "referral": f"The insurer has authorised no more sessions for this referral: {max(left, 0)} left, "
                f"{wanted} asked for. Ask the insurer to extend the pre-authorisation."
            }
        )


# --- invoices ---------------------------------------------------------------------------------------


def _recalculate(invoice: Invoice) -> None:
    invoice.total = invoice.lines.aggregate(total=Sum("amount"))["total"] or ZERO
    invoice.save(update_fields=["total"])


def _new_invoice(*, patient, referral, funding_route, created_by=None) -> Invoice:
    invoice = Invoice(patient=patient, referral=referral, funding_route=funding_route, created_by=created_by)
    if referral is not None and funding_route == FundingRoute.INSURED:
        invoice.insurer_id = referral.insurer_id
        invoice.policy_number = referral.policy_number
        invoice.preauth_number = referral.preauth_number
    invoice.full_clean()
    invoice.save()
    return invoice


def _session_date(session) -> date:
    return timezone.localdate(session.start)


@transaction.atomic
def session_completed(*, session) -> Invoice | None:
    """Bill a completed private or insured session (NHS sessions are not invoiced).

    The price is the one in force on the session date, copied onto the line. A session covered by a
    package the patient bought is not invoiced again. Running the hook twice does nothing more.
    """
    referral = session.referral
    if referral is None or referral.funding_route not in PRIVATE_ROUTES:
        return None
    if InvoiceLine.objects.filter(session=session, kind=LineKind.SESSION).exists():
        return None
    family = session.protocol_version.protocol.family
    on_date = _session_date(session)

    purchase = _package_with_sessions_left(
        patient=session.patient, family=family, route=referral.funding_route
    )
    if purchase is not None:
        PackageSessionUse.objects.get_or_create(session=session, defaults={"purchase": purchase})
        _use_preauthorisation(session=session, on_date=on_date)
        return purchase.invoice

    price = price_in_force(protocol_family=family, funding_route=referral.funding_route, on_date=on_date)
    invoice = _new_invoice(patient=session.patient, referral=referral, funding_route=referral.funding_route)
    preauth = _use_preauthorisation(session=session, on_date=on_date)
    if preauth is not None:
        invoice.preauth_number = preauth.preauth_number
        invoice.policy_number = preauth.policy_number
        invoice.insurer_id = preauth.insurer_id
    if referral.funding_route == FundingRoute.INSURED and preauth is None:
        invoice.notes = "No pre-authorisation with sessions left covered this session: check with the insurer before issuing. "
    if price is None:
        # Never block a nurse completing a session: the draft says what is missing.
        invoice.notes += (
            f"No {family} {referral.get_funding_route_display().lower()} price was in force on {_d(on_date)}: "
            "add the price and correct this draft before issuing it."
        )
        unit = ZERO
    else:
        unit = price.session_price
    invoice.save()
    InvoiceLine.objects.create(
        invoice=invoice,
        kind=LineKind.SESSION,
        description=f"{session.protocol_version.protocol.name} infusion",
        service_date=on_date,
        quantity=1,
        unit_price=unit,
        amount=unit,
        session=session,
        price_list=price,
    )
    _recalculate(invoice)
    return invoice


def _use_preauthorisation(*, session, on_date) -> PreAuthorisation | None:
    if session.referral.funding_route != FundingRoute.INSURED:
        return None
    existing = PreAuthorisationUse.objects.filter(session=session).select_related("preauthorisation").first()
    if existing:
        return existing.preauthorisation
    preauths = (
        PreAuthorisation.objects.select_for_update()
        .filter(referral=session.referral)
        .order_by("valid_from", "id")
    )
    chosen = None
    for preauth in preauths:
        used = preauth.uses.count()
        if used < preauth.sessions_authorised and preauth.valid_from <= on_date <= preauth.valid_to:
            chosen = preauth
            break
    if chosen is not None:
        PreAuthorisationUse.objects.create(preauthorisation=chosen, session=session)
    return chosen


def _package_with_sessions_left(*, patient, family, route) -> PackagePurchase | None:
    purchases = (
        PackagePurchase.objects.select_for_update()
        .filter(patient=patient, package__protocol_family=family, package__funding_route=route)
        .exclude(invoice__status=InvoiceStatus.VOID)
        .order_by("created_at", "id")
    )
    for purchase in purchases:
        if purchase.uses.count() < purchase.sessions_included:
            return purchase
    return None


@transaction.atomic
def sell_package(*, patient, package: Package, referral=None, created_by=None) -> Invoice:
    """A draft invoice for a package at its current price; the package's sessions are then covered."""
    if not package.is_active:
        raise ValidationError({"package": "This package is no longer offered."})
    route = referral.funding_route if referral is not None else package.funding_route
    if route != package.funding_route:
        raise ValidationError(
            {"package": f"This package is for {package.get_funding_route_display().lower()} patients."}
        )
    invoice = _new_invoice(patient=patient, referral=referral, funding_route=route, created_by=created_by)
    reviews = f" and {package.reviews_included} review(s)" if package.reviews_included else ""
    InvoiceLine.objects.create(
        invoice=invoice,
        kind=LineKind.PACKAGE,
        description=f"{package.name}: {package.sessions_included} infusion session(s){reviews}",
        service_date=timezone.localdate(),
        quantity=1,
        unit_price=package.price,
        amount=package.price,
    )
    PackagePurchase.objects.create(
        package=package,
        patient=patient,
        referral=referral,
        sessions_included=package.sessions_included,
        invoice=invoice,
    )
    _recalculate(invoice)
    return invoice


@transaction.atomic
def invoice_review(*, referral, protocol_family, review_date: date, created_by=None) -> Invoice:
    """A draft invoice for a follow-up review at the review fee in force on the review date."""
    if referral.funding_route not in PRIVATE_ROUTES:
        raise ValidationError({"referral": "NHS-funded reviews are not invoiced."})
    price = price_in_force(
        protocol_family=protocol_family, funding_route=referral.funding_route, on_date=review_date
    )
    if price is None:
        raise ValidationError(
            {
                "review_date": f"No {protocol_family} {referral.get_funding_route_display().lower()} price was in "
                f"force on {_d(review_date)}: add one under Prices first."
            }
        )
    invoice = _new_invoice(
        patient=referral.patient,
        referral=referral,
        funding_route=referral.funding_route,
        created_by=created_by,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        kind=LineKind.REVIEW,
        description=f"Follow-up review ({protocol_family})",
        service_date=review_date,
        quantity=1,
        unit_price=price.review_fee,
        amount=price.review_fee,
        price_list=price,
    )
    _recalculate(invoice)
    return invoice


def _locked_invoice(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _refuse_unless_draft(invoice: Invoice, action: str) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            {
                "__all__": f"{invoice.display_number} is {invoice.get_status_display().lower()}: it cannot be {action}. "
                "An issued invoice is corrected with a credit note."
            }
        )


@transaction.atomic
def add_line(
    *,
    invoice: Invoice,
    kind: str,
    description: str,
    unit_price: Decimal,
    quantity: int = 1,
    service_date: date | None = None,
) -> InvoiceLine:
    """Add a line to a draft (e.g. a follow-up review at the review fee)."""
    invoice = _locked_invoice(invoice)
    _refuse_unless_draft(invoice, "changed")
    line = InvoiceLine(
        invoice=invoice,
        kind=kind,
        description=description,
        unit_price=unit_price,
        quantity=quantity,
        amount=(unit_price or ZERO) * (quantity or 0),
        service_date=service_date,
    )
    line.full_clean()
    line.save()
    _recalculate(invoice)
    return line


@transaction.atomic
def add_review_fee(*, invoice: Invoice, protocol_family, review_date: date) -> InvoiceLine:
    price = price_in_force(
        protocol_family=protocol_family, funding_route=invoice.funding_route, on_date=review_date
    )
    if price is None:
        raise ValidationError(
            {"review_date": f"No {protocol_family} price was in force on {_d(review_date)}."}
        )
    line = add_line(
        invoice=invoice,
        kind=LineKind.REVIEW,
        description=f"Follow-up review ({protocol_family})",
        unit_price=price.review_fee,
        service_date=review_date,
    )
    line.price_list = price
    line.save(update_fields=["price_list"])
    return line


@transaction.atomic
def update_draft(*, invoice: Invoice, notes: str, line_prices: dict[int, Decimal] | None = None) -> Invoice:
    """Change a draft's notes and line prices. Issued, paid and void invoices are refused."""
    invoice = _locked_invoice(invoice)
    _refuse_unless_draft(invoice, "edited")
    for line in invoice.lines.all():
        if line_prices and line.pk in line_prices:
            line.unit_price = line_prices[line.pk]
            line.amount = (line.unit_price or ZERO) * line.quantity
            try:
                line.full_clean()
            except ValidationError as exc:
                raise ValidationError({f"line_{line.pk}": exc.messages}) from exc
            line.save(update_fields=["unit_price", "amount"])
    invoice.notes = notes
    invoice.save(update_fields=["notes"])
    _recalculate(invoice)
    return invoice


def _next_number() -> int:
    # The counter row is locked until this transaction ends: concurrent issues queue here, and a
    # rollback releases the number with the row, so the sequence has no gaps.
    sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(name=SEQUENCE_NAME)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


@transaction.atomic
def issue_invoice(*, invoice: Invoice, issued_by=None, on_date: date | None = None) -> Invoice:
    """Give a draft its number and freeze it. Issuing twice is refused."""
    invoice = _locked_invoice(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            {
                "__all__": f"{invoice.display_number} has already been issued ({invoice.get_status_display().lower()})."
            }
        )
    if not invoice.lines.exists():
        raise ValidationError({"__all__": "An invoice needs at least one line before it is issued."})
    if invoice.kind == InvoiceKind.INVOICE and invoice.total <= ZERO:
        raise ValidationError({"__all__": "The total is GBP 0.00: set the line prices before issuing."})
    invoice.number = _next_number()
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_on = on_date or timezone.localdate()
    invoice.issued_by = issued_by
    invoice.save(update_fields=["number", "status", "issued_on", "issued_by"])
    return invoice


@transaction.atomic
def mark_paid(*, invoice: Invoice, paid_on: date | None = None) -> Invoice:
    invoice = _locked_invoice(invoice)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(
            {
                "__all__": f"Only an issued invoice can be marked paid; {invoice.display_number} is "
                f"{invoice.get_status_display().lower()}."
            }
        )
    paid_on = paid_on or timezone.localdate()
    if paid_on < invoice.issued_on:
        raise ValidationError({"paid_on": "The payment date cannot be before the invoice date."})
    invoice.status = InvoiceStatus.PAID
    invoice.paid_on = paid_on
    invoice.save(update_fields=["status", "paid_on"])
    return invoice


@transaction.atomic
def discard_draft(*, invoice: Invoice) -> Invoice:
    """Void a draft. It never had a number, so the sequence keeps no gap."""
    invoice = _locked_invoice(invoice)
    _refuse_unless_draft(invoice, "discarded")
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.save(update_fields=["status", "voided_at"])
    return invoice


MAX_LINE_AMOUNT = Decimal("999999.99")  # InvoiceLine.unit_price has eight digits


def _money(value: Decimal) -> str:
    return f"GBP {value:,.2f}"


@transaction.atomic
def credit_invoice(
    *,
    invoice: Invoice,
    reason: str,
    issued_by=None,
    line_ids: list[int] | None = None,
    amount: Decimal | None = None,
) -> Invoice:
    """Credit an issued (or paid) invoice with a credit note, issued at once.

    Credit chosen lines (each at its whole amount, each line once), or a free amount with the reason,
    or, with neither, the whole balance still charged. The credits together never exceed the invoice
    total: the invoice row is locked first, so two concurrent credits are checked one after the other.
    An issued invoice credited in full becomes void; a paid one stays paid (the credit is a refund).
    """
    invoice = _locked_invoice(invoice)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in (
        InvoiceStatus.ISSUED,
        InvoiceStatus.PAID,
    ):
        raise ValidationError(
            {
                "__all__": f"Only an issued or paid invoice can be credited; {invoice.display_number} is "
                f"{invoice.get_status_display().lower()}."
            }
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for the credit note."})
    if line_ids and amount is not None:
        raise ValidationError({"amount": "Credit either whole lines or an amount, not both."})

    credited = (
        Invoice.objects.filter(credit_for=invoice, kind=InvoiceKind.CREDIT_NOTE)
        .exclude(status=InvoiceStatus.VOID)
        .aggregate(total=Sum("total"))["total"]
        or ZERO
    )
    left = invoice.total - credited
    if left <= ZERO:
        raise ValidationError({"__all__": f"{invoice.display_number} has already been credited in full."})
    lines = list(invoice.lines.select_related("credit_line").order_by("id"))
    uncredited = [line for line in lines if not hasattr(line, "credit_line")]

    if line_ids:
        wanted = set(line_ids)
        chosen = [line for line in lines if line.pk in wanted]
        if len(chosen) != len(wanted):
            raise ValidationError({"lines": "Choose lines of this invoice."})
        already = [line.description for line in chosen if hasattr(line, "credit_line")]
        if already:
            raise ValidationError({"lines": f"Already credited: {'; '.join(already)}."})
        credit_lines = [_credit_line(invoice, line) for line in chosen]
        field = "lines"
    elif amount is not None:
        amount = Decimal(amount).quantize(Decimal("0.01"))
        if amount <= ZERO:
            raise ValidationError({"amount": "Enter an amount above GBP 0.00."})
        credit_lines = [
            InvoiceLine(
                kind=LineKind.CREDIT,
                description=f"Credit for {invoice.display_number}: {reason}"[:200],
                service_date=None,
                quantity=1,
                unit_price=amount,
                amount=amount,
            )
        ]
        field = "amount"
    elif credited == ZERO or sum((line.amount for line in uncredited), ZERO) == left:
        # The whole balance: line by line while only whole lines have been credited so far.
        credit_lines = [_credit_line(invoice, line) for line in uncredited]
        field = "__all__"
    else:
        credit_lines = [
            InvoiceLine(
                kind=LineKind.CREDIT,
                description=f"Credit for {invoice.display_number}: balance after earlier credit notes",
                quantity=1,
                unit_price=left,
                amount=left,
            )
        ]
        field = "__all__"

    if any(line.amount > MAX_LINE_AMOUNT for line in credit_lines):
        raise ValidationError(
            {field: f"A credit note line is at most {_money(MAX_LINE_AMOUNT)}: credit in parts."}
        )
    total = sum((line.amount for line in credit_lines), ZERO)
    if total > left:
        raise ValidationError(
            {
                field: f"That credits {_money(total)}, more than the {_money(left)} left to credit on "
                f"{invoice.display_number} (total {_money(invoice.total)}, already credited "
                f"{_money(credited)})."
            }
        )
    if total <= ZERO:
        raise ValidationError({field: "There is nothing to credit: the chosen amount is GBP 0.00."})

    note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        patient_id=invoice.patient_id,
        referral_id=invoice.referral_id,
        funding_route=invoice.funding_route,
        insurer_id=invoice.insurer_id,
        policy_number=invoice.policy_number,
        preauth_number=invoice.preauth_number,
        credit_for=invoice,
        reason=reason[:200],
        created_by=issued_by,
    )
    note.save()
    for line in credit_lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(credit_lines)
    _recalculate(note)
    issue_invoice(invoice=note, issued_by=issued_by)
    if invoice.status == InvoiceStatus.ISSUED and credited + total == invoice.total:
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = timezone.now()
        invoice.save(update_fields=["status", "voided_at"])
    note.refresh_from_db()
    return note


def _credit_line(invoice: Invoice, line: InvoiceLine) -> InvoiceLine:
    return InvoiceLine(
        kind=LineKind.CREDIT,
        description=f"Credit for {invoice.display_number}: {line.description}"[:200],
        service_date=line.service_date,
        quantity=line.quantity,
        unit_price=line.unit_price,
        amount=line.amount,
        credited_line=line,
    )

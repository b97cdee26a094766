from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from simple_history.models import HistoricalRecords

from patients.models import FundingRoute

ZERO = Decimal("0.00")
money_validators = [MinValueValidator(ZERO, message="Amounts cannot be negative.")]

VAT_EXEMPTION_NOTE = (
    "Exempt from VAT: medical care provided by registered health professionals "
    "(Value Added Tax Act 1994, Schedule 9, Group 7)."
)


class PrivateRoute(models.TextChoices):
    """The funding routes that are invoiced (NHS care is counted for the commissioner instead)."""

    SELF_PAY = FundingRoute.SELF_PAY.value, FundingRoute.SELF_PAY.label
    INSURED = FundingRoute.INSURED.value, FundingRoute.INSURED.label


class Commissioner(models.Model):
    """An NHS Integrated Care Board that commissions (funds) NHS infusions."""

    name = models.CharField(max_length=200)
    ods_code = models.CharField(
        "ODS code",
        max_length=3,
        unique=True,
        help_text="Three characters, e.g. QE1.",
        validators=[
            RegexValidator(
                r"^[A-Z0-9]{3}$", "An ICB's ODS code is three capital letters or digits, e.g. QE1."
            )
        ],
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("manage_prices", "Can manage price lists, packages and insurers"),
            ("view_reports", "Can see clinic reports"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("ods_code"), 3), name="commissioner_ods_code_3_chars"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.ods_code})"


class Insurer(models.Model):
    name = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True)
    address = models.TextField("billing address", blank=True)
    email = models.EmailField("claims email", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PreAuthorisation(models.Model):
    """An insurer's authorisation of a number of sessions for one referral.

    Sessions used are derived from PreAuthorisationUse rows (one per completed session) rather than a
    counter: a row says which session used the authorisation, a unique constraint on the session makes
    a repeated completion hook harmless, and an amendment can remove a row. Checks that read the
    count lock this row (select_for_update) so that two bookings or completions cannot both take the
    last authorised session.
    """

    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, related_name="preauthorisations"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="preauthorisations"
    )
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="preauthorisations")
    policy_number = models.CharField(max_length=50)
    preauth_number = models.CharField("pre-authorisation number", max_length=50)
    sessions_authorised = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    valid_from = models.DateField()
    valid_to = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = "pre-authorisation"
        constraints = [
            models.UniqueConstraint(
                fields=["insurer", "preauth_number"], name="preauth_number_unique_per_insurer"
            ),
            models.CheckConstraint(
                condition=models.Q(sessions_authorised__gte=1), name="preauth_sessions_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__lte=models.F("valid_to")), name="preauth_dates_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.insurer} {self.preauth_number} ({self.sessions_authorised} sessions)"

    def get_absolute_url(self):
        return reverse("billing:preauth_list") + f"?referral={self.referral_id}"


class PreAuthorisationUse(models.Model):
    preauthorisation = models.ForeignKey(PreAuthorisation, on_delete=models.PROTECT, related_name="uses")
    session = models.OneToOneField(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="preauthorisation_use"
    )
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["used_at"]

    def __str__(self):
        return f"{self.preauthorisation} used by session {self.session_id}"


class PriceList(models.Model):
    """The price of a session and of a follow-up review for one protocol family and funding route,
    in force from effective_from to effective_to (inclusive; open-ended when empty).

    Periods of the same family and route never overlap: the service checks it with a clear message
    and, on PostgreSQL, an exclusion constraint over a daterange enforces it (migration 0002).
    """

    protocol_family = models.ForeignKey(
        "protocols.ProtocolFamily", on_delete=models.PROTECT, related_name="price_lists"
    )
    funding_route = models.CharField(max_length=10, choices=PrivateRoute.choices)
    effective_from = models.DateField()
    effective_to = models.DateField(
        null=True, blank=True, help_text="Leave empty while the price is current."
    )
    session_price = models.DecimalField(
        "price per session (GBP)", max_digits=8, decimal_places=2, validators=money_validators
    )
    review_fee = models.DecimalField(
        "follow-up review fee (GBP)", max_digits=8, decimal_places=2, validators=money_validators
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol_family__display_order", "funding_route", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(session_price__gte=0), name="price_session_not_negative"
            ),
            models.CheckConstraint(condition=models.Q(review_fee__gte=0), name="price_review_not_negative"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="price_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(funding_route__in=PrivateRoute.values), name="price_route_is_private"
            ),
        ]
        indexes = [
            models.Index(fields=["protocol_family", "funding_route", "effective_from"], name="price_lookup"),
        ]

    def __str__(self):
        return (
            f"{self.protocol_family} {self.get_funding_route_display()} from {self.effective_from:%-d %b %Y}"
        )


class Package(models.Model):
    """A course of sessions (and reviews) sold at a set price, e.g. three ketamine infusions."""

    name = models.CharField(max_length=120)
    protocol_family = models.ForeignKey(
        "protocols.ProtocolFamily", on_delete=models.PROTECT, related_name="+"
    )
    funding_route = models.CharField(
        max_length=10, choices=PrivateRoute.choices, default=PrivateRoute.SELF_PAY
    )
    sessions_included = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    reviews_included = models.PositiveSmallIntegerField(default=0)
    price = models.DecimalField(
        "package price (GBP)", max_digits=8, decimal_places=2, validators=money_validators
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol_family__display_order", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="package_price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(sessions_included__gte=1), name="package_sessions_positive"
            ),
        ]

    def __str__(self):
        return self.name


class PackagePurchase(models.Model):
    """A package sold to a patient: its completed sessions are covered and not invoiced again."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="purchases")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="package_purchases"
    )
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sessions_included = models.PositiveSmallIntegerField()
    invoice = models.OneToOneField("Invoice", on_delete=models.PROTECT, related_name="package_purchase")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.package} for {self.patient}"


class PackageSessionUse(models.Model):
    purchase = models.ForeignKey(PackagePurchase, on_delete=models.PROTECT, related_name="uses")
    session = models.OneToOneField(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="package_use"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.purchase} used by session {self.session_id}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


class InvoiceQuerySet(models.QuerySet):
    def unpaid(self):
        return self.filter(status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE)


class Invoice(models.Model):
    """An invoice (or credit note) for private or insured care.

    Drafts may change; from issue on the invoice is a legal record: its lines and amounts never change.
    A mistake is corrected by a credit note. The number is assigned at issue from InvoiceSequence,
    so numbers have no gaps (a discarded draft never had one).
    """

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    number = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="invoices")
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    funding_route = models.CharField(max_length=10, choices=PrivateRoute.choices)
    # Copied at creation: a later change to the referral does not rewrite who was billed.
    insurer = models.ForeignKey(
        Insurer, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    policy_number = models.CharField(max_length=50, blank=True)
    preauth_number = models.CharField("pre-authorisation number", max_length=50, blank=True)
    # An invoice may be credited in parts (a line, an amount); the credits never exceed its total.
    credit_for = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    reason = models.CharField("credit reason", max_length=200, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_on = models.DateField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_on = models.DateField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InvoiceStatus.values), name="invoice_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=InvoiceKind.values), name="invoice_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=InvoiceStatus.DRAFT)
                | models.Q(number__isnull=False)
                | models.Q(status=InvoiceStatus.VOID, issued_on__isnull=True),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="invoice_total_not_negative"),
        ]
        # No index on issued_on: EXPLAIN on 19,000 invoices showed these two serve the list and the
        # cards (docs/performance.md#indexes).
        indexes = [models.Index(fields=["status", "kind"], name="invoice_status_kind")]

    def __str__(self):
        return self.display_number

    def get_absolute_url(self):
        return reverse("billing:invoice_detail", args=[self.pk])

    @property
    def display_number(self):
        prefix = "CN" if self.kind == InvoiceKind.CREDIT_NOTE else "INV"
        return f"{prefix}-{self.number:06d}" if self.number else f"Draft #{self.pk}"

    @property
    def is_editable(self):
        return self.status == InvoiceStatus.DRAFT

    @property
    def vat_note(self):
        return VAT_EXEMPTION_NOTE

    @property
    def issued_credit_notes(self) -> list["Invoice"]:
        """Credit notes against this invoice (prefetched by selectors.invoice_detail)."""
        return [note for note in self.credit_notes.all() if note.status != InvoiceStatus.VOID]

    @property
    def amount_credited(self) -> Decimal:
        return sum((note.total for note in self.issued_credit_notes), ZERO)

    @property
    def balance(self) -> Decimal:
        """The total less its credit notes: what is still charged."""
        if self.kind != InvoiceKind.INVOICE or self.status == InvoiceStatus.DRAFT:
            return self.total
        return self.total - self.amount_credited


class LineKind(models.TextChoices):
    SESSION = "session", "Infusion session"
    REVIEW = "review", "Follow-up review"
    PACKAGE = "package", "Package"
    CREDIT = "credit", "Credit"


class InvoiceLine(models.Model):
    """A line with its price copied from the price list at the time: later price changes never reach it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    service_date = models.DateField(null=True, blank=True)
    quantity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=8, decimal_places=2, validators=money_validators)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=money_validators)
    session = models.ForeignKey(
        "infusion_sessions.InfusionSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )
    price_list = models.ForeignKey(
        PriceList, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # On a credit note: the invoice line it credits whole. One-to-one, so a line is credited once.
    credited_line = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_line"
    )
    # A draft's line prices may be adjusted before issue; the history says who changed what.
    history = HistoricalRecords()

    class Meta:
        # An issued (paid, void) invoice is never edited, by SQL either: a credit note corrects it.
        triggers = [
            pgtrigger.Trigger(
                name="issued_invoice_lines_read_only",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                func="""
                    IF (TG_OP <> 'INSERT' AND EXISTS (
                            SELECT 1 FROM billing_invoice i WHERE i.id = OLD.invoice_id AND i.status <> 'draft'))
                       OR (TG_OP <> 'DELETE' AND EXISTS (
                            SELECT 1 FROM billing_invoice i WHERE i.id = NEW.invoice_id AND i.status <> 'draft'))
                    THEN
                        RAISE EXCEPTION 'Invoice lines change only while the invoice is a draft; '
                            'an issued invoice is corrected by a credit note.' USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN COALESCE(NEW, OLD);
                """,
            )
        ]
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="line_unit_price_not_negative"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="line_amount_not_negative"),
            # A completed session is charged once, even if the completion hook runs twice.
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(kind="session"),
                name="session_charged_once",
            ),
        ]

    def __str__(self):
        return self.description


class InvoiceSequence(models.Model):
    """The counter row for invoice numbers. Issuing locks it (select_for_update), so numbers are
    assigned one at a time in commit order and a rolled-back issue gives its number back."""

    name = models.CharField(max_length=20, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.name}: {self.last_number}"

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone

from infusion_clinic import bounds
from infusion_clinic.forms import DateInput
from patients.models import Referral
from protocols.models import ProtocolFamily

from .models import Commissioner, Insurer, Package, PreAuthorisation, PriceList


def _money(label):
    return forms.DecimalField(
        label=label,
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), message="Amounts cannot be negative.")],
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )


class PriceListForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = PriceList
        fields = [
            "protocol_family",
            "funding_route",
            "effective_from",
            "effective_to",
            "session_price",
            "review_fee",
        ]
        widgets = {"effective_from": DateInput(), "effective_to": DateInput()}
        help_texts = {"effective_to": "Inclusive. Leave empty while the price is current."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol_family"].queryset = ProtocolFamily.objects.order_by("display_order", "name")
        for name in ("session_price", "review_fee"):
            self.fields[name].widget.attrs.update({"step": "0.01", "min": "0"})
        if self.instance.pk:  # the family and route of a period stay; a new period is a new row
            self.fields["protocol_family"].disabled = True
            self.fields["funding_route"].disabled = True

    def validate_unique(self):
        # Overlaps and constraints are checked by the service with field-keyed messages.
        pass

    def _post_clean(self):
        # Let the service run full_clean so that errors come from one place.
        pass


class ChangePriceForm(forms.Form):
    starts_on = bounds.DateField(label="New price applies from", widget=DateInput())
    session_price = _money("New price per session (GBP)")
    review_fee = _money("New follow-up review fee (GBP)")


class PackageForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = Package
        fields = [
            "name",
            "protocol_family",
            "funding_route",
            "sessions_included",
            "reviews_included",
            "price",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price"].widget.attrs.update({"step": "0.01", "min": "0"})


class InsurerForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = Insurer
        fields = ["name", "address", "email", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class CommissionerForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = Commissioner
        fields = ["name", "ods_code", "is_active"]

    def clean_ods_code(self):
        return (self.cleaned_data.get("ods_code") or "").strip().upper()


class PreAuthorisationForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = PreAuthorisation
        fields = [
            "referral",
            "insurer",
            "policy_number",
            "preauth_number",
            "sessions_authorised",
            "valid_from",
            "valid_to",
        ]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = Referral.objects.filter(funding_route="insured").select_related(
            "patient"
        )
        self.fields["referral"].label_from_instance = lambda r: (
            f"{r.patient} · received {r.received_on:%-d %b %Y} · {r.insurer or ''}"
        )
        self.fields["insurer"].queryset = Insurer.objects.filter(is_active=True)
        if not self.instance.pk:
            today = timezone.localdate()
            self.fields["valid_from"].initial = today
            self.fields["valid_to"].initial = today + timedelta(days=180)

    def _post_clean(self):
        # Copy the values onto the instance; the service validates with field-keyed messages.
        opts = self._meta
        self.instance = forms.models.construct_instance(self, self.instance, opts.fields, opts.exclude)


class DraftInvoiceForm(forms.Form):
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(invoice.lines.all())
        for line in self.lines:
            field = _money(f"{line.description} (GBP)")
            field.initial = line.unit_price
            self.fields[f"line_{line.pk}"] = field
        self.fields["notes"].initial = invoice.notes

    def line_prices(self):
        return {line.pk: self.cleaned_data[f"line_{line.pk}"] for line in self.lines}


class MarkPaidForm(forms.Form):
    paid_on = bounds.DateField(label="Paid on", widget=DateInput(), initial=timezone.localdate)


class CreditNoteForm(forms.Form):
    """Credit chosen lines, or an amount, or (neither) the whole balance; a reason always."""

    lines = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Lines to credit",
        widget=forms.CheckboxSelectMultiple,
        help_text="Each ticked line is credited at its whole amount.",
    )
    amount = forms.DecimalField(
        label="Or an amount (GBP)",
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
        help_text="Leave the lines and the amount empty to credit the whole balance.",
    )
    reason = forms.CharField(
        max_length=200, help_text="Shown on the credit note, e.g. 'Review not attended'."
    )

    def __init__(self, *args, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if invoice is not None:
            for line in invoice.lines.all():
                if not hasattr(line, "credit_line"):
                    choices.append((line.pk, f"{line.description} · £{line.amount:,.2f}"))
        self.fields["lines"].choices = choices
        if not choices:
            del self.fields["lines"]

    def clean(self):
        data = super().clean()
        if data.get("lines") and data.get("amount") is not None:
            self.add_error("amount", "Credit either whole lines or an amount, not both.")
        return data

    def service_kwargs(self) -> dict:
        return {
            "reason": self.cleaned_data["reason"],
            "line_ids": self.cleaned_data.get("lines") or None,
            "amount": self.cleaned_data.get("amount"),
        }


class ReviewFeeForm(forms.Form):
    protocol_family = bounds.ModelChoiceField(queryset=ProtocolFamily.objects.all(), label="Protocol family")
    review_date = bounds.DateField(widget=DateInput(), initial=timezone.localdate)


def _private_referrals():
    return (
        Referral.objects.exclude(funding_route="nhs")
        .exclude(status__in=("declined", "discharged"))
        .select_related("patient", "insurer")
        .order_by("patient__last_name", "patient__first_name", "-received_on")
    )


class PrivateReferralField(bounds.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=_private_referrals(), label="Patient (private or insured referral)", **kwargs
        )

    def label_from_instance(self, r):
        payer = r.insurer.name if r.insurer_id else "self-pay"
        return f"{r.patient} · {r.patient.date_of_birth:%-d %b %Y} · {payer}"


class SellPackageForm(forms.Form):
    referral = PrivateReferralField()
    package = bounds.ModelChoiceField(
        queryset=Package.objects.filter(is_active=True).select_related("protocol_family")
    )


class ReviewInvoiceForm(forms.Form):
    referral = PrivateReferralField()
    protocol_family = bounds.ModelChoiceField(queryset=ProtocolFamily.objects.all(), label="Protocol family")
    review_date = bounds.DateField(widget=DateInput(), initial=timezone.localdate)


class MonthForm(forms.Form):
    month = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "month"}))
    commissioner = bounds.ModelChoiceField(
        queryset=Commissioner.objects.all(),
        required=False,
        empty_label="All commissioners",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def clean_month(self):
        value = self.cleaned_data.get("month")
        if not value:
            today = timezone.localdate()
            return date(today.year, today.month, 1)
        try:
            year, month = (int(p) for p in value.split("-"))
            first = date(year, month, 1)
        except ValueError as exc:
            raise forms.ValidationError("Choose a month, e.g. 2026-11.") from exc
        try:
            return bounds.check_date(first)
        except ValidationError as exc:
            raise forms.ValidationError(bounds.MONTH_RANGE_MESSAGE) from exc

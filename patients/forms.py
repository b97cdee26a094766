from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone

from infusion_clinic import bounds
from infusion_clinic.dates import uk_date
from infusion_clinic.forms import DateInput
from protocols.selectors import current_versions

from .eligibility import contraindication_checklist, pregnancy_is_relevant
from .letters import ACCEPT_ATTRIBUTE, ACCEPTED_LABEL
from .models import (
    Condition,
    EcgResult,
    EligibilityDecision,
    FundingRoute,
    Patient,
    Pregnancy,
    Referral,
    ReferralStatus,
)
from .selectors import WAITING
from .services import ACTIONS
from .validators import normalise_nhs_number

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def range_messages(what: str, low, high, unit: str = "") -> dict:
    text = f"Enter {what} between {low} and {high}{(' ' + unit) if unit else ''}."
    return {"min_value": text, "max_value": text}


WEIGHT_MESSAGES = range_messages("a weight", 20, 300, "kg")
HEIGHT_MESSAGES = range_messages("a height", 100, 250, "cm")


def weight_field(**kwargs):
    """An adult's weight in kg, 20 to 300, one decimal: the range the model's constraint holds."""
    return forms.DecimalField(
        label="Weight (kg)",
        min_value=Decimal(20),
        max_value=Decimal(300),
        decimal_places=1,
        max_digits=5,
        error_messages=WEIGHT_MESSAGES,
        **kwargs,
    )


def height_field(**kwargs):
    return forms.DecimalField(
        label="Height (cm)",
        min_value=Decimal(100),
        max_value=Decimal(250),
        decimal_places=1,
        max_digits=4,
        required=False,
        error_messages=HEIGHT_MESSAGES,
        **kwargs,
    )


class PatientForm(forms.ModelForm):
    # Wider than the model's 10 characters: people type "943 476 5919"; clean() stores digits only.
    nhs_number = forms.CharField(
        label="NHS number",
        max_length=13,
        required=False,
        help_text="Optional for private patients. 10 digits, e.g. 943 476 5919.",
    )
    date_of_birth = bounds.DateField(widget=DateInput(), input_formats=DATE_FORMATS)

    CLINICAL_FIELDS = ("notes", "news2_spo2_scale2")

    class Meta:
        formfield_callback = bounds.formfield
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "nhs_number",
            "address_line1",
            "address_line2",
            "town",
            "postcode",
            "phone",
            "email",
            "consent_sms",
            "consent_email",
            "gp_practice_name",
            "gp_practice_ods",
            "allergies",
            "notes",
            "news2_spo2_scale2",
        ]
        widgets = {
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, clinical: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Reception registers demographics; clinical notes are for clinical roles only.
        if not clinical:
            for name in self.CLINICAL_FIELDS:
                del self.fields[name]
        self.fields[
            "allergies"
        ].help_text = "Known drug allergies (shown to every role as safety information)."

    def clean_nhs_number(self):
        return normalise_nhs_number(self.cleaned_data.get("nhs_number", ""))


class WeightForm(forms.Form):
    recorded_on = bounds.DateField(widget=DateInput(), input_formats=DATE_FORMATS, initial=timezone.localdate)
    weight_kg = weight_field()
    height_cm = height_field()


class ReferralForm(forms.ModelForm):
    received_on = bounds.DateField(
        label="Received on", widget=DateInput(), input_formats=DATE_FORMATS, initial=timezone.localdate
    )

    class Meta:
        formfield_callback = bounds.formfield
        model = Referral
        fields = [
            "source",
            "gp_practice_name",
            "gp_practice_ods",
            "received_on",
            "condition",
            "condition_other",
            "prior_treatments",
            "letter_text",
            "letter_file",
            "funding_route",
            "commissioner",
            "insurer",
            "policy_number",
            "preauth_number",
        ]
        widgets = {
            "source": forms.RadioSelect,
            "funding_route": forms.RadioSelect,
            "prior_treatments": forms.Textarea(attrs={"rows": 2}),
            "letter_text": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "preauth_number": "Optional at intake; needed before an insured session is booked.",
            "gp_practice_ods": "A letter and five digits, e.g. A81001.",
        }

    REFERRER_FIELDS = ("gp_practice_name", "gp_practice_ods")

    def __init__(self, *args, require_letter: bool = True, patient_form=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.require_letter = require_letter
        # A new patient's intake asks for the GP practice once, in the patient's part (patient_form,
        # validated first): a GP referral comes from it (services.register_referral copies it), and a
        # mistake about it is shown there.
        self.patient_form = patient_form
        if patient_form is not None:
            for name in self.REFERRER_FIELDS:
                del self.fields[name]
            self.fields[
                "source"
            ].help_text = "A GP referral comes from the patient's GP practice, given above."
        self.fields[
            "letter_file"
        ].help_text = f"{ACCEPTED_LABEL}, at most {settings.REFERRAL_LETTER_MAX_MB} MB."
        self.fields["letter_file"].widget.attrs["accept"] = ACCEPT_ATTRIBUTE
        self.fields["commissioner"].queryset = self.fields["commissioner"].queryset.filter(is_active=True)
        self.fields["insurer"].queryset = self.fields["insurer"].queryset.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        if self.require_letter and not cleaned.get("letter_text") and not cleaned.get("letter_file"):
            self.add_error("letter_text", "Paste the referral letter or upload it.")
        if self.patient_form is not None:
            patient_data = getattr(self.patient_form, "cleaned_data", {})
            for name in self.REFERRER_FIELDS:
                setattr(self.instance, name, patient_data.get(name, ""))
        return cleaned

    def _update_errors(self, errors):
        if self.patient_form is not None and hasattr(errors, "error_dict"):
            for name in self.REFERRER_FIELDS:
                if name in errors.error_dict:
                    self.patient_form.add_error(name, errors.error_dict.pop(name))
            if not errors.error_dict:
                return
        super()._update_errors(errors)


SELECT = {"class": "form-select"}


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(name, name) for name in ACTIONS], widget=forms.HiddenInput)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class WaitingListFilterForm(forms.Form):
    condition = forms.ChoiceField(
        choices=[("", "All conditions"), *Condition.choices],
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    funding_route = forms.ChoiceField(
        choices=[("", "All funding"), *FundingRoute.choices],
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    status = forms.ChoiceField(
        choices=[(WAITING, "Waiting (not yet treated)"), *ReferralStatus.choices, ("all", "All statuses")],
        required=False,
        widget=forms.Select(attrs=SELECT),
    )


class EligibilityForm(forms.Form):
    """A specialist's assessment for one protocol family: the checklist comes from the family."""

    assessed_on = bounds.DateField(widget=DateInput(), input_formats=DATE_FORMATS, initial=timezone.localdate)
    contraindications = forms.MultipleChoiceField(
        label="Contraindications present",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick each one the patient has. Leave all unticked when none applies.",
    )
    weight_kg = weight_field(help_text="Recorded as a dated weight too.")
    height_cm = height_field()
    egfr = forms.IntegerField(
        label="eGFR (mL/min/1.73m²)",
        min_value=0,
        max_value=200,
        required=False,
        error_messages=range_messages("an eGFR", 0, 200, "mL/min/1.73m²"),
    )
    corrected_calcium = forms.DecimalField(
        label="Corrected calcium (mmol/L)",
        min_value=Decimal("1.00"),
        max_value=Decimal("4.00"),
        decimal_places=2,
        max_digits=3,
        required=False,
        error_messages=range_messages("a corrected calcium", "1.00", "4.00", "mmol/L"),
    )
    ecg_result = forms.ChoiceField(label="ECG", choices=EcgResult.choices, initial=EcgResult.NOT_DONE)
    qtc_ms = forms.IntegerField(
        label="QTc (ms)",
        min_value=300,
        max_value=700,
        required=False,
        error_messages=range_messages("a QTc", 300, 700, "ms"),
    )
    pregnancy = forms.ChoiceField(choices=Pregnancy.choices, initial=Pregnancy.NOT_APPLICABLE)
    decision = forms.ChoiceField(choices=EligibilityDecision.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(
        label="Reasons / justification",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when declined, and when eligible despite a ticked contraindication.",
    )

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        self.checklist = contraindication_checklist(family)
        self.fields["contraindications"].choices = [(item, item) for item in self.checklist]
        if not self.checklist:
            del self.fields["contraindications"]
        if not pregnancy_is_relevant(family):
            del self.fields["pregnancy"]

    def checklist_answers(self) -> dict:
        ticked = set(self.cleaned_data.get("contraindications") or [])
        return {item: item in ticked for item in self.checklist}


class VersionChoiceField(bounds.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.protocol.family.name}: {obj.name} (v{obj.version})"


class PrescribeForm(forms.Form):
    protocol_version = VersionChoiceField(
        queryset=current_versions(), label="Protocol", empty_label="Choose a protocol"
    )
    override_dose = forms.DecimalField(
        label="Dose",
        required=False,
        max_digits=8,
        decimal_places=3,
        min_value=0.001,
        help_text="In the protocol's unit (mg/kg, mg/kg/h or mg). Leave empty for the protocol's default dose.",
    )
    reason = forms.CharField(
        label="Reason for a dose over the soft limit",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the dose is over the soft limit.",
    )
    referral = bounds.ModelChoiceField(queryset=None, required=False, label="Referral")

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol_version"].queryset = current_versions()
        referrals = patient.referrals.order_by("-received_on", "-id")
        self.fields["referral"].queryset = referrals
        self.fields["referral"].label_from_instance = lambda r: (
            f"{r.get_condition_display()}, received {uk_date(r.received_on)}"
        )

from django import forms

from infusion_clinic import bounds
from infusion_clinic.dates import uk_date

from .models import ProtocolVersion
from .selectors import current_versions
from .services import EDITABLE_FIELDS


class ProtocolVersionForm(forms.ModelForm):
    """A new version of a protocol, prefilled from the version it replaces.

    The rules (soft <= hard, fixed hard <= absolute maximum, durations and volumes above zero, the
    maximum rate) live in ProtocolVersion.clean() and its validators, so the form, the service and
    the admin share them; errors land next to their fields.
    """

    class Meta:
        formfield_callback = bounds.formfield
        model = ProtocolVersion
        fields = EDITABLE_FIELDS
        widgets = {
            "monitoring": forms.Textarea(attrs={"rows": 2}),
            "contraindications": forms.Textarea(attrs={"rows": 2}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "default_dose": "In the unit of the dose basis: mg/kg, mg/kg/h or mg (grams as mg: 2 g = 2000).",
            "soft_limit": "Above this a prescriber must record a reason.",
            "hard_limit": "Above this a dose is refused.",
            "absolute_max_mg": "Weight-based doses are capped here; a fixed dose above it is refused.",
        }


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

from django import forms

from infusion_clinic import bounds

from .models import ProtocolVersion
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

from django import forms

from .subject_access import REASON_LENGTH


class SubjectAccessForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E.g. the patient's subject access request of 20 Nov 2026 (reference SAR-123). Kept in the access audit.",
        error_messages={"required": "Give the reason for the export: it is kept in the access audit."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for the export: it is kept in the access audit.")
        return reason

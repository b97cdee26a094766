from django import forms


class IssueTokenForm(forms.Form):
    name = forms.CharField(
        label="What it is for",
        max_length=100,
        help_text="e.g. “EPR integration”: shown in the list and on the account's recent changes.",
        error_messages={"required": "Say what the token is for."},
    )
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=3660,
        initial=365,
        error_messages={"min_value": "From 1 day to 10 years.", "max_value": "From 1 day to 10 years."},
    )

"""The escalation entry form: the alert it answers, who was informed, when, the action and the outcome."""

from django import forms

from infusion_clinic.dates import uk_time

from .forms import TimeOfDayField
from .models import Escalation, EscalationAction


def alert_label(v) -> str:
    level = "urgent" if v.alert_level >= 2 else "alert"
    reds = f", scoring 3: {', '.join(v.red_parameters)}" if v.red_parameters else ""
    poss = f", POSS {v.sedation}" if v.sedation_unacceptable else ""
    return f"{uk_time(v.observed_at)} · NEWS2 {v.news2_total} ({level}{reds}{poss})"


class EscalationForm(forms.Form):
    vital_signs = forms.ModelChoiceField(
        queryset=None,
        label="Alert",
        empty_label=None,
        error_messages={"required": "Choose the alert this escalation answers."},
    )
    informed = forms.CharField(
        label="Who was informed",
        max_length=Escalation._meta.get_field("informed").max_length,
        help_text="Name and role, e.g. 'Dr Priya Shah, pain specialist'.",
        error_messages={"required": "Say who was informed (name and role)."},
    )
    informed_at = TimeOfDayField(label="Informed at")
    action = forms.ChoiceField(
        label="Action",
        choices=EscalationAction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the action taken."},
    )
    outcome = forms.CharField(
        label="Outcome",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened next, e.g. 'Reviewed at the chair; rate halved; NEWS2 2 at 10:40'.",
        error_messages={"required": "Record the outcome."},
    )

    def __init__(self, *args, alerts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vital_signs"].queryset = alerts
        self.fields["vital_signs"].label_from_instance = alert_label

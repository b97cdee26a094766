"""Forms of the session record. Times are entered as HH:MM on the session's day (UK time)."""

from django import forms

from infusion_clinic import bounds
from infusion_clinic.dates import uk_time

from .models import (
    ACVPU,
    EVENT_FIELDS,
    POSS,
    RATE_CHANGE_FIELDS,
    RATE_KINDS,
    VITAL_FIELDS,
    AdverseEvent,
    AdverseEventAction,
    AdverseEventType,
    RateChange,
    Severity,
    VitalSigns,
)
from .times import INVALID_TIME, TIME_INPUT_FORMATS, now_hhmm


class TimeOfDayField(forms.TimeField):
    """A 24-hour HH:MM text box: browsers draw <input type=time> in their own locale (04:47 PM)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", now_hhmm)
        kwargs.setdefault("input_formats", list(TIME_INPUT_FORMATS))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "placeholder": "HH:MM",
                    "pattern": "[0-2]?[0-9][:.]?[0-5][0-9]",
                    "autocomplete": "off",
                    "size": 5,
                }
            ),
        )
        kwargs.setdefault("error_messages", {"invalid": INVALID_TIME})
        super().__init__(*args, **kwargs)


class VitalSignsForm(forms.ModelForm):
    """One row of observations; the time defaults to now, so the nurse starts at systolic."""

    observed_at = TimeOfDayField(label="Time")

    class Meta:
        formfield_callback = bounds.formfield
        model = VitalSigns
        fields = VITAL_FIELDS
        labels = {
            "systolic": "Systolic",
            "diastolic": "Diastolic",
            "heart_rate": "HR",
            "respiratory_rate": "RR",
            "spo2": "SpO2 %",
            "on_oxygen": "On O2",
            "temperature": "Temp °C",
            "acvpu": "ACVPU",
            "sedation": "POSS",
            "pain": "Pain",
        }
        widgets = {
            "temperature": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        }

    field_order = [*VITAL_FIELDS, "observed_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("systolic", "diastolic", "heart_rate", "respiratory_rate", "spo2", "pain"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})
        self.fields["systolic"].widget.attrs["data-first-field"] = "true"
        self.fields["sedation"].help_text = ""
        self.fields["pain"].help_text = ""
        # Short codes keep the row on one line; the legend under the row spells them out.
        self.fields["acvpu"].choices = [(v, v) for v in ACVPU.values]
        self.fields["sedation"].choices = [(v, v) for v in POSS.values]
        self.fields["acvpu"].widget.attrs["title"] = ", ".join(f"{v} {label}" for v, label in ACVPU.choices)
        self.fields["sedation"].widget.attrs["title"] = "; ".join(label for _, label in POSS.choices)

    def service_values(self):
        return {name: self.cleaned_data[name] for name in VITAL_FIELDS}


class StartInfusionForm(forms.Form):
    prefix = "start"  # several forms share one page: keep their ids apart
    dose = forms.DecimalField(
        label="Dose",
        required=False,
        min_value=0,
        decimal_places=3,
        help_text="Leave as calculated unless the specialist prescribed another dose.",
    )
    soft_limit_reason = forms.CharField(
        label="Reason for a dose above the soft limit (only then)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    started_at = TimeOfDayField(label="Started at")

    def __init__(self, *args, unit="", default_dose=None, **kwargs):
        super().__init__(*args, **kwargs)
        if unit:
            self.fields["dose"].label = f"Dose ({unit})"
        if default_dose is not None:
            self.fields["dose"].initial = format(default_dose.normalize(), "f")  # 5, not 5.000


SOFT_LIMIT_REASON_LABEL = "Reason for a rate above the soft limit (only when asked)"


def _pump_help(limits) -> str:
    """The pump's limits next to the rate box, from the same rule that judges the rate."""
    if limits is None:
        return ""
    planned = format(limits.planned_ml_per_h.normalize(), "f")
    soft = format(limits.soft_ml_per_h.normalize(), "f")
    hard = format(limits.hard_ml_per_h.normalize(), "f")
    text = f"Planned {planned} mL/h. Never above {hard} mL/h ({limits.hard_limit.label})"
    if limits.soft_ml_per_h < limits.hard_ml_per_h:
        text += f"; above {soft} mL/h a reason is needed"
    return text + "."


class PumpRateForm(forms.Form):
    """A rate for the pump, shown with its limits; the service judges it (protocols.dosing)."""

    def __init__(self, *args, limits=None, **kwargs):
        super().__init__(*args, **kwargs)
        help_text = _pump_help(limits)
        if help_text:
            existing = self.fields["rate_ml_per_h"].help_text
            self.fields["rate_ml_per_h"].help_text = f"{existing} {help_text}".strip()
        self.fields["rate_ml_per_h"].widget.attrs.update({"inputmode": "decimal", "step": "0.1"})


class RateChangeForm(PumpRateForm):
    prefix = "rate"  # several forms share one page: keep their ids apart
    rate_ml_per_h = forms.DecimalField(label="New rate (mL/h)", min_value=0, decimal_places=1, max_digits=7)
    reason = forms.CharField(max_length=200)
    soft_limit_reason = forms.CharField(label=SOFT_LIMIT_REASON_LABEL, max_length=200, required=False)
    changed_at = TimeOfDayField(label="Time")


class PauseForm(forms.Form):
    prefix = "pause"  # several forms share one page: keep their ids apart
    reason = forms.CharField(max_length=200)
    changed_at = TimeOfDayField(label="Time")


class ResumeForm(PumpRateForm):
    prefix = "resume"  # several forms share one page: keep their ids apart
    rate_ml_per_h = forms.DecimalField(
        label="Rate (mL/h)",
        min_value=0,
        decimal_places=1,
        max_digits=7,
        required=False,
        help_text="Leave empty to resume at the rate before the pause.",
    )
    reason = forms.CharField(max_length=200, required=False)
    soft_limit_reason = forms.CharField(label=SOFT_LIMIT_REASON_LABEL, max_length=200, required=False)
    changed_at = TimeOfDayField(label="Time")


class StopForm(forms.Form):
    prefix = "stop"  # several forms share one page: keep their ids apart
    reason = forms.CharField(
        max_length=200,
        initial="Infusion complete",
        help_text="Before the bag has run, say why it was stopped early (not 'complete').",
    )
    pump_volume_ml = forms.DecimalField(
        label="Volume infused on the pump (mL)",
        required=False,
        min_value=0,
        decimal_places=1,
        max_digits=7,
        help_text="Optional: as the pump shows it. A difference of more than 10% from the record is flagged.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    changed_at = TimeOfDayField(label="Time")


class AdverseEventForm(forms.ModelForm):
    prefix = "event"  # several forms share one page: keep their ids apart
    occurred_at = TimeOfDayField(label="Time")

    class Meta:
        formfield_callback = bounds.formfield
        model = AdverseEvent
        fields = ["event_type", "other_text", "severity", "action_taken", "notes"]
        widgets = {
            "event_type": forms.Select(choices=[("", "Choose the event")] + AdverseEventType.choices),
            "severity": forms.Select(choices=[("", "Choose")] + Severity.choices),
            "action_taken": forms.Select(choices=[("", "Choose")] + AdverseEventAction.choices),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    field_order = ["occurred_at", "event_type", "other_text", "severity", "action_taken", "notes"]


class CompleteForm(forms.Form):
    prefix = "complete"  # several forms share one page: keep their ids apart
    note = forms.CharField(label="Completion note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignOffForm(forms.Form):
    prefix = "signoff"  # several forms share one page: keep their ids apart
    note = forms.CharField(label="Sign-off note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


AMENDABLE_FIELDS = [(name, str(VitalSigns._meta.get_field(name).verbose_name)) for name in VITAL_FIELDS]


class AmendmentForm(forms.Form):
    prefix = "amend"  # several forms share one page: keep their ids apart
    vital_signs = bounds.ModelChoiceField(queryset=VitalSigns.objects.none(), label="Observation")
    field = forms.ChoiceField(choices=[("", "Choose the value")] + AMENDABLE_FIELDS, label="Value to correct")
    value = forms.CharField(
        label="Corrected value", max_length=100, help_text="For 'on oxygen' enter yes or no."
    )
    reason = forms.CharField(
        label="Reason for the amendment", widget=forms.Textarea(attrs={"rows": 2}), required=True
    )

    def __init__(self, *args, vitals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vital_signs"].queryset = VitalSigns.objects.filter(pk__in=[v.pk for v in vitals])
        self.fields["vital_signs"].choices = [("", "Choose the observation")] + [
            (
                v.pk,
                f"{uk_time(v.observed_at)} - BP {v.systolic}/{v.diastolic}, HR {v.heart_rate}, NEWS2 {v.news2_total}",
            )
            for v in vitals
        ]

    def clean_value(self):
        value = self.cleaned_data["value"].strip()
        lowered = value.lower()
        if self.cleaned_data.get("field") == "on_oxygen" and lowered in ("yes", "no", "y", "n"):
            return "true" if lowered.startswith("y") else "false"
        return value


class AdverseEventAmendmentForm(forms.Form):
    prefix = "amendevent"  # several forms share one page: keep their ids apart

    adverse_event = bounds.ModelChoiceField(queryset=AdverseEvent.objects.none(), label="Adverse event")
    field = forms.ChoiceField(
        choices=[("", "Choose the value")]
        + [
            (name, str(AdverseEvent._meta.get_field(name).verbose_name).capitalize()) for name in EVENT_FIELDS
        ],
        label="Value to correct",
    )
    value = forms.CharField(
        label="Corrected value",
        help_text="For the event, severity and action use the code shown in brackets, e.g. nausea, severe, paused.",
    )
    reason = forms.CharField(label="Reason for the amendment", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adverse_event"].queryset = AdverseEvent.objects.filter(pk__in=[e.pk for e in events])
        self.fields["adverse_event"].choices = [("", "Choose the event")] + [
            (
                e.pk,
                f"{uk_time(e.occurred_at)} - {e.label} ({e.get_severity_display().lower()})",
            )
            for e in events
        ]
        codes = "; ".join(
            f"{label.lower()} ({value})"
            for value, label in (*AdverseEventType.choices, *Severity.choices, *AdverseEventAction.choices)
        )
        self.fields["value"].help_text = f"Codes: {codes}."

    def clean_value(self):
        return self.cleaned_data["value"].strip()


RATE_CHANGE_FIELD_LABELS = {
    "changed_at": "Time (HH:MM)",
    "rate_ml_per_h": "Rate (mL/h)",
    "reason": "Reason charted with the change",
}


def rate_change_label(change):
    rate = f" at {format(change.rate_ml_per_h.normalize(), 'f')} mL/h" if change.kind in RATE_KINDS else ""
    reason = f": {change.reason}" if change.reason else ""
    return f"{uk_time(change.changed_at)} - {change.get_kind_display()}{rate}{reason}"


class RateChangeAmendmentForm(forms.Form):
    prefix = "amendrate"  # several forms share one page: keep their ids apart

    rate_change = bounds.ModelChoiceField(queryset=RateChange.objects.none(), label="Rate change")
    field = forms.ChoiceField(
        choices=[("", "Choose the value")]
        + [(name, RATE_CHANGE_FIELD_LABELS[name]) for name in RATE_CHANGE_FIELDS],
        label="Value to correct",
    )
    value = forms.CharField(
        label="Corrected value",
        max_length=200,
        help_text="A time as HH:MM (24-hour) on the session's day, a rate in mL/h (start, rate change or "
        "resume only), or the reason charted with the change.",
    )
    reason = forms.CharField(label="Reason for the amendment", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, rate_changes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate_change"].queryset = RateChange.objects.filter(pk__in=[c.pk for c in rate_changes])
        self.fields["rate_change"].choices = [("", "Choose the rate change")] + [
            (c.pk, rate_change_label(c)) for c in rate_changes
        ]

    def clean_value(self):
        return self.cleaned_data["value"].strip()


class AddendumForm(forms.Form):
    prefix = "addendum"  # several forms share one page: keep their ids apart
    text = forms.CharField(
        label="Addendum",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A note added after completion, e.g. a phone call the next day. It changes no charted value.",
    )

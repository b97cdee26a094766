from datetime import timedelta

from django import forms
from django.utils import timezone

from infusion_clinic import bounds

from .models import (
    PAIN_VALIDATORS,
    ActivityLevel,
    PainDiaryEntry,
    Pgic,
    ReviewDecision,
    SleepQuality,
)

PAIN_CHOICES = [(n, str(n)) for n in range(11)]
PAIN_ERRORS = {
    "required": "Choose a number from 0 (no pain) to 10 (worst pain imaginable).",
    "invalid": "Pain is scored with a whole number from 0 to 10.",
    "min_value": "Pain is scored 0 to 10.",
    "max_value": "Pain is scored 0 to 10.",
}


def pain_field(label):
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=10,
        validators=PAIN_VALIDATORS,
        error_messages=PAIN_ERRORS,
        widget=forms.RadioSelect(choices=PAIN_CHOICES),
    )


class PainDiaryForm(forms.ModelForm):
    """The patient's form (no login): big touch targets, plain words."""

    pain_now = pain_field("How bad is your pain right now?")
    pain_average = pain_field("On average, how bad was your pain in the last 24 hours?")
    pain_worst = pain_field("At its worst, how bad was your pain in the last 24 hours?")

    class Meta:
        formfield_callback = bounds.formfield
        model = PainDiaryEntry
        fields = [
            "pain_now",
            "pain_average",
            "pain_worst",
            "sleep",
            "activity",
            "rescue_medication",
            "rescue_medication_detail",
            "notes",
        ]
        widgets = {
            "sleep": forms.RadioSelect,
            "activity": forms.RadioSelect,
            "notes": forms.Textarea(
                attrs={"rows": 3, "placeholder": "Anything you would like the clinic to know"}
            ),
        }
        labels = {
            "sleep": "How did you sleep last night?",
            "activity": "What could you do today?",
            "rescue_medication": "I took extra (rescue) pain medication in the last 24 hours",
            "rescue_medication_detail": "Which medication, and how much? (optional)",
            "notes": "Anything else? (optional)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Radio buttons need no empty "---------" choice.
        self.fields["sleep"].choices = SleepQuality.choices
        self.fields["activity"].choices = ActivityLevel.choices


class StaffDiaryEntryForm(PainDiaryForm):
    recorded_at = bounds.DateTimeField(
        label="Date and time of the scores",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When the patient's scores apply (UK time), e.g. a phone call this morning.",
    )

    class Meta(PainDiaryForm.Meta):
        fields = ["recorded_at", *PainDiaryForm.Meta.fields]
        labels = {
            **PainDiaryForm.Meta.labels,
            "notes": "Notes (what the patient said)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pain_now"].label = "Pain now (0-10)"
        self.fields["pain_average"].label = "Average pain, last 24 h (0-10)"
        self.fields["pain_worst"].label = "Worst pain, last 24 h (0-10)"
        if not self.is_bound:
            self.initial.setdefault("recorded_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_recorded_at(self):
        value = self.cleaned_data["recorded_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError("A diary entry cannot be in the future.")
        return value


class DiaryReviewForm(forms.Form):
    comment = forms.CharField(
        label="Review comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with your name and the time on each entry you reviewed.",
        error_messages={"required": "Write a short comment: it goes on the patient's record."},
    )
    entry = forms.TypedMultipleChoiceField(coerce=int, widget=forms.MultipleHiddenInput, choices=())

    def __init__(self, *args, entry_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [(pk, pk) for pk in entry_ids]
        self.fields["entry"].error_messages["invalid_choice"] = (
            "The entries changed while you were reading; reload the page and review again."
        )


class OutcomeReviewForm(forms.Form):
    current_pain = forms.IntegerField(
        label="Average pain over the last week (0-10)", min_value=0, max_value=10, error_messages=PAIN_ERRORS
    )
    pgic = forms.TypedChoiceField(
        label="Patient's global impression of change since the course",
        choices=Pgic.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    assessment_baseline = forms.DecimalField(
        label="Baseline pain from the assessment (0-10)",
        required=False,
        min_value=0,
        max_value=10,
        max_digits=4,
        decimal_places=2,
        help_text="Only when there is no diary in the week before the course. Leave empty if none was recorded.",
    )
    decision = forms.ChoiceField(choices=ReviewDecision.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        label="Notes for the GP letter", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, has_diary_baseline=False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_diary_baseline:
            del self.fields["assessment_baseline"]

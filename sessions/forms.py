from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from infusion_clinic import bounds
from infusion_clinic.forms import DateInput, TimeInput
from patients.models import Patient, Referral
from patients.picker import PatientField
from protocols.models import ProtocolVersion

from .models import Chair, Closure, Location, NurseShift, OpeningHours
from .slots import Preference

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


def _versions():
    return ProtocolVersion.objects.filter(is_current=True, protocol__is_active=True).select_related(
        "protocol__family"
    )


def _chairs():
    return Chair.objects.filter(is_active=True, location__is_active=True).select_related("location")


class ChairChoiceField(bounds.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.location} · {obj.name}"


class VersionChoiceField(bounds.ModelChoiceField):
    def label_from_instance(self, obj):
        course = f" · course of {obj.course_sessions}" if obj.course_sessions > 1 else ""
        return f"{obj.name}{course} · {obj.chair_minutes} min in chair"


def _chosen_patient(form):
    """The patient the form holds: its data's when bound, else its initial's (a Patient or an id)."""
    return form.data.get("patient") if form.is_bound else form.initial.get("patient")


def _limit_referrals(form) -> None:
    """Offer (and accept) the chosen patient's referrals only; none before a patient is chosen."""
    patient_id = _chosen_patient(form)
    if isinstance(patient_id, Patient):
        patient_id = patient_id.pk
    patient_id = bounds.parse_id(patient_id)
    referrals = Referral.objects.select_related("patient")
    form.fields["referral"].queryset = (
        referrals.filter(patient_id=patient_id) if patient_id else referrals.none()
    )


def _check_referral_patient(form, cleaned) -> None:
    referral, patient = cleaned.get("referral"), cleaned.get("patient")
    if referral and patient and referral.patient_id != patient.pk:
        form.add_error("referral", "This referral belongs to another patient.")


class _BookingChoices:
    """The choices the slot search and the booking form share: current versions, active chairs, the
    patient picker (the chosen patient, or the matches of `patient_query`, a search run without
    JavaScript; never every patient) and the chosen patient's referrals (a referral of another patient
    is refused). `lookup_form`: the id of the GET form the picker's search belongs to, when the form
    itself is posted."""

    picker = ""  # which form's picker asked for a search (the Search button's `patient_lookup` value)

    def __init__(self, *args, patient_query: str = "", lookup_form: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["protocol_version"].queryset = _versions()
        self.fields["chair"].queryset = _chairs()
        patient = self.fields["patient"]
        patient.offer(chosen=_chosen_patient(self), query=patient_query)
        if patient_query and not self.is_bound:
            self.initial["patient"] = patient.widget.chosen  # the one match of a search, or nobody
        patient.widget.lookup_form = lookup_form
        patient.widget.lookup_value = self.picker
        patient.widget.refresh_url = f"{reverse('infusion_sessions:book_referrals')}?form={self.picker}"
        patient.widget.refresh_target = f"#div_{self.auto_id % 'referral'}"
        _limit_referrals(self)

    def clean(self):
        cleaned = super().clean()
        _check_referral_patient(self, cleaned)
        return cleaned


class SlotSearchForm(_BookingChoices, forms.Form):
    picker = "search"
    patient = PatientField()
    protocol_version = VersionChoiceField(queryset=_versions(), label="Protocol")
    earliest = bounds.DateField(label="Earliest date", widget=DateInput())
    preference = forms.ChoiceField(choices=Preference.choices, initial=Preference.ANY, label="Time of day")
    chair = ChairChoiceField(queryset=_chairs(), required=False, empty_label="Any chair")
    referral = bounds.ModelChoiceField(
        queryset=Referral.objects.none(),
        required=False,
        empty_label="The accepted referral",
        help_text="Choose one only when the patient has several accepted referrals.",
    )

    def clean_earliest(self):
        earliest = self.cleaned_data["earliest"]
        if earliest < timezone.localdate():
            raise ValidationError("The earliest date cannot be in the past.")
        return earliest


class BookingForm(_BookingChoices, forms.Form):
    """Book a session, or the whole course for protocols with a course template, at a chosen slot."""

    picker = "book"
    patient = PatientField()
    protocol_version = VersionChoiceField(queryset=_versions(), label="Protocol")
    referral = bounds.ModelChoiceField(
        queryset=Referral.objects.none(),
        required=False,
        help_text="Leave empty to book against the patient's accepted referral; choose one when there are several.",
    )
    chair = ChairChoiceField(queryset=_chairs())
    start = bounds.DateTimeField(
        label="First session starts",
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "book_%s")  # the slot search form on the same page uses id_*
        super().__init__(*args, **kwargs)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"placeholder": "e.g. patient unwell"})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)


class MoveForm(forms.Form):
    chair = ChairChoiceField(queryset=_chairs())
    start = bounds.DateTimeField(
        label="New start",
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    reason = forms.CharField(max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = _chairs()


# --- clinic set-up (clinic admin) -----------------------------------------------------------


def _in_order(form, cleaned, first, last, message, *, same_ok=False):
    """`last` after `first` (or the same day, when `same_ok`), else `message` next to `last`."""
    start, end = cleaned.get(first), cleaned.get(last)
    if start and end and (end < start or (end == start and not same_ok)):
        form.add_error(last, message)
    return cleaned


class LocationForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = Location
        fields = ["name", "address", "is_active"]


class ChairForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = Chair
        fields = ["location", "name", "display_order", "is_active"]


class OpeningHoursForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = OpeningHours
        fields = ["location", "weekday", "opens", "closes"]
        widgets = {"opens": TimeInput(), "closes": TimeInput()}

    def clean(self):
        return _in_order(self, super().clean(), "opens", "closes", "Closing time must be after opening time.")


class ClosureForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = Closure
        fields = ["location", "starts_on", "ends_on", "reason"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        return _in_order(
            self,
            super().clean(),
            "starts_on",
            "ends_on",
            "The last closed day cannot be before the first.",
            same_ok=True,
        )


class NurseShiftForm(forms.ModelForm):
    class Meta:
        formfield_callback = bounds.formfield
        model = NurseShift
        fields = ["location", "date", "starts", "ends", "nurses"]
        widgets = {"date": DateInput(), "starts": TimeInput(), "ends": TimeInput()}

    def clean(self):
        return _in_order(self, super().clean(), "starts", "ends", "The shift must end after it starts.")


class RotaWeekForm(forms.Form):
    """Fill a week's rota in one go: two bands (morning, afternoon) on every open day."""

    location = bounds.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    week_starting = bounds.DateField(
        widget=DateInput(), help_text="Any date in the week; the Monday is used."
    )
    band_split = forms.TimeField(
        initial="13:00", widget=TimeInput(), help_text="Morning ends and afternoon starts"
    )
    morning_nurses = forms.IntegerField(min_value=0, max_value=20, initial=2)
    afternoon_nurses = forms.IntegerField(min_value=0, max_value=20, initial=2)

    def clean_week_starting(self):
        day = self.cleaned_data["week_starting"]
        return day - timedelta(days=day.weekday())

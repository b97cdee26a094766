from datetime import timedelta

from django import forms
from django.utils import timezone

from infusion_clinic import bounds


class DateRangeForm(forms.Form):
    """A report period: defaults to the last four weeks; at most a year. The page draws the date
    inputs itself (reports/report.html)."""

    start = bounds.DateField(required=False, label="From")
    end = bounds.DateField(required=False, label="To")

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=27)
        if start > end:
            raise forms.ValidationError({"start": "The start must be on or before the end."})
        if (end - start).days > 366:
            raise forms.ValidationError({"start": "Choose a period of at most a year."})
        data["start"], data["end"] = start, end
        return data

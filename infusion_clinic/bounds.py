"""The dates and ids the clinic accepts from a request, in one place.

Python's dates run from year 1 to 9999 and PostgreSQL's ids are 64-bit, but a day board for 9999-12-31
cannot show "next day", and an id beyond 64 bits cannot be looked up. Every form field and
query-string parser that reads a date or an id from a request goes through here, so an out-of-range
value becomes a message next to the field (or a 400), never an OverflowError.
"""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

EARLIEST_DATE = date(1900, 1, 1)  # before any living patient's date of birth
LATEST_DATE = date(2199, 12, 31)  # far past any booking, report or price list
MAX_ID = 2**63 - 1  # PostgreSQL bigint, Django's BigAutoField
DATE_RANGE_MESSAGE = f"Enter a date between {EARLIEST_DATE:%d/%m/%Y} and {LATEST_DATE:%d/%m/%Y}."
MONTH_RANGE_MESSAGE = f"Choose a month between {EARLIEST_DATE:%Y-%m} and {LATEST_DATE:%Y-%m}."
_ID = re.compile(r"[0-9]{1,19}")


def check_date(value: date) -> date:
    """Return the date when it lies in the sane range; raise ValidationError otherwise."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE, code="date_out_of_range")
    return value


def parse_date(value: str | None) -> date | None:
    """A query-string date (YYYY-MM-DD): None when absent; ValidationError when not a date or out of range."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationError(DATE_RANGE_MESSAGE, code="invalid_date") from exc
    return check_date(day)


def parse_id(value) -> int | None:
    """A query-string id: a positive 64-bit integer, or None for anything else."""
    value = str(value).strip() if value is not None else ""
    if not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


class DateField(forms.DateField):
    """forms.DateField limited to EARLIEST_DATE..LATEST_DATE."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else check_date(value)


class DateTimeField(forms.DateTimeField):
    """forms.DateTimeField whose local date lies in EARLIEST_DATE..LATEST_DATE."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            check_date(timezone.localtime(value).date() if timezone.is_aware(value) else value.date())
        return value


class ModelChoiceField(forms.ModelChoiceField):
    """forms.ModelChoiceField that refuses an id beyond 64 bits before it reaches the database."""

    def to_python(self, value):
        if value not in self.empty_values and self.to_field_name is None and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def formfield(db_field, **kwargs):
    """A ModelForm's `Meta.formfield_callback`: model dates, datetimes and foreign keys get the bounded fields."""
    if isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("form_class", DateTimeField)
    elif isinstance(db_field, models.DateField):
        kwargs.setdefault("form_class", DateField)
    elif isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", ModelChoiceField)
    return db_field.formfield(**kwargs)

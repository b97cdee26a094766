"""How a service's refusal reaches the person: next to the form's fields, or as a message after a button.

Services raise `ValidationError` keyed by field (STYLE.md); a view calls them inside one of these blocks.
Nothing after the refused call in the block runs, so the view goes on to show the form (or redirect)
with the message, and nothing was saved.
"""

from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError) -> None:
    """Put a service's field-keyed messages next to the form's fields. Messages keyed by a field the
    form does not have, non-field messages and unkeyed errors go on top of the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@contextmanager
def service_errors_on(form):
    """`with service_errors_on(form): call the service, say so, redirect`. A refusal lands on the form."""
    try:
        yield
    except ValidationError as error:
        add_service_errors(form, error)


@contextmanager
def service_errors_as_message(request):
    """For a button without a form: a refusal becomes one error message (all its messages)."""
    try:
        yield
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))


class DateInput(forms.DateInput):
    """A browser date picker; the value in ISO form, which is what the picker reads."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)

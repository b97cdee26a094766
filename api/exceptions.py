"""Every refusal as JSON: `{"field": ["message"]}` for bad input (400), `{"detail": "..."}` otherwise.

The services raise Django's ValidationError keyed by field (docs/architecture.md); here it becomes the
same 400 body a serializer's refusal gives. A message not tied to a field (Django's `__all__`) is under
`non_field_errors`."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


def validation_error_body(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if field in (NON_FIELD_ERRORS, None) else field): list(messages)
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: list(error.messages)}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.ValidationError)
        and not isinstance(response.data, dict)
    ):
        response.data = {NON_FIELD: response.data}
    return response

"""What Django's shortcuts leave out: a selector's row or 404."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404


def get_or_404(selector, *args, message="Not found.", **kwargs):
    """`selector(*args, **kwargs)`, or 404 with `message` when it finds no row (Model.DoesNotExist)."""
    try:
        return selector(*args, **kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404(message) from exc

"""Request guards that apply to every view."""

from django.core.exceptions import SuspiciousOperation


class RejectNullCharactersMiddleware:
    """A NUL character in a query string or form field is never meant: PostgreSQL cannot store or
    compare it, so a search for it would fail deep in a query. Answer 400 before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            raise SuspiciousOperation("A NUL character in the request")
        return self.get_response(request)


def _has_nul(query_dict):
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in query_dict.lists()
    )

"""Request guards that apply to every view."""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.utils.cache import add_never_cache_headers


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


class NoStoreForPatientDataMiddleware:
    """Every page a signed-in member of staff sees, and every page of a patient's diary link, may show
    patient data: tell browsers and proxies to keep no copy (`Cache-Control: no-store`, and `Pragma` for
    HTTP/1.0 caches), so that Back after sign-out or a shared computer's cache shows nothing. Static files
    (served before this by WhiteNoise, or by the dev server) stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return response
        if request.user.is_authenticated or _is_diary_link(request):
            if "no-store" not in response.get("Cache-Control", ""):  # else the view has said it already
                add_never_cache_headers(response)
            response.headers.setdefault("Pragma", "no-cache")
        return response


def _is_diary_link(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name == DIARY_LINK_VIEW


DIARY_LINK_VIEW = "followup:diary_public"

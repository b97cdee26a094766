"""Hold a signed-in user whose role needs a second factor until their session is verified."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from . import services

REFUSAL = "Two-factor sign-in is needed: enter a code from your authenticator app first."


def second_factor_pending_allowed(view):
    """Mark a view that a user may open between their password and their second factor (the set-up
    and code pages, sign out)."""
    view.second_factor_pending_allowed = True
    return view


def _wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.endswith(".json") or ("json" in accept and "html" not in accept)


class SecondFactorRequiredMiddleware:
    """After LoginRequiredMiddleware and django-otp's OTPMiddleware. Public views (marked
    login_not_required: sign-in, password reset, /healthz, the favicon, the patient's diary link) stay
    public; any other page sends an unverified user to the set-up or code page and back afterwards.
    An htmx or JSON request gets 403 instead of a redirect it could not follow (htmx also gets
    HX-Redirect, so the page goes to the code page as a whole)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        if getattr(view_func, "second_factor_pending_allowed", False):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified() or not services.required_for(user):
            return None
        target = reverse("mfa:verify" if services.has_authenticator(user) else "mfa:enrol")
        htmx = request.headers.get("HX-Request") == "true"
        if request.method == "GET" and not htmx:
            target += "?" + urlencode({"next": request.get_full_path()})
        if htmx:
            response = JsonResponse({"detail": REFUSAL}, status=403)
            response["HX-Redirect"] = target
            return response
        if _wants_json(request):
            return JsonResponse({"detail": REFUSAL}, status=403)
        return HttpResponseRedirect(target)

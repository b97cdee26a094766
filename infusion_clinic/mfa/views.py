"""The pages between the password and the clinic: set up an authenticator, enter a code, see the
recovery codes once. Thin: the rules are in services.py."""

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from . import services
from .forms import CodeForm, EnrolForm
from .middleware import second_factor_pending_allowed

SESSION_CODES = "mfa_new_recovery_codes"


def _next_url(request) -> str:
    """Where to go afterwards: the page asked for, if it is one of ours, else the dashboard."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return resolve_url(name) + "?" + urlencode({"next": next_url})


def _add_errors(form, error: ValidationError):
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class LoginView(auth_views.LoginView):
    """Django's sign-in page (the password step), which says so when a demo runs without the second."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        demo = settings.DEBUG and not settings.MFA_REQUIRED_ROLES
        return {**super().get_context_data(**kwargs), "demo_without_mfa": demo}


@second_factor_pending_allowed
@never_cache
def verify(request):
    user = request.user
    next_url = _next_url(request)
    if user.is_verified() or not services.required_for(user):
        return HttpResponseRedirect(next_url)
    if not services.has_authenticator(user):
        return redirect(_with_next("mfa:enrol", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = services.verify_code(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            otp_login(request, verified.device)
            if verified.recovery_codes_left is not None:
                left = verified.recovery_codes_left
                messages.warning(
                    request,
                    f"You signed in with a recovery code; it cannot be used again. {left} left"
                    + (
                        ": make new ones on your two-factor page (click your name at the top)."
                        if left < 4
                        else "."
                    ),
                )
            return HttpResponseRedirect(next_url)
    return render(request, "registration/mfa_verify.html", {"form": form, "next": next_url})


@second_factor_pending_allowed
@never_cache
def enrol(request):
    user = request.user
    next_url = _next_url(request)
    if not services.required_for(user) and not user.is_verified():
        return HttpResponseRedirect(next_url)
    if services.has_authenticator(user) and not user.is_verified():
        # A new authenticator replaces the old one: only after a code from the old one (or a reset).
        return redirect(_with_next("mfa:verify", next_url))
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.confirm_authenticator(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            otp_login(request, device)
            request.session[SESSION_CODES] = codes
            messages.success(request, "Two-factor sign-in is set up.")
            return redirect(_with_next("mfa:manage", next_url))
    device = services.pending_authenticator(user=user)
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/mfa_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": qr.svg_inline(
                scale=5, omitsize=True, svgclass="mfa-qr", title="QR code for your authenticator app"
            ),
            "recovery_code_count": services.RECOVERY_CODE_COUNT,
            "secret": services.format_secret(device),
            "replacing": services.has_authenticator(user),
        },
    )


@never_cache
def manage(request):
    """The user's own two-factor page: new recovery codes, shown once after they are made (kept in
    the session until then), how many are left, a fresh set, a new phone."""
    next_url = _next_url(request)
    if request.method == "POST":
        try:
            request.session[SESSION_CODES] = services.new_recovery_codes(user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_with_next("mfa:enrol", next_url))
        return redirect(_with_next("mfa:manage", next_url))
    codes = request.session.pop(SESSION_CODES, None)
    status = services.status_of(request.user)
    return render(
        request,
        "registration/mfa_manage.html",
        {
            "codes": codes,
            "codes_text": "\n".join(codes or []),
            "status": status,
            "next": next_url,
        },
    )

"""Idle sign-out for staff: a signed-in session with no request for STAFF_IDLE_TIMEOUT_MINUTES ends.

The last activity is kept in the session as a Unix time. It is rewritten at most once a minute
(ACTIVITY_GRANULARITY) so that an ordinary page costs no session write; the login itself stamps it.
static/js/idle.js warns two minutes before the end and offers "Stay signed in" (keep_alive).
Views open to anyone (the pain diary links, the login page) are exempt: they carry
`login_required = False` (Django's @login_not_required).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

SESSION_KEY = "_last_activity"
ACTIVITY_GRANULARITY = 60  # seconds


def timeout_seconds() -> int:
    return settings.STAFF_IDLE_TIMEOUT_MINUTES * 60


def signed_out_message() -> str:
    minutes = settings.STAFF_IDLE_TIMEOUT_MINUTES
    return f"You were signed out after {minutes} minute{'s' if minutes != 1 else ''} without activity."


def touch(request, *, force=False):
    now = time.time()
    last = request.session.get(SESSION_KEY)
    if force or last is None or now - last >= ACTIVITY_GRANULARITY:
        request.session[SESSION_KEY] = now


def sign_out_idle(request, *, next_path=""):
    """End the session, leave the message for the login page, and send the browser there."""
    logout(request)
    messages.info(request, signed_out_message())
    url = reverse(settings.LOGIN_URL)
    if next_path:
        url = f"{url}?{urlencode({'next': next_path})}"
    if getattr(request, "htmx", None):
        # htmx would swap the login page into a fragment: tell it to go there instead.
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@receiver(user_logged_in)
def _stamp_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        touch(request, force=True)


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or not getattr(view_func, "login_required", True):
            return None
        last = request.session.get(SESSION_KEY)
        if last is not None and time.time() - last > timeout_seconds():
            next_path = request.get_full_path() if request.method == "GET" and not request.htmx else ""
            return sign_out_idle(request, next_path=next_path)
        touch(request)
        return None

"""How an API request says who it is: a token issued by a clinic admin, or the signed-in browser
session of the pages (with its CSRF check and, for the roles that need one, the second factor)."""

import time

from django.contrib.auth import logout
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from audit import idle
from infusion_clinic.mfa import services as mfa
from infusion_clinic.mfa.middleware import REFUSAL

from .tokens import token_for_key

KEYWORDS = ("Token", "Bearer")


class HashedTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <secret>` (or `Bearer <secret>`), looked up by its SHA-256 digest."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: give the token after 'Token '.")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The pages' session, for scripts in the signed-in browser: CSRF is checked on writes, and a
    session of a role that needs two-factor sign-in counts only once the second factor is verified
    (infusion_clinic/mfa); before that every API request is refused with 403. The staff idle sign-out
    holds as on the pages (audit/idle.py): a session idle for longer than STAFF_IDLE_TIMEOUT_MINUTES is
    ended and the request refused; an API request is activity, as a page is."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        django_request = request._request
        last = django_request.session.get(idle.SESSION_KEY)
        if last is not None and time.time() - last > idle.timeout_seconds():
            logout(django_request)
            raise exceptions.AuthenticationFailed(idle.signed_out_message())
        idle.touch(django_request)
        user = result[0]
        if mfa.required_for(user) and not user.is_verified():
            raise exceptions.PermissionDenied(REFUSAL)
        return result


# --- how the schema describes them (drf-spectacular) ----------------------------------------------


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = HashedTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <secret>` (or `Bearer <secret>`): a token a clinic admin issued (docs/api.md).",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = VerifiedSessionAuthentication
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The pages' session (writes need the X-CSRFToken header; roles with two-factor "
            "sign-in need the second factor first).",
        }

"""Issue and revoke API tokens (clinic admins), and find the token a request carries.

Each issue and revocation is recorded as an admin LogEntry on the token's user, so it shows under
"Recent changes" on the staff member's page with who did it and when, like every other account change.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from infusion_clinic.roles import user_roles

from .models import ApiToken

KEY_PREFIX = "ic_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8
MANAGE_PERMISSION = "auth.change_user"  # the clinic admin's permission over staff accounts


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _log(*, by, user, message: str):
    LogEntry.objects.log_actions(by.pk, [user], CHANGE, change_message=message, single_object=True)


def _check_manager(by):
    if not by.is_active or not by.has_perm(MANAGE_PERMISSION):
        raise ValidationError("Only a clinic admin can issue or revoke API tokens.")


@transaction.atomic
def issue_token(*, user, name: str, by, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and the secret, which is shown once and never stored."""
    _check_manager(by)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Say what the token is for, e.g. 'EPR integration'."})
    if user.is_superuser and not by.is_superuser:
        # As on the staff pages (staff.services.may_manage): a token would hand its powers to the issuer.
        raise ValidationError({"user": "Only a superuser can issue a token for a superuser's account."})
    if not user.is_active:
        raise ValidationError({"user": "This account is deactivated: it cannot hold an API token."})
    if not user_roles(user):
        raise ValidationError({"user": "This account has no role: a token acts with its user's role."})
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 3660:
        raise ValidationError({"days": "A token lasts from 1 day to 10 years."})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=key[:PREFIX_LENGTH],
        digest=digest(key),
        created_at=now,
        created_by=by,
        expires_at=now + timedelta(days=days),
    )
    _log(by=by, user=user, message=f"Issued API token {token.prefix}… “{token.name}”, valid {days} days.")
    return token, key


@transaction.atomic
def revoke_token(*, token: ApiToken, by) -> ApiToken:
    _check_manager(by)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError("This token is already revoked.")
    token.revoked_at = timezone.now()
    token.revoked_by = by
    token.save(update_fields=["revoked_at", "revoked_by"])
    _log(by=by, user=token.user, message=f"Revoked API token {token.prefix}… “{token.name}”.")
    return token


LAST_USED_GRANULARITY = timedelta(minutes=5)


def token_for_key(key: str) -> ApiToken | None:
    """The live token with this secret (not revoked, not expired, its user active), or None."""
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(digest=digest(key)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Written at most every few minutes, so that an API client's requests cost no write each.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

"""Who must use a second factor, and the writes: set up an authenticator, verify a code, recovery
codes, remove everything (a clinic admin's reset, staff.services). Built on django-otp's TOTP and
static devices, with their throttling: after a wrong code the next try waits 1, 2, 4, 8... seconds."""

import re
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from infusion_clinic.roles import ROLE_KEYS, user_roles

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "Recovery codes"
AUTHENTICATOR_NAME = "Authenticator app"

_TOTP_CODE = re.compile(r"^\d{6}$")
_RECOVERY_CODE = re.compile(r"^[a-z2-7]{8}$")  # django-otp's StaticToken.random_token(): 5 random bytes


# --- reads -----------------------------------------------------------------------------------------


def required_for(user) -> bool:
    """Whether the user's role asks for a second factor (MFA_REQUIRED_ROLES; superusers hold every role)."""
    wanted = set(settings.MFA_REQUIRED_ROLES)
    return any(ROLE_KEYS[role] in wanted for role in user_roles(user))


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass
class SecondFactorStatus:
    required: bool
    set_up_at: datetime | None  # when the authenticator was confirmed; None: not set up
    last_used_at: datetime | None
    recovery_codes_left: int


def status_of(user) -> SecondFactorStatus:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    return SecondFactorStatus(
        required=required_for(user),
        set_up_at=device.created_at if device else None,
        last_used_at=device.last_used_at if device else None,
        recovery_codes_left=StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    )


def format_secret(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, as authenticator apps ask for it when typed in."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def format_recovery_code(token: str) -> str:
    return f"{token[:4]}-{token[4:]}"


# --- writes ----------------------------------------------------------------------------------------


def pending_authenticator(*, user) -> TOTPDevice:
    """The unconfirmed authenticator being set up: the same secret (and QR code) on every reload
    until a code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def _wait_message(info) -> str:
    seconds = max(1, ceil((info["locked_until"] - timezone.now()).total_seconds()))
    wait = f"{seconds} seconds" if seconds < 120 else f"{ceil(seconds / 60)} minutes"
    return f"Too many wrong codes in a row: wait {wait}, then try again."


def _try_code(device, token: str) -> str:
    """Check a code on a row-locked device; return the problem, or "" when it was right. Runs inside
    the caller's transaction, which must commit either way: a wrong code's throttling count is a write."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return _wait_message(info)
    if not device.verify_token(token):
        return "That code is not right. Check the code (a new one shows every 30 seconds) and try again."
    return ""


def _new_recovery_codes(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in tokens)
    return [format_recovery_code(t) for t in tokens]


def confirm_authenticator(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from the app; return it and the new recovery
    codes (shown to the user once). Any earlier authenticator and recovery codes are replaced."""
    code = re.sub(r"\s", "", code or "")
    if not _TOTP_CODE.match(code):
        raise ValidationError({"code": "Enter the 6-digit code your authenticator app shows."})
    problem = ""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        )
        if device is None:
            problem = "This set-up has expired: scan the new QR code below and enter its code."
        else:
            problem = _try_code(device, code)
        if not problem:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user=user)
    if problem:  # raised after the commit, so a wrong code still counts towards the throttling
        raise ValidationError({"code": problem})
    return device, codes


@dataclass
class Verified:
    device: TOTPDevice | StaticDevice
    recovery_codes_left: int | None  # None when the authenticator's code was used


def verify_code(*, user, code: str) -> Verified:
    """Check a code from the authenticator app, or a recovery code (single use)."""
    code = re.sub(r"[\s-]", "", code or "").lower()
    if _TOTP_CODE.match(code):
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    elif _RECOVERY_CODE.match(code):
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    else:
        raise ValidationError(
            {"code": "Enter the 6-digit code from your authenticator app, or one of your recovery codes."}
        )
    left = None
    with transaction.atomic():
        device = devices.select_for_update().order_by("-pk").first()
        if device is None:
            problem = "You have no recovery codes left: ask a clinic admin to reset your two-factor sign-in."
        else:
            problem = _try_code(device, code)
        if not problem and isinstance(device, StaticDevice):
            left = device.token_set.count()
    if problem:  # raised after the commit, so a wrong code still counts towards the throttling
        raise ValidationError({"code": problem})
    return Verified(device=device, recovery_codes_left=left)


@transaction.atomic
def new_recovery_codes(*, user) -> list[str]:
    """A fresh set of recovery codes in place of the old ones (which stop working)."""
    if not has_authenticator(user):
        raise ValidationError("Set up an authenticator app first.")
    return _new_recovery_codes(user=user)


@transaction.atomic
def remove_second_factor(*, user) -> int:
    """Delete the user's authenticators and recovery codes; return how many devices went. Their next
    request is no longer verified (OTPMiddleware finds no device), and they set it up again."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    return removed

"""Staff accounts for clinic admins: add, edit, deactivate and reactivate users, and send them a
set-password email, without Django admin.

Roles are the four Django groups of roles.py; a staff member holds exactly one. Users are never
deleted (clinical records point at them): they are deactivated. Every change is recorded as an admin
LogEntry (who, when, what), which the user's page lists; User has no simple-history table.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from infusion_clinic.mfa import services as mfa
from infusion_clinic.roles import CLINIC_ADMIN, ROLES

User = get_user_model()

CHANGES_SHOWN = 20


# --- reads -----------------------------------------------------------------------------------------


def _with_roles(queryset):
    return queryset.prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=ROLES).order_by("name"), to_attr="roles")
    )


def staff_list(*, role: str | None = None, active: bool | None = None):
    """Every user with their role groups as `user.roles`, in two queries whatever the count."""
    users = User.objects.order_by("last_name", "first_name", "username")
    if role:
        users = users.filter(groups__name=role)
    if active is not None:
        users = users.filter(is_active=active)
    return _with_roles(users)


def staff_member(pk) -> User:
    return _with_roles(User.objects.all()).get(pk=pk)


def role_of(user) -> str | None:
    """The one role a staff member holds (the first by name if old data gave them more)."""
    roles = getattr(user, "roles", None)
    if roles is None:
        roles = user.groups.filter(name__in=ROLES).order_by("name")
    return roles[0].name if roles else None


def recent_changes(*, user, limit: int = CHANGES_SHOWN):
    return (
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk))
        .select_related("user")
        .order_by("-action_time", "-pk")[:limit]
    )


# --- writes ----------------------------------------------------------------------------------------


def _log(*, by, user, flag, message: str):
    LogEntry.objects.log_actions(by.pk, [user], flag, change_message=message, single_object=True)


def _check_role(role) -> Group:
    if role not in ROLES:
        raise ValidationError({"role": "Choose one role."})
    return Group.objects.get_or_create(name=role)[0]


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if not email:
        raise ValidationError({"email": "Enter an email address: the set-password email goes there."})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid email address."}) from exc
    return email


def _set_role(user, group: Group):
    user.groups.remove(*user.groups.filter(name__in=ROLES).exclude(pk=group.pk))
    user.groups.add(group)


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def may_manage(*, user, by) -> bool:
    """Clinic admins manage everyone but superusers: changing a superuser's email and sending a reset
    would hand its powers to whoever chose the address."""
    return by.is_superuser or not user.is_superuser


def _check_may_manage(*, user, by):
    if not may_manage(user=user, by=by):
        raise ValidationError("Only a superuser can change a superuser's account.")


@transaction.atomic
def create_staff_member(*, first_name: str, last_name: str, username: str, email: str, role: str, by) -> User:
    """A new active account with one role and no usable password (the person sets their own)."""
    username = (username or "").strip()
    group = _check_role(role)
    email = _check_email(email)
    if not username:
        raise ValidationError({"username": "Enter a username."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"The username “{username}” is taken (usernames ignore case)."})
    user = User(username=username, first_name=first_name.strip(), last_name=last_name.strip(), email=email)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a second admin took the name a moment ago
        raise ValidationError({"username": f"The username “{username}” is taken."}) from exc
    user.groups.add(group)
    _log(by=by, user=user, flag=ADDITION, message=f"Added with role {role}.")
    return user


@transaction.atomic
def update_staff_member(*, user, first_name: str, last_name: str, email: str, role: str, by) -> list[str]:
    """Save names, email and the one role; return what changed (empty when nothing did)."""
    _check_may_manage(user=user, by=by)
    group = _check_role(role)
    email = _check_email(email)
    held = sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    old_role = ", ".join(held) or None
    if user.pk == by.pk and CLINIC_ADMIN in held and role != CLINIC_ADMIN:
        raise ValidationError(
            {"role": "You cannot remove your own Clinic admin role: ask another clinic admin to do it."}
        )
    changes = []
    for field, label, value in (
        ("first_name", "first name", first_name.strip()),
        ("last_name", "last name", last_name.strip()),
        ("email", "email", email),
    ):
        old = getattr(user, field)
        if old != value:
            changes.append(f"{label} from “{old}” to “{value}”")
            setattr(user, field, value)
    if changes:
        user.full_clean(exclude=["password"])
        user.save(update_fields=["first_name", "last_name", "email"])
    if held != [role]:  # exactly one role, even when old data gave them several
        _set_role(user, group)
        changes.append(f"role from {old_role or 'none'} to {role}")
        user.roles = [group]
    if changes:
        _log(by=by, user=user, flag=CHANGE, message="Changed " + "; ".join(changes) + ".")
    return changes


@transaction.atomic
def deactivate_staff_member(*, user, by):
    """The account can no longer sign in; everything it recorded stays attributed to it."""
    _check_may_manage(user=user, by=by)
    if user.pk == by.pk:
        raise ValidationError("You cannot deactivate your own account: ask another clinic admin.")
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    _log(by=by, user=user, flag=CHANGE, message="Deactivated (can no longer sign in).")


@transaction.atomic
def reactivate_staff_member(*, user, by):
    _check_may_manage(user=user, by=by)
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    _log(by=by, user=user, flag=CHANGE, message="Reactivated (can sign in again).")


@transaction.atomic
def reset_second_factor(*, user, by, reason: str):
    """Remove the user's authenticator and recovery codes (a lost or new phone): they set up two-factor
    sign-in again at their next request. Recorded with who, when and why on the user's page."""
    _check_may_manage(user=user, by=by)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why, e.g. “lost phone, identity checked in person”."})
    if user.pk == by.pk:
        raise ValidationError("You cannot reset your own two-factor sign-in: ask another clinic admin.")
    if not mfa.remove_second_factor(user=user):
        raise ValidationError("Two-factor sign-in is not set up for this account: there is nothing to reset.")
    _log(
        by=by,
        user=user,
        flag=CHANGE,
        message=f"Reset two-factor sign-in (they set it up again at their next sign-in). Reason: {reason}",
    )


# --- the set-password email ---------------------------------------------------------------------


@dataclass
class PasswordEmail:
    sent: bool
    link: str  # the same one-use set-password link the email carries, for handing over in person
    problem: str = ""


class _OneUserPasswordResetForm(PasswordResetForm):
    """Django's reset form aimed at one chosen user: it also reaches accounts without a usable
    password yet (new staff), and lets a delivery failure surface instead of only logging it."""

    def __init__(self, *, user):
        super().__init__(data={"email": user.email})
        self.user = user

    def get_users(self, email):
        return [self.user]

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        from django.core.mail import EmailMultiAlternatives
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email]).send()


def set_password_link(*, user, request) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return request.build_absolute_uri(
        reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    )


def send_password_email(*, user, request, by, welcome: bool = False) -> PasswordEmail:
    """Email the user a link to set their password; report honestly whether it went out."""
    _check_may_manage(user=user, by=by)
    link = set_password_link(user=user, request=request)
    kind = "welcome email with a set-password link" if welcome else "password reset email"
    if not user.is_active:
        return PasswordEmail(sent=False, link="", problem="The account is deactivated: reactivate it first.")
    if not getattr(settings, "EMAIL_CONFIGURED", False):
        problem = "Email is not configured on this server (EMAIL_URL is unset)."
    else:
        form = _OneUserPasswordResetForm(user=user)
        form.is_valid()
        templates = (
            {
                "subject_template_name": "staff/emails/welcome_subject.txt",
                "email_template_name": "staff/emails/welcome_email.txt",
            }
            if welcome
            else {}
        )
        try:
            form.save(request=request, use_https=request.is_secure(), **templates)
        except Exception as exc:  # any backend failure: SMTP refused, DNS, timeout, bad credentials
            problem = f"Sending failed ({exc.__class__.__name__}: {str(exc)[:160]})."
        else:
            _log(by=by, user=user, flag=CHANGE, message=f"Sent a {kind} to {user.email}.")
            return PasswordEmail(sent=True, link=link)
    _log(
        by=by,
        user=user,
        flag=CHANGE,
        message=f"Could not send a {kind} to {user.email}; link shown to admin.",
    )
    return PasswordEmail(sent=False, link=link, problem=problem)

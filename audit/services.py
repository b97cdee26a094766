"""Writes of the access audit: one INSERT per page or download that shows a patient's data."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Subquery
from django.utils import timezone

from .models import AccessEvent

USER_AGENT_LENGTH = AccessEvent._meta.get_field("user_agent").max_length
LABEL_LENGTH = AccessEvent._meta.get_field("label").max_length
PATH_LENGTH = AccessEvent._meta.get_field("path").max_length


def client_ip(request) -> str | None:
    """The address the request came from. X-Forwarded-For is believed only behind a proxy the settings
    trust (AUDIT_TRUST_X_FORWARDED_FOR): anyone can send that header, so otherwise it would let a
    caller write any address into the audit. Behind the proxy, its left-most entry is the client."""
    if settings.AUDIT_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


def _content_type_id(obj):
    """The content type's id as a subquery of the INSERT itself, so recording is one query whether or
    not Django's content type cache is warm (the pages' query budgets stay exact)."""
    if obj is None:
        return None
    meta = obj._meta
    return Subquery(
        ContentType.objects.filter(app_label=meta.app_label, model=meta.model_name).values("id")[:1]
    )


def record_access(request, *, kind, obj=None, patient_id=None, label) -> bool:
    """Record that request.user opened `obj` (of `kind`, for patient `patient_id`), labelled `label`.

    A page's own htmx partial refreshes (request.htmx, not a boosted navigation) are not recorded: the
    page that loaded them already was, and a row per refresh would bury who opened what. Returns
    whether a row was written."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return False
    AccessEvent.objects.create(
        user=request.user,
        at=timezone.now(),
        kind=kind,
        content_type_id=_content_type_id(obj),
        object_id=obj.pk if obj is not None else None,
        patient_id=patient_id,
        label=str(label)[:LABEL_LENGTH],
        path=request.get_full_path()[:PATH_LENGTH],
        method=request.method,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
    )
    return True

"""Writes of the protocol library: one transaction each, ValidationError by field."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from infusion_clinic.dates import uk_date

from .models import EDITABLE_FIELDS, Protocol, ProtocolVersion


@transaction.atomic
def create_version(*, from_version: ProtocolVersion, by, **changes) -> ProtocolVersion:
    """Make the next version of from_version's protocol with `changes`; it becomes the current one.

    The old version is kept unchanged (sessions and prescriptions keep pointing at it) and marked
    not current. A version made from example defaults stays flagged as example until verified.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"create_version() cannot change: {', '.join(sorted(unknown))}")
    # Serialise version numbering per protocol.
    protocol = Protocol.objects.select_for_update().get(pk=from_version.protocol_id)
    latest = ProtocolVersion.objects.filter(protocol=protocol).order_by("-version").first()
    fields = {name: getattr(from_version, name) for name in EDITABLE_FIELDS}
    fields.update(changes)
    new = ProtocolVersion(
        protocol=protocol,
        version=latest.version + 1,
        is_current=True,
        is_example=from_version.is_example,
        created_by=by,
        **fields,
    )
    new.full_clean(exclude=["is_current"])  # the old current version is retired below, not yet
    ProtocolVersion.objects.filter(protocol=protocol, is_current=True).update(is_current=False)
    new.save()
    return new


@transaction.atomic
def mark_verified(*, version: ProtocolVersion, by) -> ProtocolVersion:
    """A clinic admin confirms a version's values for this clinic; the banner goes."""
    version = ProtocolVersion.objects.select_for_update().get(pk=version.pk)
    if version.verified_at is not None:
        raise ValidationError({"version": f"Already verified on {uk_date(version.verified_at)}."})
    version.verified_at = timezone.now()
    version.verified_by = by
    version.save(update_fields=["verified_at", "verified_by"])
    return version

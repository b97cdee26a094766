"""Reads of the protocol library, for pages and for other apps."""

from django.db.models import Prefetch

from .models import Protocol, ProtocolFamily, ProtocolVersion


def checklist_for(family) -> list[str]:
    """The contraindication checklist of a family (a ProtocolFamily or its slug), as a list of strings."""
    if isinstance(family, str):
        family = ProtocolFamily.objects.only("contraindications").get(slug=family)
    return [str(item) for item in (family.contraindications or [])]


def library() -> list[ProtocolFamily]:
    """Families with their protocols and each protocol's current version, in display order."""
    current = ProtocolVersion.objects.filter(is_current=True).select_related("verified_by")
    protocols = Protocol.objects.order_by("name").prefetch_related(
        Prefetch("versions", queryset=current, to_attr="current_versions")
    )
    families = ProtocolFamily.objects.prefetch_related(Prefetch("protocols", queryset=protocols))
    return list(families)


def current_versions():
    """Current versions of active protocols, for choosing one to prescribe."""
    return (
        ProtocolVersion.objects.filter(is_current=True, protocol__is_active=True)
        .select_related("protocol__family")
        .order_by("protocol__family__display_order", "protocol__name")
    )


def version_with_history(*, pk) -> tuple[ProtocolVersion, list[ProtocolVersion]]:
    """A version and every version of the same protocol, newest first."""
    version = ProtocolVersion.objects.select_related("protocol__family", "created_by", "verified_by").get(
        pk=pk
    )
    history = list(
        ProtocolVersion.objects.filter(protocol_id=version.protocol_id)
        .select_related("created_by", "verified_by")
        .order_by("-version")
    )
    return version, history


def versions_awaiting_verification():
    """Current versions still on example defaults, not yet verified by a clinic admin."""
    return (
        ProtocolVersion.objects.filter(is_current=True, is_example=True, verified_at__isnull=True)
        .select_related("protocol__family")
        .order_by("protocol__family__display_order", "protocol__name")
    )

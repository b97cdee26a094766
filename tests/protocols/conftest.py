from datetime import date
from decimal import Decimal

import pytest

from protocols.models import DoseBasis, ProtocolVersion
from protocols.seed import PROTOCOLS, RATE_LIMITS, SETUP_MINUTES, seed_protocol_library

ON = date(2026, 11, 25)


def version_like(slug: str, **overrides) -> ProtocolVersion:
    """An unsaved version with the seeded example values of a protocol (the calculator is pure)."""
    for _family, protocol_slug, _name, fields in PROTOCOLS:
        if protocol_slug == slug:
            limits = RATE_LIMITS.get(slug, {})
            data = {"setup_minutes": SETUP_MINUTES, "is_example": True, **fields, **limits, **overrides}
            return ProtocolVersion(version=1, **data)
    raise KeyError(slug)


@pytest.fixture
def library(db):
    """The seeded library, {protocol slug: current version}. Transactional tests flush the migration's rows."""
    seed_protocol_library()
    return {
        v.protocol.slug: v
        for v in ProtocolVersion.objects.filter(is_current=True).select_related("protocol__family")
    }


__all__ = ["ON", "version_like", "DoseBasis", "Decimal"]

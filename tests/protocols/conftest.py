from datetime import date
from decimal import Decimal

from protocols.models import DoseBasis, ProtocolVersion
from protocols.seed import PROTOCOLS, RATE_LIMITS, SETUP_MINUTES

ON = date(2026, 11, 25)


def version_like(slug: str, **overrides) -> ProtocolVersion:
    """An unsaved version with the seeded example values of a protocol (the calculator is pure)."""
    for _family, protocol_slug, _name, fields in PROTOCOLS:
        if protocol_slug == slug:
            limits = RATE_LIMITS.get(slug, {})
            data = {"setup_minutes": SETUP_MINUTES, "is_example": True, **fields, **limits, **overrides}
            return ProtocolVersion(version=1, **data)
    raise KeyError(slug)


__all__ = ["ON", "version_like", "DoseBasis", "Decimal"]

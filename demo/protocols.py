"""Demo data of the protocols app: the example library (the migration seeds it too; idempotent)."""

from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library


def seed(*, users, stdout):
    created = seed_protocol_library()
    current = ProtocolVersion.objects.filter(is_current=True).count()
    to_verify = ProtocolVersion.objects.filter(
        is_current=True, is_example=True, verified_at__isnull=True
    ).count()
    stdout.write(
        f"Protocols: {current} current versions ({created} created now); "
        f"{to_verify} hold example defaults for the clinic admin to verify."
    )

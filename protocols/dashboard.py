"""Dashboard cards of the protocols app."""

from infusion_clinic.dashboard import Card
from infusion_clinic.roles import CLINIC_ADMIN

from .selectors import versions_awaiting_verification

SHOWN = 6


def awaiting_verification_card(request) -> Card | None:
    if not request.user.has_perm("protocols.manage_protocols"):
        return None
    versions = list(versions_awaiting_verification()[: SHOWN + 1])
    return Card(
        title="Protocol versions to verify",
        template="protocols/dashboard/_awaiting_verification.html",
        context={"versions": versions[:SHOWN], "more": len(versions) > SHOWN},
        order=10,
        icon="patch-exclamation",
    )


PROVIDERS = {CLINIC_ADMIN: [awaiting_verification_card]}

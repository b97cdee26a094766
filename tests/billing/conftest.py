"""Helpers for the billing tests: families, referrals per funding route and sessions in a given state."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from sessions.models import InfusionSession

from .. import factories

FAMILIES = {
    "lidocaine": "Lidocaine",
    "ketamine": "Ketamine",
    "magnesium": "Magnesium sulphate",
}


def family(slug="lidocaine"):
    return factories.ProtocolFamilyFactory(slug=slug, name=FAMILIES.get(slug, slug.title()))


def version(slug="lidocaine"):
    fam = family(slug)
    protocol = factories.ProtocolFactory(family=fam, slug=slug, name=fam.name)
    existing = protocol.versions.filter(is_current=True).first()
    return existing or factories.ProtocolVersionFactory(protocol=protocol, name=f"{fam.name} v1")


def referral(route="self_pay", **kw):
    if route == "nhs":
        return factories.ReferralFactory(funding_route="nhs", **kw)
    if route == "insured":
        kw.setdefault("insurer", factories.InsurerFactory())
        kw.setdefault("policy_number", "POL-998877")
        kw.setdefault("preauth_number", "PA-1001")
        return factories.ReferralFactory(funding_route="insured", commissioner=None, **kw)
    return factories.ReferralFactory(funding_route="self_pay", commissioner=None, source="self", **kw)


_slot = {"n": 0}


def session(*, referral, on=None, status="completed", slug="lidocaine", chair=None, hour=None, **kw):
    """A session row in the given state (created directly: billing needs the row, not the booking rules)."""
    _slot["n"] += 1
    on = on or timezone.localdate()
    hour = hour if hour is not None else 7 + 2 * (_slot["n"] % 6)
    start = timezone.make_aware(datetime.combine(on, time(hour)))
    pv = version(slug)
    return InfusionSession.objects.create(
        patient=referral.patient,
        referral=referral,
        protocol_version=pv,
        chair=chair or factories.ChairFactory(),
        start=start,
        end=start + pv.chair_time,
        status=status,
        booked_by=kw.pop("booked_by", None) or factories.UserFactory(),
        **kw,
    )


def days_ago(n):
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def lidocaine():
    return family("lidocaine")

"""Demo billing data: commissioners, insurers, example prices and packages. Idempotent."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from billing.models import Commissioner, Insurer, Package, PriceList
from protocols.models import ProtocolFamily
from protocols.seed import seed_protocol_library

COMMISSIONERS = [
    ("NHS Greater Manchester Integrated Care Board", "QOP"),
    ("NHS Cheshire and Merseyside Integrated Care Board", "QYG"),
]
INSURERS = ["Bupa", "AXA Health", "Aviva", "Vitality"]

# Example prices: GBP 300-600 a session by protocol, about GBP 150 a review
# (docs/clinical-reference.md#example-prices).
# family slug: (self-pay session, insured session)
SESSION_PRICES = {
    "lidocaine": (Decimal("350.00"), Decimal("380.00")),
    "ketamine": (Decimal("600.00"), Decimal("600.00")),
    "magnesium": (Decimal("300.00"), Decimal("320.00")),
    "bisphosphonate": (Decimal("450.00"), Decimal("480.00")),
    "corticosteroid": (Decimal("400.00"), Decimal("420.00")),
}
REVIEW_FEE = Decimal("150.00")
# name, family slug, sessions, reviews, price
PACKAGES = [
    ("Lidocaine: course of three with a review", "lidocaine", 3, 1, Decimal("1050.00")),
    ("Ketamine: five-day course with a review", "ketamine", 5, 1, Decimal("2800.00")),
]


def _families(stdout):
    families = {f.slug: f for f in ProtocolFamily.objects.filter(slug__in=SESSION_PRICES)}
    if len(families) < len(SESSION_PRICES):
        seed_protocol_library()  # the protocols' own seeding, if this runs first
        families = {f.slug: f for f in ProtocolFamily.objects.filter(slug__in=SESSION_PRICES)}
    return families


def seed(*, users, stdout):
    for name, code in COMMISSIONERS:
        Commissioner.objects.get_or_create(ods_code=code, defaults={"name": name})
    for name in INSURERS:
        Insurer.objects.get_or_create(name=name)

    families = _families(stdout)
    start = date(timezone.localdate().year, 1, 1)
    admin = users.get("Clinic admin")
    for slug, (self_pay, insured) in SESSION_PRICES.items():
        family = families.get(slug)
        if family is None:
            continue
        for route, amount in (("self_pay", self_pay), ("insured", insured)):
            # Any existing price for the family and route means an admin (or an earlier run) set it.
            if not PriceList.objects.filter(protocol_family=family, funding_route=route).exists():
                PriceList.objects.create(
                    protocol_family=family,
                    funding_route=route,
                    effective_from=start,
                    session_price=amount,
                    review_fee=REVIEW_FEE,
                    created_by=admin,
                )
    for name, slug, sessions, reviews, price in PACKAGES:
        if slug in families:
            Package.objects.get_or_create(
                name=name,
                defaults={
                    "protocol_family": families[slug],
                    "funding_route": "self_pay",
                    "sessions_included": sessions,
                    "reviews_included": reviews,
                    "price": price,
                },
            )

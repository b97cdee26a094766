"""Property: whatever periods an admin tries to add, the stored ones never overlap and the lookup
returns the one period containing the date (checked against a brute-force scan)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import PriceList
from billing.services import create_price, price_in_force

from .conftest import family

pytestmark = pytest.mark.django_db
BASE = date(2026, 1, 1)

periods = st.lists(
    st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 30))),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(periods=periods, probes=st.lists(st.integers(-5, 100), min_size=1, max_size=10))
def test_stored_periods_never_overlap_and_lookup_matches_a_scan(periods, probes):
    with transaction.atomic():
        fam = family("lidocaine")
        for offset, length in periods:
            start = BASE + timedelta(days=offset)
            end = None if length is None else start + timedelta(days=length)
            try:
                create_price(
                    protocol_family=fam,
                    funding_route="self_pay",
                    effective_from=start,
                    effective_to=end,
                    session_price=Decimal(offset),
                    review_fee=Decimal("150"),
                )
            except ValidationError:
                pass
        stored = list(PriceList.objects.filter(protocol_family=fam).order_by("effective_from"))
        far = date(9999, 12, 31)
        for a, b in zip(stored, stored[1:], strict=False):
            assert (a.effective_to or far) < b.effective_from
        for p in probes:
            d = BASE + timedelta(days=p)
            expected = [s for s in stored if s.effective_from <= d <= (s.effective_to or far)]
            assert len(expected) <= 1
            assert price_in_force(protocol_family=fam, funding_route="self_pay", on_date=d) == (
                expected[0] if expected else None
            )
        transaction.set_rollback(True)

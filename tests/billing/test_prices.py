from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from billing.models import PriceList
from billing.services import change_price_from, create_price, price_in_force, update_price

from .. import factories
from .conftest import family

pytestmark = pytest.mark.django_db


def _price(fam, start, end, amount, route="self_pay"):
    return create_price(
        protocol_family=fam,
        funding_route=route,
        effective_from=start,
        effective_to=end,
        session_price=Decimal(amount),
        review_fee=Decimal("150"),
    )


def test_price_lookup_uses_the_period_in_force_on_the_date_with_inclusive_ends():
    fam = family("lidocaine")
    old = _price(fam, date(2026, 1, 1), date(2026, 3, 31), "400")
    new = _price(fam, date(2026, 4, 1), None, "450")

    def lookup(d):
        return price_in_force(protocol_family=fam, funding_route="self_pay", on_date=d)

    assert lookup(date(2025, 12, 31)) is None
    assert lookup(date(2026, 1, 1)) == old
    assert lookup(date(2026, 3, 31)) == old
    assert lookup(date(2026, 4, 1)) == new
    assert lookup(date(2030, 1, 1)) == new
    assert price_in_force(protocol_family=fam, funding_route="insured", on_date=date(2026, 5, 1)) is None


def test_price_lookup_keeps_routes_and_families_apart():
    lido, keta = family("lidocaine"), family("ketamine")
    _price(lido, date(2026, 1, 1), None, "400")
    _price(lido, date(2026, 1, 1), None, "500", route="insured")
    _price(keta, date(2026, 1, 1), None, "600")
    found = price_in_force(protocol_family=lido, funding_route="insured", on_date=date(2026, 6, 1))
    assert found.session_price == Decimal("500.00")


@pytest.mark.parametrize(
    "start,end",
    [
        (date(2026, 3, 31), None),  # touches the last day of the old period
        (date(2025, 6, 1), date(2026, 1, 1)),  # touches the first day
        (date(2026, 2, 1), date(2026, 2, 2)),  # inside
        (date(2025, 1, 1), None),  # covers it
    ],
)
def test_it_refuses_an_overlapping_price_period_with_a_clear_message(start, end):
    fam = family("lidocaine")
    _price(fam, date(2026, 1, 1), date(2026, 3, 31), "400")
    with pytest.raises(ValidationError) as exc:
        _price(fam, start, end, "450")
    assert "overlap the Lidocaine private self-pay price from 1 Jan 2026 to 31 Mar 2026" in str(
        exc.value.message_dict["effective_from"]
    )
    assert PriceList.objects.count() == 1


def test_it_accepts_adjacent_periods():
    fam = family("lidocaine")
    _price(fam, date(2026, 1, 1), date(2026, 3, 31), "400")
    _price(fam, date(2026, 4, 1), None, "450")
    assert PriceList.objects.count() == 2


def test_the_database_refuses_overlapping_periods_on_postgresql():
    assert connection.vendor == "postgresql"
    fam = family("lidocaine")
    _price(fam, date(2026, 1, 1), None, "400")
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceList.objects.create(
            protocol_family=fam,
            funding_route="self_pay",
            effective_from=date(2026, 6, 1),
            session_price=Decimal("1"),
            review_fee=Decimal("1"),
        )


@pytest.mark.parametrize("field", ["session_price", "review_fee"])
def test_it_refuses_negative_amounts(field):
    fam = family("lidocaine")
    amounts = {"session_price": Decimal("400"), "review_fee": Decimal("150"), field: Decimal("-1")}
    with pytest.raises(ValidationError) as exc:
        create_price(
            protocol_family=fam, funding_route="self_pay", effective_from=date(2026, 1, 1), **amounts
        )
    assert "Amounts cannot be negative." in exc.value.message_dict[field]
    assert not PriceList.objects.exists()


def test_it_refuses_an_end_before_the_start_and_an_nhs_price():
    fam = family("lidocaine")
    with pytest.raises(ValidationError):
        _price(fam, date(2026, 2, 1), date(2026, 1, 1), "400")
    with pytest.raises(ValidationError) as exc:
        _price(fam, date(2026, 2, 1), None, "400", route="nhs")
    assert "funding_route" in exc.value.message_dict


def test_changing_a_price_from_a_date_ends_the_old_period_the_day_before():
    fam = family("lidocaine")
    old = _price(fam, date(2026, 1, 1), None, "400")
    new = change_price_from(
        price=old, starts_on=date(2026, 7, 1), session_price=Decimal("480"), review_fee=Decimal("160")
    )
    old.refresh_from_db()
    assert old.effective_to == date(2026, 6, 30)
    assert new.effective_from == date(2026, 7, 1) and new.effective_to is None
    assert price_in_force(protocol_family=fam, funding_route="self_pay", on_date=date(2026, 6, 30)) == old
    assert price_in_force(protocol_family=fam, funding_route="self_pay", on_date=date(2026, 7, 1)) == new


def test_updating_a_price_into_an_overlap_is_refused_and_nothing_changes():
    fam = family("lidocaine")
    first = _price(fam, date(2026, 1, 1), date(2026, 3, 31), "400")
    _price(fam, date(2026, 4, 1), None, "450")
    with pytest.raises(ValidationError):
        update_price(price=first, effective_to=date(2026, 4, 15), session_price=Decimal("999"))
    first.refresh_from_db()
    assert first.effective_to == date(2026, 3, 31)
    assert first.session_price == Decimal("400.00")


def test_the_commissioner_ods_code_must_be_three_characters():
    with pytest.raises(ValidationError):
        factories.CommissionerFactory.build(ods_code="Q1").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CommissionerFactory(ods_code="QE")

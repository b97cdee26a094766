"""Chair utilisation per location and per chair: booked chair-minutes over open chair-minutes."""

import csv
import io
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from infusion_clinic.dates import uk_date, uk_format
from reports import selectors
from sessions.models import OpeningHours

from .. import factories
from ..billing.conftest import referral, session

pytestmark = pytest.mark.django_db

URL = reverse("reports:report", args=["utilisation"])


def _monday_weeks_ago(weeks):
    today = timezone.localdate()
    return today - timedelta(days=today.weekday() + 7 * weeks)


@pytest.fixture
def clinic():
    """Two locations: Riverside (Mon-Fri 08:00-18:00, two chairs) and Northgate (Mon-Fri 09:00-13:00,
    one chair, closed on the Tuesday of the week below)."""
    monday = _monday_weeks_ago(2)
    river = factories.LocationFactory(name="Riverside Infusion Suite")
    north = factories.LocationFactory(name="Northgate Clinic", weekday_hours=False)
    OpeningHours.objects.bulk_create(
        OpeningHours(location=north, weekday=d, opens=time(9), closes=time(13)) for d in range(5)
    )
    north.closures.create(
        starts_on=monday + timedelta(days=1), ends_on=monday + timedelta(days=1), reason="Training"
    )
    chairs = {
        "r1": factories.ChairFactory(location=river, name="Chair 1", display_order=1),
        "r2": factories.ChairFactory(location=river, name="Chair 2", display_order=2),
        "n1": factories.ChairFactory(location=north, name="Chair A", display_order=1),
    }
    return {"monday": monday, "river": river, "north": north, **chairs}


def _by_name(rows):
    return {(r.location, r.name): r for r in rows}


def test_it_breaks_utilisation_down_per_location_and_chair_per_day_and_week(clinic):
    monday = clinic["monday"]
    ref = referral("nhs")
    # Lidocaine v1 holds a chair for 105 minutes.
    session(referral=ref, on=monday, chair=clinic["r1"], hour=9)
    session(referral=ref, on=monday, chair=clinic["r1"], hour=12)
    session(referral=referral("nhs"), on=monday, chair=clinic["n1"], hour=9)
    cancelled = referral("nhs")
    session(referral=cancelled, on=monday, chair=clinic["r2"], hour=9, status="cancelled")  # frees the chair
    days, weeks, rows = selectors.chair_usage(monday, monday + timedelta(days=6))
    assert weeks == [monday] and len(days) == 7
    by = _by_name(rows)
    assert [r.name for r in rows] == [
        "Northgate Clinic",
        "Chair A",
        "Riverside Infusion Suite",
        "Chair 1",
        "Chair 2",
    ]
    chair1 = by[("Riverside Infusion Suite", "Chair 1")]
    assert (chair1.days[0].booked, chair1.days[0].open) == (210, 600)
    assert chair1.days[0].utilisation == Decimal("35.0")
    assert chair1.weeks[0].open == 5 * 600 and chair1.weeks[0].utilisation == Decimal("7.0")
    assert by[("Riverside Infusion Suite", "Chair 2")].days[0].utilisation == Decimal("0.0")
    river = by[("Riverside Infusion Suite", "Riverside Infusion Suite")]
    assert (river.days[0].booked, river.days[0].open) == (210, 1200)
    assert river.days[0].utilisation == Decimal("17.5")
    chair_a = by[("Northgate Clinic", "Chair A")]
    assert (chair_a.days[0].booked, chair_a.days[0].open) == (105, 240)
    assert chair_a.days[1].open == 0 and chair_a.days[1].utilisation is None  # the closure
    assert chair_a.weeks[0].open == 4 * 240
    assert chair_a.days[5].utilisation is None  # Saturday: closed


def test_the_clinic_wide_figures_are_the_sum_of_the_locations(clinic):
    monday = clinic["monday"]
    session(referral=referral("nhs"), on=monday, chair=clinic["n1"], hour=9)
    session(referral=referral("nhs"), on=monday, chair=clinic["r2"], hour=9)
    result = selectors.utilisation(monday, monday + timedelta(days=13))
    assert result.rows[0]["booked_hours"] == 3.5 and result.rows[0]["open_hours"] == 24.0
    assert result.rows[0]["utilisation"] == Decimal("14.6")
    assert [w["open_hours"] for w in result.extra["weeks"]] == [116.0, 120.0]
    places = [r for r in result.extra["breakdown"]["rows"] if not r.is_chair]
    assert sum(p.total.open for p in places) / 60 == result.totals["open_hours"]
    assert result.chart["values"][0] == 14.6


def test_an_inactive_chair_with_bookings_is_listed_with_nothing_open(clinic):
    monday = clinic["monday"]
    retired = factories.ChairFactory(location=clinic["river"], name="Old chair", is_active=False)
    session(referral=referral("nhs"), on=monday, chair=retired, hour=9)
    factories.ChairFactory(location=clinic["river"], name="Unused retired chair", is_active=False)
    _, _, rows = selectors.chair_usage(monday, monday)
    by = _by_name(rows)
    old = by[("Riverside Infusion Suite", "Old chair")]
    assert (old.days[0].booked, old.days[0].open, old.days[0].utilisation) == (105, 0, None)
    assert ("Riverside Infusion Suite", "Unused retired chair") not in by


def test_the_page_and_the_csv_show_the_breakdown(admin_client_role, clinic):
    monday = clinic["monday"]
    session(referral=referral("nhs"), on=monday, chair=clinic["r1"], hour=9)
    period = {"start": monday.isoformat(), "end": (monday + timedelta(days=13)).isoformat()}
    page = admin_client_role.get(URL, period).content.decode()
    assert 'data-testid="chair-week-table"' in page and "Chair A" in page and "Northgate Clinic" in page
    assert f"w/c {monday:%-d %b}" in page
    response = admin_client_role.get(URL, {**period, "format": "csv", "by": "chair"})
    assert response["Content-Type"].startswith("text/csv")
    assert f"utilisation-by-chair-{monday}" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == [heading for _, heading in selectors.BREAKDOWN_COLUMNS]
    # 2 locations + 3 chairs, each with 2 weeks and 14 days.
    assert len(rows) == 5 * (2 + 14)
    chair1_monday = next(
        r
        for r in rows
        if r["Chair"] == "Chair 1" and r["Period"] == "day" and r["Day or week commencing"] == str(monday)
    )
    assert chair1_monday["Chair hours booked"] == "1.8" and chair1_monday["Utilisation %"] == "17.5"
    river_week = next(
        r for r in rows if r["Location"] == "Riverside Infusion Suite" and r["Chair"] == "All chairs"
    )
    assert river_week["Period"] == "week" and river_week["Chair hours open"] == "100.0"
    plain = admin_client_role.get(URL, {**period, "format": "csv"}).content.decode().splitlines()
    assert plain[0] == "Day,Chair hours booked,Chair hours open,Utilisation %"


def test_reception_cannot_download_the_breakdown(reception_client):
    assert reception_client.get(URL, {"format": "csv", "by": "chair"}).status_code == 403


def _populate(clinic, chairs_per_location, sessions_per_chair, week):
    monday = clinic["monday"] + timedelta(weeks=week)
    extra = [
        factories.ChairFactory(location=place, name=f"Extra {week}-{i}")
        for place in (clinic["river"], clinic["north"])
        for i in range(chairs_per_location)
    ]
    for chair in [clinic["r1"], clinic["r2"], clinic["n1"], *extra]:
        ref = referral("nhs")
        for i in range(sessions_per_chair):
            session(referral=ref, on=monday + timedelta(days=i % 5), chair=chair, hour=9 + 2 * (i // 5))


@pytest.mark.parametrize("params", [{}, {"format": "csv", "by": "chair"}])
def test_the_breakdown_keeps_a_constant_query_count(
    params, admin_client_role, clinic, django_assert_max_num_queries
):
    period = {
        "start": clinic["monday"].isoformat(),
        "end": (clinic["monday"] + timedelta(days=27)).isoformat(),
        **params,
    }
    admin_client_role.get(reverse("dashboard"))
    _populate(clinic, chairs_per_location=1, sessions_per_chair=1, week=0)
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as small:
        assert admin_client_role.get(URL, period).status_code == 200
    _populate(clinic, chairs_per_location=8, sessions_per_chair=10, week=1)
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as large:
        response = admin_client_role.get(URL, period)
    assert response.status_code == 200
    assert len(small) == len(large)
    assert b"Extra" in response.content


def test_the_clinic_total_is_worked_out_from_minutes_like_the_locations(clinic):
    monday = clinic["monday"]
    for day in range(2):  # 105 minutes a day: 1.75 h, shown 1.8 per day, 3.5 h in all
        session(referral=referral("nhs"), on=monday + timedelta(days=day), chair=clinic["r1"], hour=9)
    result = selectors.utilisation(monday, monday + timedelta(days=1))
    assert [r["booked_hours"] for r in result.rows] == [1.8, 1.8]
    assert result.totals["booked_hours"] == 3.5  # not 3.6, the sum of the rounded days
    river = next(r for r in result.extra["breakdown"]["rows"] if r.name == "Riverside Infusion Suite")
    assert river.total.booked_hours == result.totals["booked_hours"]


# --- long periods: per week over 35 days, per month over 26 weeks; the CSV keeps the days ---------------


def _period(start, days):
    return {"start": start.isoformat(), "end": (start + timedelta(days=days - 1)).isoformat()}


@pytest.mark.parametrize(
    ("days", "grain"), [(1, "day"), (35, "day"), (36, "week"), (182, "week"), (183, "month"), (367, "month")]
)
def test_the_grain_follows_the_length_of_the_period(days, grain, clinic):
    start = clinic["monday"]
    assert selectors.utilisation_grain(start, start + timedelta(days=days - 1)) == grain


def test_on_the_threshold_the_page_shows_days_and_one_day_more_weeks(admin_client_role, clinic):
    start = clinic["monday"] - timedelta(weeks=4)
    session(referral=referral("nhs"), on=start, chair=clinic["r1"], hour=9)
    short = admin_client_role.get(URL, _period(start, 35)).content.decode()
    assert 'data-testid="chair-day-table"' in short and 'data-testid="week-table"' in short
    assert '<th scope="col">Day</th>' in short
    assert f"w/c {uk_format(start, 'day_month')}<" in short
    longer = admin_client_role.get(URL, _period(start, 36)).content.decode()
    assert 'data-testid="chair-day-table"' not in longer and 'data-testid="week-table"' not in longer
    assert '<th scope="col">Week commencing</th>' in longer
    assert f"w/c {uk_date(start)}<" in longer  # w/c 7 Dec 2026
    assert "the CSV has every day" in longer


def _year_of_sessions(clinic, start):
    extra = [factories.ChairFactory(location=clinic["river"], name=f"Extra {i}") for i in range(6)]
    for week in range(0, 52, 3):
        for chair in [clinic["r1"], clinic["n1"], *extra[: 1 + week % 6]]:
            session(
                referral=referral("nhs"), on=start + timedelta(weeks=week, days=week % 5), chair=chair, hour=9
            )


def test_a_year_shows_months_in_a_bounded_page_with_the_same_figures(
    admin_client_role,
    clinic,
    django_assert_max_num_queries,
):
    end = clinic["monday"] + timedelta(days=6)
    start = end - timedelta(days=364)
    _year_of_sessions(clinic, start)
    short = _period(end - timedelta(days=27), 28)
    year = {"start": start.isoformat(), "end": end.isoformat()}
    with CaptureQueriesContext(connection) as four_weeks:
        assert admin_client_role.get(URL, short).status_code == 200
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
        response = admin_client_role.get(URL, year)
    assert response.status_code == 200
    assert len(queries) == len(four_weeks)
    page = response.content.decode()
    assert len(response.content) < 80_000, len(response.content)
    assert 'data-testid="chair-day-table"' not in page and '<th scope="col">Month</th>' in page
    result = selectors.utilisation(start, end)
    months = result.extra["breakdown"]["months"]
    assert len(months) == 13 and months[0] == start.replace(day=1)
    for m in months:
        assert f">{uk_format(m, 'short_month')}</th>" in page
        assert f"<td>{uk_format(m, 'month')}\n" in page
    # The months add up to the period, per chair and for the clinic, from minutes.
    for row in result.extra["breakdown"]["rows"]:
        assert sum(c.booked for c in row.months) == row.total.booked
        assert sum(c.open for c in row.months) == row.total.open
    summary = result.extra["summary"]
    assert summary.totals == result.totals and len(summary.rows) == 13
    booked = sum(r.total.booked for r in result.extra["breakdown"]["rows"] if not r.is_chair)
    assert result.totals["booked_hours"] == round(booked / 60, 1) > 0
    assert result.chart["labels"] == [uk_format(m, "short_month") for m in months]
    # The CSV keeps a row per day.
    rows = list(
        csv.reader(io.StringIO(admin_client_role.get(URL, {**year, "format": "csv"}).content.decode()))
    )
    assert rows[0][0] == "Day" and sum(1 for r in rows[1:] if r[0] != "Total") == 365

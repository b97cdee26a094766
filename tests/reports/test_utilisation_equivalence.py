"""The utilisation report's SQL (one GROUP BY chair and UK day with the sum of the sessions'
durations) against the sum worked out in Python over every session, on a known dataset with both
clock-change Sundays in it: the same figures, for every chair and every day."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from infusion_clinic.dates import days_bounds
from reports import selectors
from sessions.models import ACTIVE_STATUSES, InfusionSession, OpeningHours, SessionStatus
from tests import factories

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
FIRST, LAST = date(2026, 10, 19), date(2026, 11, 1)  # two weeks around the autumn clock change
FALL_BACK = date(2026, 10, 25)


@pytest.fixture(autouse=True)
def _pinned(clinic_morning):
    """The report takes its period; the clock is pinned all the same."""


@pytest.fixture
def dataset():
    """One location open every day 08:00-18:00 (Sundays too, so the clock-change day has capacity),
    three chairs, sessions of several lengths and states, including around the two midnights of the
    25-hour day and one running past midnight."""
    location = factories.LocationFactory(name="Equivalence", weekday_hours=False)
    OpeningHours.objects.bulk_create(
        OpeningHours(location=location, weekday=d, opens=time(8), closes=time(18)) for d in range(7)
    )
    chairs = [factories.ChairFactory(location=location, name=f"E{i}", display_order=i) for i in range(3)]
    booker = factories.UserFactory()
    versions = [factories.ProtocolVersionFactory(infusion_minutes=m) for m in (60, 120, 240)]
    statuses = [
        SessionStatus.SIGNED_OFF,
        SessionStatus.COMPLETED,
        SessionStatus.BOOKED,
        SessionStatus.CANCELLED,
        SessionStatus.DID_NOT_ATTEND,
    ]
    n = 0
    day = FIRST - timedelta(days=1)  # a day before the period: must not count
    while day <= LAST + timedelta(days=1):
        for c, chair in enumerate(chairs):
            for slot, hour in enumerate((7, 14)):
                version = versions[(n + c) % 3]
                start = datetime.combine(day, time(hour, 15 * (n % 3)), tzinfo=LONDON)
                InfusionSession.objects.create(
                    patient=factories.PatientFactory(),
                    protocol_version=version,
                    chair=chair,
                    start=start,
                    end=start + version.chair_time,
                    status=statuses[(n + slot) % len(statuses)],
                    booked_by=booker,
                )
                n += 1
        day += timedelta(days=1)
    # Around the two midnights of the 25-hour Sunday and across the midnight after it.
    for start, minutes in (
        (datetime(2026, 10, 25, 0, 30, tzinfo=LONDON), 45),  # 00:30 BST
        (datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1), 20),  # 01:30 GMT, the second one
        (datetime(2026, 10, 25, 23, 30, tzinfo=LONDON), 90),  # ends on the Monday
        (datetime(2026, 10, 24, 23, 45, tzinfo=LONDON), 30),  # the Saturday's, ends on the Sunday
    ):
        InfusionSession.objects.create(
            patient=factories.PatientFactory(),
            protocol_version=versions[0],
            chair=chairs[0],
            start=start,
            end=start.astimezone(UTC) + timedelta(minutes=minutes),  # real minutes across the change
            status=SessionStatus.SIGNED_OFF,
            booked_by=booker,
        )
    return chairs


def _in_python(first, last):
    """The report's figures worked out the slow way: every session, one at a time."""
    lo, hi = days_bounds(first, last)
    booked = defaultdict(int)
    for s in InfusionSession.objects.all():
        if s.status in ACTIVE_STATUSES and lo <= s.start < hi:
            booked[(s.chair_id, s.start.astimezone(LONDON).date())] += int(
                (s.end - s.start).total_seconds() // 60
            )
    return booked


def test_the_sql_figures_equal_the_python_sum_over_every_session(dataset):
    expected = _in_python(FIRST, LAST)
    days, weeks, rows = selectors.chair_usage(FIRST, LAST)
    chairs = {c.name: c.pk for c in dataset}
    for row in rows:
        if not row.is_chair:
            continue
        for d, cell in zip(days, row.days, strict=True):
            assert cell.booked == expected.get((chairs[row.name], d), 0), (row.name, d)
            assert cell.open == 600  # 08:00-18:00, every day, the 25-hour day too
    report = selectors.utilisation(FIRST, LAST)
    for r in report.rows:
        minutes = sum(v for (_chair, d), v in expected.items() if d == r["day"])
        assert r["booked_hours"] == round(minutes / 60, 1), r["day"]
    assert report.totals["booked_hours"] == round(sum(expected.values()) / 60, 1)


def test_the_clock_change_sunday_holds_its_own_sessions_and_no_other(dataset):
    days, _weeks, rows = selectors.chair_usage(FIRST, LAST)
    chair = next(r for r in rows if r.is_chair and r.name == "E0")
    sunday = chair.days[days.index(FALL_BACK)]
    expected = _in_python(FALL_BACK, FALL_BACK)[(dataset[0].pk, FALL_BACK)]
    # 00:30 BST (45), 01:30 GMT (20) and 23:30 (90, counted on its start day) are the Sunday's own.
    assert sunday.booked == expected
    assert expected >= 45 + 20 + 90
    saturday = chair.days[days.index(FALL_BACK - timedelta(days=1))]
    assert (
        saturday.booked
        == _in_python(FALL_BACK - timedelta(days=1), FALL_BACK - timedelta(days=1))[
            (dataset[0].pk, FALL_BACK - timedelta(days=1))
        ]
    )

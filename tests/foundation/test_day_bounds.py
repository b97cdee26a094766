"""The UK day as a [start, end) of aware datetimes (infusion_clinic/dates.py: day_bounds, on_day) and
the pages that read "today" with it instead of a `__date` lookup, on the clock-change Sundays."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from infusion_clinic.dates import day_bounds, days_bounds, on_day, today_bounds
from records.selectors import sessions_in_progress
from sessions.models import InfusionSession, SessionStatus
from sessions.selectors import todays_sessions
from tests import factories

LONDON = ZoneInfo("Europe/London")
SPRING_FORWARD = date(2027, 3, 28)  # 01:00 GMT -> 02:00 BST: a 23-hour day
FALL_BACK = date(2026, 10, 25)  # 02:00 BST -> 01:00 GMT: a 25-hour day


def _real(later, earlier):
    """Elapsed time (Python subtracts two datetimes of one zone on the wall clock)."""
    return later.astimezone(UTC) - earlier.astimezone(UTC)


def _hours(day):
    lo, hi = day_bounds(day)
    return _real(hi, lo).total_seconds() / 3600


def test_a_day_is_24_hours_and_23_or_25_on_the_clock_change_sundays():
    assert _hours(date(2026, 11, 25)) == 24
    assert _hours(SPRING_FORWARD) == 23
    assert _hours(FALL_BACK) == 25


def test_the_bounds_are_local_midnights():
    lo, hi = day_bounds(FALL_BACK)
    assert lo.astimezone(UTC) == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # midnight BST
    assert hi.astimezone(UTC) == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # midnight GMT
    lo, hi = day_bounds(SPRING_FORWARD)
    assert lo.astimezone(UTC) == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)  # midnight GMT
    assert hi.astimezone(UTC) == datetime(2027, 3, 28, 23, 0, tzinfo=UTC)  # midnight BST


def test_a_period_runs_from_the_first_midnight_to_the_midnight_after_the_last_day():
    lo, hi = days_bounds(date(2026, 10, 24), FALL_BACK)
    assert (lo, hi) == (day_bounds(date(2026, 10, 24))[0], day_bounds(FALL_BACK)[1])
    assert _real(hi, lo) == timedelta(hours=49)


def test_on_day_gives_a_half_open_range_of_the_column():
    lo, hi = day_bounds(FALL_BACK)
    assert on_day("session__start", FALL_BACK) == {"session__start__gte": lo, "session__start__lt": hi}


def _session(start, status=SessionStatus.BOOKED, minutes=30):
    return InfusionSession.objects.create(
        patient=factories.PatientFactory(),
        protocol_version=factories.ProtocolVersionFactory(),
        chair=factories.ChairFactory(),
        start=start,
        end=start + timedelta(minutes=minutes),
        status=status,
        booked_by=factories.UserFactory(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_on_day_finds_exactly_the_sessions_of_a_clock_change_day(day):
    lo, hi = day_bounds(day)
    inside = [_session(lo), _session(lo + timedelta(minutes=30)), _session(hi - timedelta(minutes=30))]
    _session(lo - timedelta(minutes=30))  # the evening before
    _session(hi)  # next midnight belongs to the next day
    found = set(InfusionSession.objects.filter(**on_day("start", day)).values_list("pk", flat=True))
    assert found == {s.pk for s in inside}
    # The same sessions a local-date lookup finds (the lookup the bounds replace).
    assert found == set(InfusionSession.objects.filter(start__date=day).values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_todays_cards_read_the_whole_clock_change_day(time_machine, day):
    time_machine.move_to(datetime.combine(day, datetime.min.time(), tzinfo=LONDON) + timedelta(hours=12))
    lo, hi = today_bounds()
    early = _session(lo + timedelta(minutes=15), status=SessionStatus.CHECKED_IN)
    late = _session(hi - timedelta(minutes=45), status=SessionStatus.CHECKED_IN)
    _session(lo - timedelta(minutes=45), status=SessionStatus.CHECKED_IN)  # yesterday
    _session(hi + timedelta(minutes=15), status=SessionStatus.CHECKED_IN)  # tomorrow
    assert [s.pk for s in todays_sessions()] == [early.pk, late.pk]
    assert {s.pk for s, _badge in sessions_in_progress()} == {early.pk, late.pk}

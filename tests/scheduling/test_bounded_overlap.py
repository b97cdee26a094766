"""Overlap queries bound `start` from below (sessions/models.py: MAX_SESSION_DURATION, overlapping):
the same sessions as the unbounded test, the bound held by a constraint, and the pages that use it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from infusion_clinic.dates import day_bounds
from sessions.models import MAX_SESSION_DURATION, InfusionSession
from sessions.selectors import day_board

from .. import factories
from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned(clinic_morning):
    """Sessions are placed relative to a pinned day."""


def _session(chair, start, minutes, booker):
    return InfusionSession.objects.create(
        patient=factories.PatientFactory(),
        protocol_version=factories.ProtocolVersionFactory(),
        chair=chair,
        start=start,
        end=start + timedelta(minutes=minutes),
        booked_by=booker,
    )


def test_the_bounded_overlap_finds_the_same_sessions_as_the_unbounded_test(chairs, monday, booker):
    lo, hi = day_bounds(monday)
    rows = [
        _session(chairs[0], lo - MAX_SESSION_DURATION + timedelta(minutes=1), 25 * 60, booker),  # longest
        _session(chairs[1], lo - timedelta(hours=2), 180, booker),  # runs past midnight into the day
        _session(chairs[2], lo - timedelta(hours=3), 180, booker),  # ends at midnight: not in the day
        _session(chairs[0], at(monday, 9), 105, booker),
        _session(chairs[1], hi - timedelta(minutes=30), 120, booker),  # starts late, ends tomorrow
        _session(chairs[2], hi, 60, booker),  # tomorrow
        _session(chairs[2], lo - timedelta(days=3), 120, booker),  # days before
    ]
    unbounded = set(InfusionSession.objects.filter(start__lt=hi, end__gt=lo).values_list("pk", flat=True))
    bounded = set(InfusionSession.objects.overlapping(lo, hi).values_list("pk", flat=True))
    assert bounded == unbounded == {rows[0].pk, rows[1].pk, rows[3].pk, rows[4].pk}
    open_ended = set(InfusionSession.objects.overlapping(lo).values_list("pk", flat=True))
    assert open_ended == {rows[0].pk, rows[1].pk, rows[3].pk, rows[4].pk, rows[5].pk}


def test_the_overlap_query_carries_the_lower_bound_on_start(monday):
    lo, hi = day_bounds(monday)
    where = InfusionSession.objects.overlapping(lo, hi).query.where
    lookups = {(child.lhs.target.name, child.lookup_name) for child in where.children}
    assert ("start", "gt") in lookups and ("start", "lt") in lookups and ("end", "gt") in lookups


def test_a_session_longer_than_the_bound_is_refused_by_validation_and_by_the_database(chair, monday, booker):
    start = at(monday, 9)
    too_long = InfusionSession(
        patient=factories.PatientFactory(),
        protocol_version=factories.ProtocolVersionFactory(),
        chair=chair,
        start=start,
        end=start + MAX_SESSION_DURATION + timedelta(minutes=1),
        booked_by=booker,
    )
    with pytest.raises(ValidationError, match="more than 25 hours"):
        too_long.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        too_long.save()
    assert not InfusionSession.objects.exists()
    _session(chair, start, 25 * 60, booker)  # exactly the bound is allowed
    assert InfusionSession.objects.filter(~Q(pk=None)).count() == 1


def test_the_day_board_shows_a_session_that_began_the_evening_before(location, chairs, monday, booker):
    lo, _hi = day_bounds(monday)
    overnight = _session(chairs[0], lo - timedelta(hours=1), 180, booker)
    board = day_board(location=location, day=monday)
    row = next(r for r in board.rows if r.chair == chairs[0])
    assert [s.pk for s in row.sessions] == [overnight.pk]
    assert row.sessions[0].board_start == 0 and row.sessions[0].board_end == 120


@pytest.mark.parametrize("history_days", [5, 60])
def test_the_day_board_reads_the_same_queries_whatever_the_history(
    history_days, location, chairs, lidocaine, monday, booker, nurse_client, django_assert_max_num_queries
):
    for back in range(1, history_days + 1):  # earlier days of sessions the board must not depend on
        _session(chairs[back % 3], at(monday - timedelta(days=back), 9), 105, booker)
    _session(chairs[0], at(monday, 9), 105, booker)
    nurse_client.get(reverse("dashboard"))  # the sign-in's session write happens here, not below
    with django_assert_max_num_queries(13):  # 12 + the second-factor device
        response = nurse_client.get(reverse("infusion_sessions:day_board"), {"date": monday.isoformat()})
    assert response.context["board"].session_count == 1


def test_the_bound_is_25_real_hours_the_day_after_the_spring_clock_change(chair, booker):
    """Midnight of Monday 29 March 2027 less 25 hours is 22:00 GMT on the Saturday in real time (the
    Sunday had 23 hours); wall-clock arithmetic would say 23:00 and miss a session starting at 22:30."""
    from datetime import UTC, date

    lo, hi = day_bounds(date(2027, 3, 29))
    saturday_evening = _session(chair, lo.astimezone(UTC) - timedelta(hours=24, minutes=30), 25 * 60, booker)
    assert saturday_evening.end > lo  # it runs into the Monday
    found = InfusionSession.objects.overlapping(lo, hi).values_list("pk", flat=True)
    assert list(found) == [saturday_evening.pk]

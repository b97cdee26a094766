"""On the UK clock-change days a session holds its chair for its real duration; a closed location is refused."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from sessions import booking
from sessions.models import InfusionSession, OpeningHours
from sessions.slots import find_slots

from .conftest import at, eligible_patient

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SPRING_FORWARD = date(2027, 3, 28)  # 01:00 GMT becomes 02:00 BST: a 23-hour day
FALL_BACK = date(2027, 10, 31)  # 02:00 BST becomes 01:00 GMT: a 25-hour day


def real_minutes(session):
    return (session.end.astimezone(UTC) - session.start.astimezone(UTC)) / timedelta(minutes=1)


@pytest.fixture
def open_all_day(location):
    OpeningHours.objects.filter(location=location).delete()
    for weekday in range(7):
        OpeningHours.objects.create(location=location, weekday=weekday, opens="00:00", closes="23:59")


@pytest.fixture
def week_before(time_machine):
    def travel(day):
        time_machine.move_to(datetime.combine(day - timedelta(days=7), time(10), tzinfo=LONDON), tick=False)

    return travel


def test_a_session_over_the_spring_forward_holds_its_chair_for_its_real_duration(
    open_all_day, ketamine, chair, booker, week_before
):
    week_before(SPRING_FORWARD)
    patient = eligible_patient(ketamine)
    session = booking.book_session(
        patient=patient, protocol_version=ketamine, chair=chair, start=at(SPRING_FORWARD, 0), booked_by=booker
    )
    session.refresh_from_db()
    assert real_minutes(session) == ketamine.chair_minutes == 315
    assert f"{session.end.astimezone(LONDON):%H:%M %Z}" == "06:15 BST"  # not 05:15: an hour went missing
    with pytest.raises(ValidationError) as exc:  # the chair is still taken at 05:15 BST
        booking.book_session(
            patient=eligible_patient(ketamine),
            protocol_version=ketamine,
            chair=chair,
            start=at(SPRING_FORWARD, 5, 15),
            booked_by=booker,
        )
    assert "already booked" in exc.value.message_dict["chair"][0]
    after = booking.book_session(
        patient=eligible_patient(ketamine),
        protocol_version=ketamine,
        chair=chair,
        start=at(SPRING_FORWARD, 6, 15),
        booked_by=booker,
    )
    assert real_minutes(after) == 315


def test_a_session_over_the_fall_back_frees_its_chair_after_its_real_duration(
    open_all_day, ketamine, chair, booker, week_before
):
    week_before(FALL_BACK)
    session = booking.book_session(
        patient=eligible_patient(ketamine),
        protocol_version=ketamine,
        chair=chair,
        start=at(FALL_BACK, 0),
        booked_by=booker,
    )
    session.refresh_from_db()
    assert real_minutes(session) == 315
    assert f"{session.end.astimezone(LONDON):%H:%M %Z}" == "04:15 GMT"  # not 05:15: an hour came back
    after = booking.book_session(  # the chair is free from 04:15 GMT, an hour earlier on the wall clock
        patient=eligible_patient(ketamine),
        protocol_version=ketamine,
        chair=chair,
        start=at(FALL_BACK, 4, 15),
        booked_by=booker,
    )
    assert real_minutes(after) == 315
    assert InfusionSession.objects.count() == 2


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_the_slot_finder_offers_slots_of_real_duration_on_the_wall_clock_grid(
    day, open_all_day, ketamine, chair, booker, week_before
):
    week_before(day)
    patient = eligible_patient(ketamine)
    booking.book_session(
        patient=eligible_patient(ketamine),
        protocol_version=ketamine,
        chair=chair,
        start=at(day, 0),
        booked_by=booker,
    )
    slots = find_slots(protocol_version=ketamine, earliest=day, chair=chair, patient=patient, count=3)
    assert slots, "the chair is free after the first session"
    first_free = (at(day, 0).astimezone(UTC) + timedelta(minutes=315)).astimezone(LONDON)
    assert slots[0].start == first_free
    for slot in slots:
        local = slot.start.astimezone(LONDON)
        assert local.date() == day and local.minute % 15 == 0
        assert (slot.end.astimezone(UTC) - slot.start.astimezone(UTC)) == timedelta(minutes=315)
    booked = booking.book_session(
        patient=patient, protocol_version=ketamine, chair=chair, start=slots[0].start, booked_by=booker
    )
    assert real_minutes(booked) == 315


def test_it_refuses_a_chair_at_a_location_that_is_not_in_use(lidocaine, location, chair, monday, booker):
    location.is_active = False
    location.save()
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=eligible_patient(lidocaine),
            protocol_version=lidocaine,
            chair=chair,
            start=at(monday, 9),
            booked_by=booker,
        )
    assert "is not in use" in exc.value.message_dict["chair"][0]
    assert not InfusionSession.objects.exists()

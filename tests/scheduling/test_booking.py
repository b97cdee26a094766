"""Booking services: one session, courses, all or nothing, cancel/late/DNA, moves, reschedule the rest."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions import booking
from sessions.models import Closure, Course, InfusionSession, SessionStatus

from .. import factories
from .conftest import at, eligible_patient

pytestmark = pytest.mark.django_db


def local(dt):
    return timezone.localtime(dt)


def errors(exc_info):
    return exc_info.value.message_dict


def test_it_books_a_session_for_the_protocols_chair_time(patient, lidocaine, chair, monday, booker):
    session = booking.book_session(
        patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 9), booked_by=booker
    )
    assert session.status == SessionStatus.BOOKED
    assert session.end - session.start == timedelta(minutes=105)
    assert session.history.count() == 1


def test_it_refuses_a_patient_without_eligibility(lidocaine, chair, monday, booker):
    patient = factories.PatientFactory()
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 9), booked_by=booker
        )
    assert "no eligibility assessment" in errors(exc)["patient"][0]
    assert not InfusionSession.objects.exists()


def test_it_refuses_a_time_in_the_past(patient, lidocaine, chair, booker):
    yesterday = timezone.localdate() - timedelta(days=1)
    while yesterday.weekday() >= 5:  # an open weekday, so "in the past" is the only problem
        yesterday -= timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=chair, start=at(yesterday, 9), booked_by=booker
        )
    assert "in the past" in errors(exc)["start"][0]


def test_it_refuses_a_session_that_would_run_past_closing_time(patient, lidocaine, chair, monday, booker):
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 17), booked_by=booker
        )
    assert "outside opening hours" in errors(exc)["start"][0]
    assert not InfusionSession.objects.exists()


def test_it_refuses_a_closed_day(patient, lidocaine, chair, monday, booker, location):
    Closure.objects.create(location=location, starts_on=monday, ends_on=monday, reason="Bank holiday")
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 9), booked_by=booker
        )
    assert "Bank holiday" in errors(exc)["start"][0]


def test_it_refuses_a_taken_chair(patient, lidocaine, chair, monday, booker):
    other = eligible_patient(lidocaine)
    booking.book_session(
        patient=other, protocol_version=lidocaine, chair=chair, start=at(monday, 9), booked_by=booker
    )
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 10), booked_by=booker
        )
    assert "already booked" in errors(exc)["chair"][0]
    assert InfusionSession.objects.count() == 1


def test_a_patient_is_never_in_two_chairs_at_once(patient, lidocaine, chairs, monday, booker):
    booking.book_session(
        patient=patient, protocol_version=lidocaine, chair=chairs[0], start=at(monday, 9), booked_by=booker
    )
    with pytest.raises(ValidationError) as exc:
        booking.book_session(
            patient=patient,
            protocol_version=lidocaine,
            chair=chairs[1],
            start=at(monday, 10),
            booked_by=booker,
        )
    assert "already has a session" in errors(exc)["patient"][0]


def test_a_course_skips_the_weekend_and_closures_to_the_next_open_day(
    patient, ketamine, chair, monday, booker, location
):
    thursday = monday + timedelta(days=3)
    Closure.objects.create(
        location=location,
        starts_on=monday + timedelta(days=7),
        ends_on=monday + timedelta(days=7),
        reason="Training",
    )
    course = booking.book_course(
        patient=patient, protocol_version=ketamine, chair=chair, start=at(thursday, 9), booked_by=booker
    )
    sessions = list(course.sessions.order_by("start"))
    days = [local(s.start).date() for s in sessions]
    assert days == [thursday, thursday + timedelta(days=1)] + [monday + timedelta(days=d) for d in (8, 9, 10)]
    assert [s.sequence for s in sessions] == [1, 2, 3, 4, 5]
    assert {local(s.start).time() for s in sessions} == {at(monday, 9).time()}


def test_a_course_is_booked_whole_or_not_at_all(patient, ketamine, chairs, monday, booker):
    # Every chair is taken on the third day, so the whole course must be refused.
    for c in chairs:
        booking.book_session(
            patient=eligible_patient(ketamine),
            protocol_version=ketamine,
            chair=c,
            start=at(monday + timedelta(days=2), 8),
            booked_by=booker,
        )
    with pytest.raises(ValidationError) as exc:
        booking.book_course(
            patient=patient, protocol_version=ketamine, chair=chairs[0], start=at(monday, 9), booked_by=booker
        )
    assert errors(exc)["chair"][0].startswith("Session 3 on Wed")
    assert not Course.objects.exists()
    assert not InfusionSession.objects.filter(patient=patient).exists()


def test_a_course_uses_another_chair_when_its_chair_is_taken_on_a_later_day(
    patient, ketamine, chairs, monday, booker
):
    booking.book_session(
        patient=eligible_patient(ketamine),
        protocol_version=ketamine,
        chair=chairs[0],
        start=at(monday + timedelta(days=1), 8),
        booked_by=booker,
    )
    course = booking.book_course(
        patient=patient, protocol_version=ketamine, chair=chairs[0], start=at(monday, 9), booked_by=booker
    )
    used = [s.chair for s in course.sessions.order_by("start")]
    assert used[0] == chairs[0] and used[1] != chairs[0] and used[2] == chairs[0]


@pytest.fixture
def course(patient, ketamine, chair, monday, booker):
    return booking.book_course(
        patient=patient, protocol_version=ketamine, chair=chair, start=at(monday, 9), booked_by=booker
    )


def test_cancelling_needs_a_reason_and_frees_the_chair(course, booker, ketamine):
    first = course.sessions.order_by("start").first()
    with pytest.raises(ValidationError) as exc:
        booking.cancel_session(session=first, by=booker, reason="  ")
    assert "reason" in errors(exc)
    cancelled = booking.cancel_session(session=first, by=booker, reason="Patient unwell")
    assert cancelled.status == SessionStatus.CANCELLED and cancelled.cancelled_by == booker
    assert not cancelled.late_cancellation
    assert course.sessions.filter(status=SessionStatus.BOOKED).count() == 4
    again = booking.book_session(
        patient=eligible_patient(ketamine),
        protocol_version=ketamine,
        chair=first.chair,
        start=first.start,
        booked_by=booker,
    )
    assert again.start == first.start


def test_a_cancellation_under_48_hours_is_late(course, booker):
    first = course.sessions.order_by("start").first()
    cancelled = booking.cancel_session(
        session=first, by=booker, reason="Transport", now=first.start - timedelta(hours=47)
    )
    assert cancelled.late_cancellation


def test_did_not_attend_only_after_the_start_time(course, booker):
    first = course.sessions.order_by("start").first()
    with pytest.raises(ValidationError):
        booking.mark_did_not_attend(session=first, by=booker, now=first.start - timedelta(minutes=5))
    dna = booking.mark_did_not_attend(session=first, by=booker, now=first.start + timedelta(minutes=30))
    assert dna.status == SessionStatus.DID_NOT_ATTEND and dna.cancel_reason == "Did not attend"


def test_check_in_only_on_the_day(course, booker):
    first = course.sessions.order_by("start").first()
    with pytest.raises(ValidationError):
        booking.check_in(session=first, by=booker, now=first.start - timedelta(days=1))
    checked = booking.check_in(session=first, by=booker, now=first.start - timedelta(minutes=10))
    assert checked.status == SessionStatus.CHECKED_IN and checked.checked_in_at
    with pytest.raises(ValidationError):
        booking.check_in(session=first, by=booker, now=first.start)


def test_moving_one_session_of_a_course_leaves_the_others_alone(course, booker, chairs):
    sessions = list(course.sessions.order_by("start"))
    second = sessions[1]
    new = booking.move_session(
        session=second,
        chair=second.chair,
        start=second.start + timedelta(minutes=30),
        by=booker,
        reason="Later bus",
    )
    second.refresh_from_db()
    assert second.status == SessionStatus.RESCHEDULED and second.rescheduled_to == new
    assert new.course == course and new.sequence == 2
    others = InfusionSession.objects.filter(pk__in=[s.pk for s in sessions if s.pk != second.pk])
    assert set(others.values_list("status", flat=True)) == {SessionStatus.BOOKED}
    assert [o.start for o in others.order_by("start")] == [s.start for s in sessions if s.pk != second.pk]


def test_a_failed_move_changes_nothing(course, booker, chair, monday):
    first = course.sessions.order_by("start").first()
    with pytest.raises(ValidationError) as exc:
        booking.move_session(session=first, chair=chair, start=at(monday, 17), by=booker, reason="x")
    assert "start" in errors(exc)
    first.refresh_from_db()
    assert first.status == SessionStatus.BOOKED and InfusionSession.objects.count() == 5


def test_rescheduling_the_rest_of_a_course_replans_the_remaining_sessions_in_one_step(
    course, booker, chairs, monday
):
    sessions = list(course.sessions.order_by("start"))
    InfusionSession.objects.filter(pk=sessions[0].pk).update(status=SessionStatus.COMPLETED)
    new_first = at(monday + timedelta(days=14), 10)
    new = booking.reschedule_rest_of_course(
        course=course, chair=chairs[1], start=new_first, by=booker, reason="Holiday"
    )
    assert [s.sequence for s in new] == [2, 3, 4, 5]
    assert [local(s.start).date() for s in new] == [monday + timedelta(days=d) for d in (14, 15, 16, 17)]
    old = InfusionSession.objects.filter(pk__in=[s.pk for s in sessions[1:]]).order_by("start")
    assert [o.rescheduled_to_id for o in old] == [s.pk for s in new]
    assert set(old.values_list("status", flat=True)) == {SessionStatus.RESCHEDULED}
    assert InfusionSession.objects.get(pk=sessions[0].pk).status == SessionStatus.COMPLETED


def test_rescheduling_the_rest_can_overlap_the_old_plan(course, booker, chair, monday):
    new = booking.reschedule_rest_of_course(
        course=course, chair=chair, start=at(monday, 10), by=booker, reason="Later"
    )
    assert len(new) == 5 and all(local(s.start).hour == 10 for s in new)


def test_rescheduling_the_rest_is_all_or_nothing(course, booker, chairs, monday, ketamine):
    target = monday + timedelta(days=21)
    for c in chairs:
        booking.book_session(
            patient=eligible_patient(ketamine),
            protocol_version=ketamine,
            chair=c,
            start=at(target + timedelta(days=2), 8),
            booked_by=booker,
        )
    before = set(course.sessions.values_list("pk", "status", "start"))
    with pytest.raises(ValidationError):
        booking.reschedule_rest_of_course(
            course=course, chair=chairs[0], start=at(target, 9), by=booker, reason="Holiday"
        )
    assert set(course.sessions.values_list("pk", "status", "start")) == before

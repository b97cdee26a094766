"""The slot finder: hours, closures, nurse ratio, load levelling, preferences, speed in queries."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from sessions.models import Closure, InfusionSession, NurseShift
from sessions.slots import Preference, find_slots, slot_problems

from .. import factories
from .conftest import at, eligible_patient

pytestmark = pytest.mark.django_db


def put(*, chair, version, start, patient=None, status="booked"):
    """An existing booking, written directly: the finder must respect whatever is in the table."""
    return InfusionSession.objects.create(
        patient=patient or eligible_patient(version),
        protocol_version=version,
        chair=chair,
        start=start,
        end=start + version.chair_time,
        status=status,
        booked_by=factories.UserFactory(),
    )


def local(dt):
    return timezone.localtime(dt)


def test_it_offers_only_starts_on_the_grid_inside_opening_hours(chair, lidocaine, monday):
    slots = find_slots(protocol_version=lidocaine, earliest=monday, chair=chair, count=40)
    on_monday = [s for s in slots if local(s.start).date() == monday]
    assert len(on_monday) == 34  # 08:00 to 16:15 every 15 minutes: 105 minutes must end by 18:00
    for slot in slots:
        start, end = local(slot.start), local(slot.end)
        assert start.minute % 15 == 0
        assert start.time() >= time(8) and end.time() <= time(18)
        assert end - start == timedelta(minutes=105)
        assert start.weekday() < 5


def test_it_skips_weekends_and_closures(chair, lidocaine, monday, location):
    Closure.objects.create(
        location=location, starts_on=monday, ends_on=monday + timedelta(days=1), reason="Training"
    )
    saturday = monday - timedelta(days=2)
    slots = find_slots(protocol_version=lidocaine, earliest=saturday, chair=chair, count=1)
    assert local(slots[0].start).date() == monday + timedelta(days=2)


def test_it_never_offers_a_taken_chair(chair, lidocaine, monday):
    put(chair=chair, version=lidocaine, start=at(monday, 10))
    slots = find_slots(protocol_version=lidocaine, earliest=monday, chair=chair, count=40)
    for slot in slots:
        if local(slot.start).date() == monday:
            assert slot.end <= at(monday, 10) or slot.start >= at(monday, 11, 45)


def test_it_keeps_ketamine_patients_at_two_per_nurse(chairs, ketamine, monday, location):
    NurseShift.objects.create(location=location, date=monday, starts=time(8), ends=time(18), nurses=1)
    put(chair=chairs[0], version=ketamine, start=at(monday, 8))
    put(chair=chairs[1], version=ketamine, start=at(monday, 8))
    slots = find_slots(protocol_version=ketamine, earliest=monday, chair=chairs[2], count=50)
    monday_starts = [local(s.start) for s in slots if local(s.start).date() == monday]
    # The two 08:00 sessions hold the only nurse until 13:15; then 315 minutes no longer fit by 18:00.
    assert monday_starts == []
    assert (
        find_slots(protocol_version=ketamine, earliest=monday, chair=chairs[2], count=1)[0].start.date()
        > monday
    )


def test_it_counts_mixed_families_as_shares_of_a_nurse(chairs, lidocaine, ketamine, monday, location):
    extra = [factories.ChairFactory(location=location, name=f"Bay 2 Chair {i}") for i in range(1, 4)]
    all_chairs = chairs + extra
    # Default staffing: 2 nurses. Two ketamine (1 nurse) + three lidocaine (1 nurse) fill the room.
    put(chair=all_chairs[0], version=ketamine, start=at(monday, 8))
    put(chair=all_chairs[1], version=ketamine, start=at(monday, 8))
    for c in all_chairs[2:4]:
        put(chair=c, version=lidocaine, start=at(monday, 8))
    assert slot_problems(protocol_version=lidocaine, chair=all_chairs[4], start=at(monday, 8)) == {}
    put(chair=all_chairs[4], version=lidocaine, start=at(monday, 8))
    problems = slot_problems(protocol_version=lidocaine, chair=all_chairs[5], start=at(monday, 8))
    assert "Not enough nurses" in problems["start"]
    # Once the lidocaine patients leave at 09:45, a lidocaine patient fits again.
    assert slot_problems(protocol_version=lidocaine, chair=all_chairs[5], start=at(monday, 9, 45)) == {}


def test_a_day_without_a_rota_is_staffed_by_the_default_number_of_nurses(settings, chairs, lidocaine, monday):
    settings.DEFAULT_NURSES_ON_DUTY = 1
    for c in chairs:
        put(chair=c, version=lidocaine, start=at(monday, 8))
    extra = factories.ChairFactory(location=chairs[0].location, name="Bay 2 Chair 1")
    slots = find_slots(protocol_version=lidocaine, earliest=monday, chair=extra, count=1)
    assert local(slots[0].start) == at(monday, 9, 45)


def test_minutes_no_shift_covers_have_no_nurse(chair, lidocaine, monday, location):
    NurseShift.objects.create(location=location, date=monday, starts=time(8), ends=time(12), nurses=2)
    slots = find_slots(protocol_version=lidocaine, earliest=monday, chair=chair, count=40)
    monday_slots = [s for s in slots if local(s.start).date() == monday]
    assert monday_slots and all(local(s.end).time() <= time(12) for s in monday_slots)


def test_it_levels_the_load_by_staggering_starts(chairs, lidocaine, monday):
    put(chair=chairs[0], version=lidocaine, start=at(monday, 8))
    slots = find_slots(protocol_version=lidocaine, earliest=monday, count=5)
    # An empty chair at 08:00 is free, but starting there would put two patients in at once: the
    # five starts levelling chooses all keep one patient in at a time, and each says so.
    assert all(local(s.start).date() == monday for s in slots)
    assert all(s.start >= at(monday, 9, 45) for s in slots)
    assert all(s.peak_patients == 1 and s.quieter for s in slots)


def test_it_lists_the_chosen_slots_by_day_and_time_with_levelling_as_a_hint(chairs, lidocaine, monday):
    put(chair=chairs[0], version=lidocaine, start=at(monday, 8))
    slots = find_slots(protocol_version=lidocaine, earliest=monday, count=60)
    starts = [s.start for s in slots]
    assert starts == sorted(starts)
    assert len({local(s.start).date() for s in slots}) > 1
    monday_slots = [s for s in slots if local(s.start).date() == monday]
    # 08:00 to 09:45 overlaps the booked session (two in at once): offered, but not as quieter.
    busy = [s for s in monday_slots if s.start < at(monday, 9, 45)]
    assert busy and not any(s.quieter for s in busy)
    assert all(s.quieter for s in monday_slots if s.peak_patients == 1)
    tuesday = [s for s in slots if local(s.start).date() == monday + timedelta(days=1)]
    assert tuesday and not any(s.quieter for s in tuesday)  # an empty day: every start is alike


def test_it_prefers_a_start_nobody_else_has_when_peaks_are_equal(chairs, lidocaine, monday, location):
    # Chairs 1 and 2 busy all day from 08:00 with back-to-back sessions: every start overlaps one of them.
    for hour, minute in ((8, 0), (9, 45), (11, 30), (13, 15), (15, 0)):
        put(chair=chairs[0], version=lidocaine, start=at(monday, hour, minute))
    slots = find_slots(protocol_version=lidocaine, earliest=monday, chair=chairs[1], count=3)
    assert all(local(s.start).date() == monday for s in slots)
    assert local(slots[0].start) not in {
        at(monday, h, m) for h, m in ((8, 0), (9, 45), (11, 30), (13, 15), (15, 0))
    }


def test_it_honours_morning_and_afternoon_preferences(chair, lidocaine, monday):
    morning = find_slots(
        protocol_version=lidocaine, earliest=monday, chair=chair, preference=Preference.MORNING, count=20
    )
    afternoon = find_slots(
        protocol_version=lidocaine, earliest=monday, chair=chair, preference=Preference.AFTERNOON, count=20
    )
    assert morning and all(local(s.start).hour < 12 for s in morning)
    assert afternoon and all(local(s.start).hour >= 12 for s in afternoon)


def test_it_does_not_offer_a_time_the_patient_is_busy_elsewhere(chairs, lidocaine, monday):
    patient = eligible_patient(lidocaine)
    put(chair=chairs[0], version=lidocaine, start=at(monday, 8), patient=patient)
    slots = find_slots(
        protocol_version=lidocaine, earliest=monday, chair=chairs[1], patient=patient, count=60
    )
    assert all(s.start >= at(monday, 9, 45) or local(s.start).date() != monday for s in slots)


def test_cancelled_time_is_offered_again(chair, lidocaine, monday):
    put(chair=chair, version=lidocaine, start=at(monday, 8), status="cancelled")
    slots = find_slots(protocol_version=lidocaine, earliest=monday, chair=chair, count=1)
    assert local(slots[0].start) == at(monday, 8)


def test_it_offers_only_future_starts_today(chair, lidocaine):
    today = timezone.localdate()
    now = at(today, 10, 7)
    slots = find_slots(protocol_version=lidocaine, earliest=today, chair=chair, count=3, now=now)
    assert all(s.start > now for s in slots)


def test_it_loads_each_block_of_days_in_a_fixed_number_of_queries(
    chairs, lidocaine, monday, django_assert_max_num_queries
):
    for day in range(20):
        for c in chairs:
            for hour in (8, 10, 12, 14):
                put(chair=c, version=lidocaine, start=at(monday + timedelta(days=day), hour))
    with django_assert_max_num_queries(6):
        slots = find_slots(protocol_version=lidocaine, earliest=monday, count=10)
    assert len(slots) == 10


class _Rollback(Exception):
    pass


def test_every_offered_slot_passes_the_booking_checks_and_respects_capacity(
    chairs, lidocaine, ketamine, monday, location
):
    """Random diaries: the finder and the booking validator must agree, and booking an offered slot
    must never put more nurse shares in the room than nurses on duty."""
    import random

    from django.db import transaction

    extra = [factories.ChairFactory(location=location, name=f"Bay 2 Chair {i}") for i in range(1, 4)]
    all_chairs = chairs + extra
    rng = random.Random(20261125)
    for _round in range(12):
        try:
            with transaction.atomic():
                if rng.random() < 0.5:
                    NurseShift.objects.create(
                        location=location,
                        date=monday,
                        starts=time(8),
                        ends=time(13),
                        nurses=rng.randint(1, 3),
                    )
                    NurseShift.objects.create(
                        location=location,
                        date=monday,
                        starts=time(13),
                        ends=time(18),
                        nurses=rng.randint(1, 3),
                    )
                for c in all_chairs:
                    minute = 8 * 60
                    while True:
                        minute += rng.choice([0, 15, 30, 60, 120])
                        version = rng.choice([lidocaine, ketamine])
                        if minute + version.chair_minutes > 18 * 60:
                            break
                        start = at(monday, minute // 60, minute % 60)
                        if not slot_problems(protocol_version=version, chair=c, start=start):
                            put(chair=c, version=version, start=start)
                        minute += version.chair_minutes
                version = rng.choice([lidocaine, ketamine])
                slots = find_slots(protocol_version=version, earliest=monday, count=15)
                assert slots
                for slot in slots:
                    assert slot_problems(protocol_version=version, chair=slot.chair, start=slot.start) == {}
                put(chair=slots[0].chair, version=version, start=slots[0].start)
                assert_capacity_respected(day=monday, location=location)
                raise _Rollback
        except _Rollback:
            pass


def assert_capacity_respected(*, day, location):
    """Brute force, independent of sessions.slots: nurse shares per minute never exceed nurses on duty."""
    from fractions import Fraction

    sessions = list(
        InfusionSession.objects.active()
        .filter(chair__location=location, start__date=day)
        .select_related("protocol_version__protocol__family")
    )
    shifts = list(NurseShift.objects.filter(location=location, date=day))
    for minute in range(8 * 60, 18 * 60):
        t = at(day, minute // 60, minute % 60)
        needed = sum(
            Fraction(1, s.protocol_version.protocol.family.nurse_ratio)
            for s in sessions
            if s.start <= t < s.end
        )
        if shifts:
            on_duty = sum(sh.nurses for sh in shifts if sh.starts <= t.time() < sh.ends)
        else:
            on_duty = 2
        assert needed <= on_duty, f"{t:%H:%M}: {needed} nurses needed, {on_duty} on duty"

"""How long does the slot finder take to return the next 10 slots for a 4-hour infusion?

12 chairs, 12 weeks of existing bookings (most chairs full every weekday, two chairs free every
other day), a rota of 4 nurses, a ketamine infusion (15 + 240 + 60 = 315 minutes in the chair,
1 nurse per 2 patients). Target: under 50 ms. Run with `make bench`.
"""

import statistics
import time as clock
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sessions.models import InfusionSession, NurseShift
from sessions.slots import find_slots
from tests import factories

LONDON = ZoneInfo("Europe/London")
CHAIRS = 12
WEEKS = 12
TARGET_MS = 50


@pytest.fixture
def clinic(db):
    location = factories.LocationFactory(name="Bench Suite")
    chairs = [
        factories.ChairFactory(location=location, name=f"Chair {i + 1}", display_order=i)
        for i in range(CHAIRS)
    ]
    lido_family = factories.ProtocolFamilyFactory(slug="lidocaine", name="Lidocaine", nurse_ratio=3)
    lidocaine = factories.ProtocolVersionFactory(
        protocol=factories.ProtocolFactory(family=lido_family, slug="lidocaine")
    )
    ket_family = factories.ProtocolFamilyFactory(slug="ketamine", name="Ketamine", nurse_ratio=2)
    ket_family.nurse_ratio = 2
    ket_family.save()
    ketamine = factories.ProtocolVersionFactory(
        protocol=factories.ProtocolFactory(family=ket_family, slug="ketamine", name="Ketamine"),
        name="Ketamine over 4 h",
        infusion_minutes=240,
        observation_minutes=60,
        course_sessions=5,
        course_interval_days=1,
    )
    user = factories.UserFactory(username="bench")
    patients = factories.PatientFactory.create_batch(40)
    today = timezone.localdate()
    sessions, shifts = [], []
    n = 0
    for offset in range(WEEKS * 7):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        shifts.append(NurseShift(location=location, date=day, starts=time(8), ends=time(18), nurses=4))
        for i, chair in enumerate(chairs):
            if i >= CHAIRS - 2 and offset % 2 == 0:
                continue  # the last two chairs are free every other day
            shift = (i * 15) % 60
            for hour, minute in ((8, 0), (10, 15), (12, 30), (14, 45)):
                start = datetime.combine(day, time(hour, minute), tzinfo=LONDON) + timedelta(minutes=shift)
                if start.astimezone(LONDON).hour >= 16 and minute + shift > 45:
                    continue
                sessions.append(
                    InfusionSession(
                        patient=patients[n % len(patients)],
                        protocol_version=lidocaine,
                        chair=chair,
                        start=start,
                        end=start + lidocaine.chair_time,
                        booked_by=user,
                    )
                )
                n += 1
    # Patients are never double-booked in real data; spread them so each holds one session at a time.
    by_start = {}
    for s in sessions:
        by_start.setdefault(s.start.date(), []).append(s)
    extra = factories.PatientFactory.create_batch(60)
    for day_sessions in by_start.values():
        for j, s in enumerate(day_sessions):
            s.patient = extra[j % len(extra)]
    InfusionSession.objects.bulk_create(sessions, batch_size=2000)
    NurseShift.objects.bulk_create(shifts)
    return {"ketamine": ketamine, "sessions": len(sessions)}


def test_bench_slot_finder_next_10_slots_for_a_4_hour_infusion(clinic):
    ketamine = clinic["ketamine"]
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as queries:
        slots = find_slots(protocol_version=ketamine, earliest=today, count=10)
    assert len(slots) == 10
    timings, cpu = [], []
    for _ in range(15):
        started, started_cpu = clock.perf_counter(), clock.process_time()
        find_slots(protocol_version=ketamine, earliest=today, count=10)
        timings.append((clock.perf_counter() - started) * 1000)
        cpu.append((clock.process_time() - started_cpu) * 1000)
    median = statistics.median(timings)
    print(
        f"\nslot finder: next 10 slots for a 315-minute ketamine session, {CHAIRS} chairs, "
        f"{clinic['sessions']} existing bookings over {WEEKS} weeks: median {median:.1f} ms, "
        f"best {min(timings):.1f} ms, worst {max(timings):.1f} ms (Python CPU median "
        f"{statistics.median(cpu):.1f} ms), {len(queries)} queries (target < {TARGET_MS} ms)"
    )
    print(
        "first slots:",
        ", ".join(f"{timezone.localtime(s.start):%a %d %b %H:%M} {s.chair.name}" for s in slots[:4]),
    )


def test_bench_slot_finder_worst_case_a_chair_full_for_12_weeks(clinic):
    """Chair 1 has no 4-hour gap for 12 weeks: the finder must read the whole diary before it finds slots."""
    from sessions.models import Chair

    ketamine = clinic["ketamine"]
    chair = Chair.objects.get(name="Chair 1", location__name="Bench Suite")
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as queries:
        slots = find_slots(protocol_version=ketamine, earliest=today, chair=chair, count=10)
    assert len(slots) == 10 and slots[0].start.date() >= today + timedelta(weeks=WEEKS - 1)
    timings = []
    for _ in range(5):
        started = clock.perf_counter()
        find_slots(protocol_version=ketamine, earliest=today, chair=chair, count=10)
        timings.append((clock.perf_counter() - started) * 1000)
    print(
        f"\nslot finder worst case (one chair full for {WEEKS} weeks, first slot after them): "
        f"median {statistics.median(timings):.1f} ms, {len(queries)} queries"
    )

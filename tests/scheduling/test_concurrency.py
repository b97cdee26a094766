"""Under concurrent requests a chair and a patient are never double-booked (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from sessions import booking
from sessions.models import InfusionSession, SessionStatus

from .. import factories
from .conftest import at, eligible_patient

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 24


def require_postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("The concurrency proof needs PostgreSQL: run with DATABASE_URL=postgres://...")


def race(jobs):
    """Run the jobs in threads released at the same moment; each thread has its own connection."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            results[i] = ("ok", job())
        except ValidationError as exc:
            results[i] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - an unexpected error must fail the test, not hang it
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_only_one_of_many_simultaneous_bookings_of_a_chair_succeeds(lidocaine, chair, monday, booker):
    require_postgresql()
    patients = [eligible_patient(lidocaine) for _ in range(ATTEMPTS)]
    start = at(monday, 9)

    def attempt(patient):
        return lambda: booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=chair, start=start, booked_by=booker
        )

    results = race([attempt(p) for p in patients])
    outcomes = [r[0] for r in results]
    assert outcomes.count("ok") == 1, results
    assert outcomes.count("refused") == ATTEMPTS - 1, results
    assert InfusionSession.objects.filter(chair=chair).count() == 1


def test_only_one_of_many_simultaneous_bookings_of_a_patient_succeeds(lidocaine, location, monday, booker):
    require_postgresql()
    chairs = [factories.ChairFactory(location=location, name=f"Race {i}") for i in range(ATTEMPTS)]
    patient = eligible_patient(lidocaine)

    def attempt(c, hour):
        return lambda: booking.book_session(
            patient=patient, protocol_version=lidocaine, chair=c, start=at(monday, hour), booked_by=booker
        )

    # Different chairs, overlapping times (09:00 and 10:00 overlap a 105-minute session).
    results = race([attempt(c, 9 + i % 2) for i, c in enumerate(chairs)])
    assert [r[0] for r in results].count("ok") == 1, results
    assert InfusionSession.objects.filter(patient=patient).count() == 1


def test_the_database_refuses_overlaps_even_without_the_service(lidocaine, chairs, monday, booker):
    require_postgresql()
    first = booking.book_session(
        patient=eligible_patient(lidocaine),
        protocol_version=lidocaine,
        chair=chairs[0],
        start=at(monday, 9),
        booked_by=booker,
    )

    def raw(**kw):
        values = dict(
            patient=first.patient,
            protocol_version=lidocaine,
            chair=first.chair,
            start=at(monday, 10),
            booked_by=booker,
        )
        values.update(kw)
        values["end"] = values["start"] + lidocaine.chair_time
        with transaction.atomic():
            InfusionSession.objects.create(**values)

    with pytest.raises(IntegrityError, match="session_no_chair_overlap"):
        raw(patient=eligible_patient(lidocaine))
    with pytest.raises(IntegrityError, match="session_no_patient_overlap"):
        raw(chair=chairs[1])
    # Inactive rows do not hold time: a cancelled overlap is allowed.
    raw(patient=eligible_patient(lidocaine), status=SessionStatus.CANCELLED)
    assert InfusionSession.objects.count() == 2

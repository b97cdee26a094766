"""Two prescribers saving at once for the same patient and family: both succeed in turn, one stays active."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from patients.models import Prescription
from patients.services import prescribe
from protocols.seed import seed_protocol_library
from protocols.selectors import current_versions
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_prescriptions_leave_exactly_one_active_per_family():
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL (row locks).")
    seed_protocol_library()
    version = current_versions().get(protocol__slug="methylprednisolone")
    patient = factories.PatientFactory()
    prescribers = [factories.specialist_user(), factories.specialist_user()]
    barrier = threading.Barrier(2)
    errors = []

    def work(user, dose):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            prescribe(patient=patient, protocol_version=version, override_dose=dose, by=user)
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=work, args=(prescribers[0], D("500"))),
        threading.Thread(target=work, args=(prescribers[1], D("400"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert Prescription.objects.filter(patient=patient).count() == 2
    assert Prescription.objects.filter(patient=patient, is_active=True).count() == 1

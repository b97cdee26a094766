"""A late observation racing the nurse's completion: the session row lock serialises them, so the
observation either lands before the record locks or is refused after it (PostgreSQL, real threads)."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from records import services
from records.models import VitalSigns
from sessions.models import InfusionSession, SessionStatus

from .conftest import NORMAL

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_observation_waiting_on_a_completion_is_refused_once_the_record_locks(make_session, nurse):
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL (row locks).")
    session = make_session()
    services.start_infusion(session=session, by=nurse, started_at=timezone.now() - timedelta(minutes=30))
    outcome = {}

    def late_observation():
        try:
            services.record_vital_signs(session=session, by=nurse, observed_at=timezone.now(), **NORMAL)
            outcome["result"] = "saved"
        except ValidationError as exc:
            outcome["result"] = exc.messages[0]
        finally:
            connection.close()

    with transaction.atomic():
        locked = InfusionSession.objects.select_for_update().get(pk=session.pk)
        worker = threading.Thread(target=late_observation)
        worker.start()
        time.sleep(1.0)  # the worker is now waiting on the row lock
        assert worker.is_alive()
        locked.status = SessionStatus.COMPLETED
        locked.save(update_fields=["status"])
    worker.join(timeout=20)
    assert "read-only" in outcome["result"]
    assert not VitalSigns.objects.filter(session=session).exists()

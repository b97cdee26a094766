"""10,000 due reminders (5,000 sessions x email and SMS) handled by one worker-equivalent: the
periodic task run in-process, each delivery done inline as a worker would. Prints time and peak
memory; asserts every reminder was sent exactly once. Run with `make bench`."""

import os
import resource
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from followup.messaging import LocmemSMSBackend
from followup.models import ReminderLog, ReminderStatus
from followup.tasks import send_due_reminders
from patients.models import Patient
from sessions.models import Chair, InfusionSession, Location, SessionStatus
from tests import factories

SESSIONS = int(os.environ.get("BENCH_REMINDER_SESSIONS", 5_000))
TARGET_SECONDS = 60


@pytest.fixture
def due_sessions(transactional_db, settings):
    settings.SMS_BACKEND = "followup.messaging.LocmemSMSBackend"
    settings.SMS_QUIET_HOURS = ""
    settings.EMAIL_CONFIGURED = True
    LocmemSMSBackend.outbox.clear()
    mail.outbox = []
    version = factories.ProtocolVersionFactory()
    user = factories.UserFactory()
    location = Location.objects.create(name="Bench Infusion Suite")
    slots = 44  # one-hour sessions from 2 h to 46 h ahead: every one is due (24 h or 48 h reminder)
    chairs = Chair.objects.bulk_create(
        Chair(location=location, name=f"Bench chair {n}", display_order=n)
        for n in range(SESSIONS // slots + 1)
    )
    patients = Patient.objects.bulk_create(
        Patient(
            first_name=f"Bench{n}",
            last_name="Patient",
            date_of_birth="1970-01-01",
            phone=f"07700 900{n % 1000:03d}",  # Ofcom drama range only
            email=f"bench{n}@example.org",
            consent_email=True,
            consent_sms=True,
        )
        for n in range(SESSIONS)
    )
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    InfusionSession.objects.bulk_create(
        InfusionSession(
            patient=patient,
            protocol_version=version,
            chair=chairs[n // slots],
            booked_by=user,
            start=base + timedelta(hours=n % slots),
            end=base + timedelta(hours=n % slots, minutes=50),
            status=SessionStatus.BOOKED,
        )
        for n, patient in enumerate(patients)
    )
    yield patients
    LocmemSMSBackend.outbox.clear()
    mail.outbox = []


def test_bench_10000_due_reminders_sent_exactly_once(due_sessions):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = time.process_time()
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        summary = profiler.runcall(send_due_reminders)
        profiler.dump_stats(os.environ["BENCH_PROFILE"])
    else:
        summary = send_due_reminders()  # the beat task, in-process; deliveries inline (no broker)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    second = send_due_reminders()  # a duplicated run afterwards sends nothing

    reminders = 2 * SESSIONS
    print(
        f"\nbench_reminders: {reminders} reminders ({SESSIONS} sessions x email+SMS) in {elapsed:.1f} s "
        f"({reminders / elapsed:.0f}/s, {cpu:.1f} s CPU in this process); "
        f"process max RSS {rss_after / 1024:.0f} MiB (was {rss_before / 1024:.0f} MiB before the run); "
        f"second run claimed {second['claimed']}"
    )
    assert summary["claimed"] == reminders and second["claimed"] == 0
    emails = [m.to[0] for m in mail.outbox]
    assert len(emails) == SESSIONS and len(set(emails)) == SESSIONS
    # Demo phones come from Ofcom's 1,000-number drama range, so numbers repeat: each reminder's
    # idempotency key is what must be unique.
    keys = [sms.key for sms in LocmemSMSBackend.outbox]
    assert len(keys) == SESSIONS and len(set(keys)) == SESSIONS
    assert ReminderLog.objects.count() == reminders
    assert ReminderLog.objects.filter(status=ReminderStatus.SENT, attempts=1).count() == reminders
    assert elapsed < TARGET_SECONDS, f"{elapsed:.1f} s is over the {TARGET_SECONDS} s target"

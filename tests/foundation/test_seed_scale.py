"""seed_scale (demo/scale.py): a small run makes coherent data that the database's own rules accept,
the same seed makes the same data, and a database holding patients is refused without --force."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, F, Q

from billing.models import Invoice, InvoiceLine, InvoiceSequence
from followup.models import OutcomeReview, PainDiaryEntry, ReminderLog
from patients.models import Patient, Prescription, Referral
from records.escalation_rules import unescalated_alerts
from records.models import InfusionRecord, VitalSigns
from sessions.models import ACTIVE_STATUSES, Course, InfusionSession
from tests import factories

SMALL = ["--years", "1", "--patients", "50", "--seed", "7"]


def seed(*args):
    out, err = StringIO(), StringIO()
    call_command("seed_scale", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def key_fields():
    """What must come out the same from the same seed, by position (ids start where the tables are)."""
    patients = list(
        Patient.objects.order_by("id").values_list("first_name", "last_name", "date_of_birth", "nhs_number")
    )
    sessions = list(
        InfusionSession.objects.order_by("id").values_list(
            "patient__nhs_number", "chair__name", "start", "end", "status"
        )
    )
    vitals = list(
        VitalSigns.objects.order_by("id").values_list("observed_at", "systolic", "heart_rate", "news2_total")
    )
    invoices = list(Invoice.objects.order_by("id").values_list("number", "status", "total"))
    diaries = list(PainDiaryEntry.objects.order_by("id").values_list("recorded_at", "pain_now", "pain_worst"))
    return patients, sessions, vitals, invoices, diaries


def wipe():
    """Empty the tables the seed fills, as a fresh database would be (TRUNCATE passes no row trigger)."""
    tables = [
        "billing_preauthorisationuse",
        "billing_invoiceline",
        "billing_invoice",
        "billing_preauthorisation",
        "infusion_sessions_reminderlog",
        "patients_outcomereview",
        "patients_paindiaryentry",
        "infusion_sessions_escalation",
        "infusion_sessions_adverseevent",
        "infusion_sessions_vitalsigns",
        "infusion_sessions_ratechange",
        "infusion_sessions_infusionrecord",
        "infusion_sessions_infusionsession",
        "infusion_sessions_course",
        "protocols_prescription",
        "patients_weightrecord",
        "patients_eligibilityassessment",
        "patients_referral",
        "patients_patient",
        "infusion_sessions_nurseshift",
        "billing_invoicesequence",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


@pytest.mark.django_db(transaction=True)
def test_small_run_is_coherent_and_deterministic(clinic_morning):
    out, err = seed(*SMALL)

    assert "Scale dataset ready" in out
    assert "seed_scale [" in err and "13/13" in err  # the progress lines
    assert Patient.objects.count() == 50
    assert Referral.objects.count() == 50
    sessions = InfusionSession.objects.all()
    assert sessions.count() > 100
    assert Course.objects.count() > 20
    # Every status a year of a unit has, today's included (the clock stands at 11:00 on a Wednesday).
    statuses = set(sessions.values_list("status", flat=True))
    assert {"signed_off", "completed", "cancelled", "dna", "booked"} <= statuses
    assert sessions.filter(start__date=clinic_morning.date()).exists()
    # A record for every session that started, none for those that did not.
    charted = sessions.filter(status__in=["in_progress", "completed", "signed_off"])
    assert InfusionRecord.objects.count() == charted.count()
    assert not InfusionRecord.objects.exclude(session__in=charted).exists()
    assert not InfusionRecord.objects.filter(
        session__status="signed_off", signed_off_at__isnull=True
    ).exists()
    # Observations scored as VitalSigns.save() scores them, and every alert answered by an escalation.
    vitals = VitalSigns.objects.all()
    assert vitals.count() > 5 * charted.count()
    for v in vitals.order_by("?")[:200]:
        assert v.news2_total == v.compute_news2().total
        assert v.alert_level == v.compute_news2().alert_level
    assert not unescalated_alerts().exists()
    # The long record for the benchmark: one session with 200 observations.
    most = VitalSigns.objects.values("session").annotate(n=Count("id")).order_by("-n").first()
    assert most["n"] == 200
    # No chair or patient holds two active sessions at once (the exclusion constraints held too).
    active = list(sessions.filter(status__in=ACTIVE_STATUSES).values_list("chair", "patient", "start", "end"))
    for key in (0, 1):
        by = {}
        for row in active:
            by.setdefault(row[key], []).append((row[2], row[3]))
        for spans in by.values():
            spans.sort()
            assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    # Follow-up and billing.
    assert PainDiaryEntry.objects.exists()
    assert PainDiaryEntry.objects.filter(reviewed_at__isnull=True).exists()
    assert not PainDiaryEntry.objects.filter(
        Q(pain_worst__lt=F("pain_average")) | Q(pain_worst__lt=F("pain_now"))
    ).exists()
    assert OutcomeReview.objects.filter(status="completed").exists()
    assert OutcomeReview.objects.filter(status="due").exists()
    assert ReminderLog.objects.filter(status="sent").exists()
    assert (
        Prescription.objects.filter(is_active=True).count()
        == Patient.objects.filter(courses__isnull=False).distinct().count()
    )
    issued = Invoice.objects.exclude(status="draft")
    assert issued.exists()
    assert not issued.filter(number__isnull=True).exists()
    numbers = sorted(issued.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps, as issuing one at a time gives
    assert InvoiceSequence.objects.get(name="invoice").last_number == numbers[-1]
    assert (
        not InvoiceLine.objects.filter(kind="session")
        .exclude(session__patient__referrals__funding_route__in=["self_pay", "insured"])
        .exists()
    )
    # The database's own rules are in force over the seeded rows: a charted row of a signed-off
    # record does not change, and an issued invoice takes no new line.
    locked = VitalSigns.objects.filter(session__status="signed_off").first()
    with pytest.raises(Exception, match="locked"), transaction.atomic():
        VitalSigns.objects.filter(pk=locked.pk).update(pain=0)
    with pytest.raises(Exception, match="draft"), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=issued.first(), kind="review", description="x", unit_price=1, amount=1
        )

    first = key_fields()
    wipe()
    seed(*SMALL)
    assert key_fields() == first

    wipe()
    seed("--years", "1", "--patients", "50", "--seed", "8")
    assert key_fields() != first


@pytest.mark.django_db
def test_refuses_a_database_with_patients_unless_forced(clinic_morning):
    factories.PatientFactory()

    with pytest.raises(CommandError, match="already holds 1 patients"):
        seed(*SMALL)
    assert Patient.objects.count() == 1
    assert not InfusionSession.objects.exists()

    out, _err = seed(*SMALL, "--force")
    assert "Scale dataset ready" in out
    assert Patient.objects.count() == 51

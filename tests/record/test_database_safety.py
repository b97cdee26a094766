"""The database itself refuses what the services refuse: unknown statuses, malformed NHS numbers, changes
to a locked record's charted rows and to an issued invoice's lines, even when written by raw SQL."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.models import InvoiceLine
from billing.services import issue_invoice, session_completed
from followup.models import DiaryPrompt, OutcomeReview, ReminderLog
from patients.models import Referral, ReferralEvent
from patients.services import create_referral
from records import services
from records.models import AdverseEvent, InfusionRecord, RateChange, VitalSigns
from sessions.models import Course, InfusionSession
from tests import factories

from .conftest import chart, finish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    assert connection.vendor == "postgresql", "these are PostgreSQL's constraints and triggers"


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def snapshot(table, session):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE session_id = %s ORDER BY id", [session.pk])
        return cursor.fetchall()


def refused(statement, params=()):
    """True when PostgreSQL refuses the statement; the savepoint keeps the test's transaction usable."""
    try:
        with transaction.atomic():
            sql(statement, params)
    except IntegrityError:
        return True
    return False


# --- status columns --------------------------------------------------------------------------


@pytest.fixture
def rows(started_session, nurse, invoice):
    session = started_session
    referral = create_referral(
        patient=session.patient,
        created_by=nurse,
        received_on=timezone.localdate() - timedelta(days=30),
        condition="neuropathic",
        gp_practice_name="Riverside Medical Practice",
        funding_route="nhs",
        commissioner=factories.CommissionerFactory(),
    )
    course = Course.objects.create(
        patient=session.patient, protocol_version=session.protocol_version, created_by=nurse
    )
    return {
        InfusionSession: session.pk,
        InfusionRecord: InfusionRecord.objects.get(session=session).pk,
        Referral: referral.pk,
        ReferralEvent: referral.events.get().pk,
        ReminderLog: ReminderLog.objects.create(
            session=session, kind="24h", channel="email", claimed_at=timezone.now()
        ).pk,
        DiaryPrompt: DiaryPrompt.objects.create(patient=session.patient).pk,
        OutcomeReview: OutcomeReview.objects.create(
            patient=session.patient, course=course, offset_days=14, due_on=timezone.localdate()
        ).pk,
        "invoice": invoice.pk,
    }


STATUS_COLUMNS = [
    (InfusionSession, "status"),
    (InfusionRecord, "state"),
    (Referral, "status"),
    (ReferralEvent, "to_status"),
    (ReferralEvent, "from_status"),
    (ReminderLog, "status"),
    (DiaryPrompt, "status"),
    (OutcomeReview, "status"),
    ("invoice", "status"),
    ("invoice", "kind"),
]


@pytest.mark.parametrize(("model", "column"), STATUS_COLUMNS, ids=lambda v: getattr(v, "__name__", v))
def test_it_refuses_a_status_outside_the_choices_written_by_sql(rows, model, column):
    table = "billing_invoice" if model == "invoice" else model._meta.db_table
    pk = rows[model]
    assert refused(f"UPDATE {table} SET {column} = 'bogus' WHERE id = %s", [pk])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        assert cursor.fetchone()[0] != "bogus"


def test_a_bogus_session_status_cannot_slip_past_the_overlap_constraints(started_session):
    """The exclusion constraints count active statuses only; an unknown status would have hidden a clash."""
    session = started_session
    assert refused(
        "INSERT INTO infusion_sessions_infusionsession (patient_id, chair_id, protocol_version_id, "
        'booked_by_id, start, "end", status, sequence, booked_at, cancel_reason, late_cancellation) '
        "SELECT patient_id, chair_id, protocol_version_id, booked_by_id, start, \"end\", 'bogus', 1, now(), '', false "
        "FROM infusion_sessions_infusionsession WHERE id = %s",
        [session.pk],
    )
    assert InfusionSession.objects.count() == 1


# --- NHS numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "943476591",  # nine digits
        "943 476 59",  # spaces are stripped before saving
        "94347659x9",
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # full-width digits
        "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",  # Arabic-Indic digits
        "\u096f\u096a\u0969\u096a\u096d\u096c\u096b\u096f\u0967\u096f",  # Devanagari digits
    ],
)
def test_it_refuses_an_nhs_number_that_is_not_ten_ascii_digits(value):
    patient = factories.PatientFactory(nhs_number="")
    assert refused("UPDATE patients_patient SET nhs_number = %s WHERE id = %s", [value, patient.pk])


@pytest.mark.parametrize("value", ["9434765919", ""])
def test_it_stores_ten_ascii_digits_or_no_nhs_number(value):
    patient = factories.PatientFactory(nhs_number="")
    assert sql("UPDATE patients_patient SET nhs_number = %s WHERE id = %s", [value, patient.pk]) == 1


# --- the charted rows of a locked record -----------------------------------------------------------


@pytest.fixture
def charted(started_session, nurse):
    """An open record with an observation, a rate change and an adverse event."""
    session = started_session
    vitals = chart(session, nurse, minutes_ago=20)
    services.change_rate(
        session=session,
        by=nurse,
        rate_ml_per_h="200",
        reason="tolerating",
        changed_at=timezone.now() - timedelta(minutes=15),
    )
    event = services.record_adverse_event(
        session=session,
        by=nurse,
        occurred_at=timezone.now() - timedelta(minutes=10),
        event_type="nausea",
        severity="mild",
        action_taken="none",
    )
    return session, vitals, event


CHARTED = [
    ("infusion_sessions_vitalsigns", "UPDATE {t} SET systolic = 200 WHERE session_id = %s"),
    ("infusion_sessions_vitalsigns", "DELETE FROM {t} WHERE session_id = %s"),
    ("infusion_sessions_ratechange", "UPDATE {t} SET rate_ml_per_h = 999 WHERE session_id = %s"),
    ("infusion_sessions_ratechange", "DELETE FROM {t} WHERE session_id = %s"),
    ("infusion_sessions_adverseevent", "UPDATE {t} SET severity = 'severe' WHERE session_id = %s"),
    ("infusion_sessions_adverseevent", "DELETE FROM {t} WHERE session_id = %s"),
]


@pytest.mark.parametrize(("table", "statement"), CHARTED)
def test_sql_cannot_change_the_charted_rows_of_a_completed_or_signed_off_record(
    charted, nurse, specialist, table, statement
):
    session, _vitals, _event = charted
    finish(session, nurse)
    before = snapshot(table, session)
    assert refused(statement.format(t=table), [session.pk])
    services.sign_off_session(session=session, by=specialist)
    assert refused(statement.format(t=table), [session.pk])
    assert snapshot(table, session) == before


def test_sql_may_still_correct_an_open_record(charted):
    session, vitals, _event = charted
    assert sql("UPDATE infusion_sessions_vitalsigns SET pain = 5 WHERE id = %s", [vitals.pk]) == 1


def test_an_amendment_still_corrects_a_signed_off_record_and_keeps_the_original(charted, nurse, specialist):
    session, vitals, event = charted
    finish(session, nurse)
    services.sign_off_session(session=session, by=specialist)
    change = RateChange.objects.get(session=session, kind="rate")
    services.amend_vital_signs(
        vital_signs=vitals, by=specialist, field="systolic", value="118", reason="misread"
    )
    services.amend_adverse_event(
        adverse_event=event, by=specialist, field="severity", value="moderate", reason="per notes"
    )
    services.amend_rate_change(
        rate_change=change, by=specialist, field="reason", value="well tolerated", reason="typo"
    )
    assert VitalSigns.objects.get(pk=vitals.pk).systolic == 118
    assert AdverseEvent.objects.get(pk=event.pk).severity == "moderate"
    assert RateChange.objects.get(pk=change.pk).reason == "well tolerated"
    assert session.amendments.count() == 3
    assert VitalSigns.objects.get(pk=vitals.pk).history.count() == 2
    # the amendment opened no door: plain SQL is refused again afterwards
    assert refused("UPDATE infusion_sessions_vitalsigns SET systolic = 200 WHERE id = %s", [vitals.pk])


# --- the lines of an issued invoice ---------------------------------------------------------------


@pytest.fixture
def invoice(make_session, nurse):
    version = factories.ProtocolVersionFactory()
    factories.PriceListFactory(protocol_family=version.protocol.family, funding_route="self_pay")
    referral = factories.ReferralFactory(funding_route="self_pay", commissioner=None, status="accepted")
    session = make_session(patient=referral.patient, referral=referral, version=version, status="completed")
    return session_completed(session=session)


def test_sql_may_adjust_a_draft_invoices_lines(invoice):
    assert (
        sql("UPDATE billing_invoiceline SET unit_price = 1, amount = 1 WHERE invoice_id = %s", [invoice.pk])
        == 1
    )


@pytest.mark.parametrize("status", ["issued", "paid", "void"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE billing_invoiceline SET amount = 1 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
        "INSERT INTO billing_invoiceline (invoice_id, kind, description, quantity, unit_price, amount) "
        "SELECT invoice_id, kind, 'extra', 1, 10, 10 FROM billing_invoiceline WHERE invoice_id = %s",
    ],
)
def test_sql_cannot_change_the_lines_of_an_issued_invoice(invoice, clinic_admin, status, statement):
    issue_invoice(invoice=invoice, issued_by=clinic_admin)
    if status != "issued":
        sql("UPDATE billing_invoice SET status = %s WHERE id = %s", [status, invoice.pk])
    line = InvoiceLine.objects.get(invoice=invoice)
    assert refused(statement, [invoice.pk])
    assert list(InvoiceLine.objects.filter(invoice=invoice).values_list("pk", "amount")) == [
        (line.pk, line.amount)
    ]

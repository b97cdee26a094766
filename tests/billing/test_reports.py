from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import reports
from patients.models import OutcomeReview
from sessions.models import AdverseEvent, Course

from .. import factories
from ..conftest import CLINIC_MORNING
from .conftest import referral, session, version

pytestmark = pytest.mark.django_db

TODAY = CLINIC_MORNING.date()


@pytest.fixture(autouse=True)
def _pinned_clock(clinic_morning):
    """The reports count back from today: pin it, so that a run across midnight sees one today."""


def _weekday_before(d):
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def _adverse_event(s, severity="mild"):
    return AdverseEvent.objects.create(
        session=s,
        occurred_at=s.start + timedelta(minutes=30),
        event_type="dizziness",
        severity=severity,
        action_taken="rate_reduced",
        recorded_by=s.booked_by,
    )


def _review(ref, *, r30, r50, slug="lidocaine", offset=14):
    course = Course.objects.create(
        patient=ref.patient, referral=ref, protocol_version=version(slug), created_by=ref.created_by
    )
    return OutcomeReview.objects.create(
        patient=ref.patient,
        course=course,
        offset_days=offset,
        due_on=TODAY,
        status="completed",
        current_pain=3,
        pgic=2,
        baseline_pain=Decimal("7"),
        percent_reduction=Decimal("57.1"),
        responder_30=r30,
        responder_50=r50,
        decision="continue",
        completed_at=timezone.now(),
        completed_by=ref.created_by,
    )


def populate(n):
    """n of everything every report reads, spread over the last fortnight."""
    day = _weekday_before(TODAY - timedelta(days=1))
    for i in range(n):
        ref = referral("nhs")
        on = _weekday_before(day - timedelta(days=i % 7))
        done = session(referral=ref, on=on, status="completed")
        _adverse_event(done)
        session(referral=ref, on=on, status="dna", hour=13)
        session(referral=referral("self_pay"), on=day, status="cancelled", late_cancellation=True)
        factories.ReferralFactory(received_on=TODAY - timedelta(days=30 + i * 20))
        _review(ref, r30=True, r50=i % 2 == 0)


REPORT_URLS = [
    reverse("billing:report", args=["utilisation"]),
    reverse("billing:report", args=["attendance"]),
    reverse("billing:report", args=["outcomes"]),
    reverse("billing:report", args=["adverse-events"]),
    reverse("billing:waiting_list"),
    reverse("billing:nhs_activity"),
    reverse("billing:report", args=["utilisation"]) + "?format=csv",
    reverse("billing:report", args=["utilisation"]) + "?format=csv&by=chair",
    reverse("billing:waiting_list") + "?format=csv",
    reverse("billing:nhs_activity") + "?format=csv",
]
BUDGET = 14  # session, user, permissions, a few aggregates; the same at both sizes


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("url", REPORT_URLS)
def test_report_pages_keep_a_constant_query_count(
    url, size, admin_client_role, django_assert_max_num_queries
):
    populate(size)
    admin_client_role.get(reverse("dashboard"))  # warm the session and permission caches alike
    with django_assert_max_num_queries(BUDGET):
        response = admin_client_role.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_invoice_list_and_dashboard_keep_a_constant_query_count(
    size, admin_client_role, reception_client, django_assert_max_num_queries
):
    factories.PriceListFactory(protocol_family=version().protocol.family)
    from billing.services import session_completed

    for _ in range(size):
        session_completed(session=session(referral=referral("self_pay")))
    with django_assert_max_num_queries(12):
        assert admin_client_role.get(reverse("billing:invoice_list")).status_code == 200
    with django_assert_max_num_queries(30):
        assert reception_client.get(reverse("dashboard")).status_code == 200


def test_utilisation_is_booked_chair_time_over_open_chair_time():
    chair = factories.ChairFactory()  # Mon-Fri 08:00-18:00: 600 chair-minutes a weekday
    day = _weekday_before(TODAY - timedelta(days=1))
    session(referral=referral("nhs"), on=day, chair=chair, hour=9)  # 105 min (15 + 60 + 30)
    session(referral=referral("nhs"), on=day, chair=chair, hour=12, status="cancelled")
    result = reports.utilisation(day, day)
    assert result.rows[0]["utilisation"] == Decimal("17.5")
    assert result.rows[0]["open_hours"] == 10.0
    saturday = day + timedelta(days=(5 - day.weekday()))
    assert reports.utilisation(saturday, saturday).rows[0]["utilisation"] is None


def test_a_closure_removes_the_day_from_capacity():
    chair = factories.ChairFactory()
    day = _weekday_before(TODAY - timedelta(days=1))
    chair.location.closures.create(starts_on=day, ends_on=day, reason="Training day")
    assert reports.chair_capacity(day, day)[day] == 0


def test_dna_and_late_cancellation_rates():
    day = _weekday_before(TODAY - timedelta(days=1))
    ref = referral("nhs")
    for hour in (7, 9, 11):
        session(referral=ref, on=day, hour=hour, status="completed")
    session(referral=ref, on=day, hour=13, status="dna")
    session(referral=ref, on=day, hour=15, status="cancelled", late_cancellation=True)
    session(referral=ref, on=day, hour=17, status="cancelled")
    result = reports.attendance(day, day)
    assert result.totals["dna_rate"] == Decimal("25.0")  # 1 of 4 due
    assert result.totals["late_cancellation_rate"] == Decimal("16.7")  # 1 of 6 appointments


def test_the_waiting_list_counts_breaches_past_126_days():
    factories.ReferralFactory(received_on=TODAY - timedelta(days=126))
    factories.ReferralFactory(received_on=TODAY - timedelta(days=127))
    factories.ReferralFactory(received_on=TODAY - timedelta(days=10))
    factories.ReferralFactory(
        received_on=TODAY - timedelta(days=300), rtt_stopped_on=TODAY - timedelta(days=100)
    )
    factories.ReferralFactory(received_on=TODAY - timedelta(days=300), status="declined")
    referral("self_pay", received_on=TODAY - timedelta(days=300))
    result = reports.waiting_list()
    assert result.totals == {"referrals": 3, "breaches": 1, "breach_rate": Decimal("33.3")}
    assert [r["referrals"] for r in result.rows] == [1, 0, 1, 1]
    rows = reports.waiting_list_rows(reports.waiting_list_queryset())
    assert [r["breach"] for r in rows] == [True, False, False]


def test_nhs_activity_per_commissioner_for_a_month_as_page_and_csv(admin_client_role):
    month = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    month = date(month.year, month.month, 1)
    day = _weekday_before(month + timedelta(days=14))
    qop = referral("nhs")
    other = referral(
        "nhs",
        commissioner=factories.CommissionerFactory(name="NHS Cheshire and Merseyside ICB", ods_code="QYG"),
    )
    session(referral=qop, on=day, hour=9)
    session(referral=qop, on=day + timedelta(days=1), hour=9, status="signed_off")
    session(referral=qop, on=day + timedelta(days=2), hour=9, status="dna")
    session(referral=other, on=day, hour=11, slug="ketamine")
    session(referral=referral("self_pay"), on=day, hour=13)  # private: not NHS activity
    session(referral=qop, on=month - timedelta(days=3), hour=9)  # previous month
    result = reports.nhs_activity(month)
    assert [(r["ods_code"], r["protocol"], r["sessions"], r["patients"], r["dna"]) for r in result.rows] == [
        ("QYG", "Ketamine", 1, 1, 0),
        ("QOP", "Lidocaine", 2, 1, 1),
    ]
    response = admin_client_role.get(
        reverse("billing:nhs_activity"),
        {"month": f"{month:%Y-%m}", "commissioner": qop.commissioner.pk, "format": "csv"},
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "Month,ODS code,Commissioner,Protocol,Sessions given,Patients treated,Did not attend"
    assert lines[1] == f"{month:%Y-%m},QOP,NHS Greater Manchester Integrated Care Board,Lidocaine,2,1,1"
    page = admin_client_role.get(
        reverse("billing:nhs_activity"), {"month": f"{month:%Y-%m}"}
    ).content.decode()
    assert "NHS Cheshire and Merseyside ICB" in page


def test_adverse_events_per_100_infusions():
    day = _weekday_before(TODAY - timedelta(days=1))
    ref = referral("nhs")
    given = [session(referral=ref, on=day - timedelta(days=i), hour=9) for i in range(4)]
    _adverse_event(given[0])
    _adverse_event(given[1], severity="severe")
    result = reports.adverse_events(day - timedelta(days=10), day)
    assert result.rows == [
        {"protocol": "Lidocaine", "infusions": 4, "events": 2, "severe": 1, "per_100": Decimal("50.0")}
    ]


def test_outcomes_give_the_share_of_30_and_50_percent_responders():
    ref = referral("nhs")
    _review(ref, r30=True, r50=True)
    _review(referral("nhs"), r30=True, r50=False)
    _review(referral("nhs"), r30=False, r50=False)
    _review(referral("nhs"), r30=True, r50=False, offset=42)
    result = reports.outcomes(TODAY - timedelta(days=1), TODAY)
    two_weeks = next(r for r in result.rows if r["review"] == "2 weeks")
    assert (two_weeks["reviews"], two_weeks["share_30"], two_weeks["share_50"]) == (
        3,
        Decimal("66.7"),
        Decimal("33.3"),
    )
    assert result.totals["share_30"] == Decimal("75.0")


def test_a_report_csv_has_the_rows_and_a_total(admin_client_role):
    day = _weekday_before(TODAY - timedelta(days=1))
    session(referral=referral("nhs"), on=day, hour=9, status="dna")
    response = admin_client_role.get(
        reverse("billing:report", args=["attendance"]),
        {"start": day.isoformat(), "end": day.isoformat(), "format": "csv"},
    )
    rows = response.content.decode().strip().splitlines()
    assert rows[0].startswith("Week commencing,Attended,Did not attend")
    assert rows[-1].startswith("Total,0,1,0,0,100.0")


@pytest.mark.parametrize("url", REPORT_URLS)
def test_report_query_counts_are_equal_at_two_data_sizes(url, admin_client_role):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin_client_role.get(reverse("dashboard"))
    populate(2)
    with CaptureQueriesContext(connection) as small:
        admin_client_role.get(url)
    populate(10)
    with CaptureQueriesContext(connection) as large:
        assert admin_client_role.get(url).status_code == 200
    assert len(small) == len(large), url

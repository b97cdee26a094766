"""The clinic reports: their figures, CSVs and query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.models import OutcomeReview
from patients.rtt import BREACH_AFTER_DAYS, rtt_clock
from records.models import AdverseEvent
from reports import selectors
from sessions.models import Course

from .. import factories
from ..billing.conftest import referral, session, version
from ..conftest import CLINIC_MORNING

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
    reverse("reports:report", args=["utilisation"]),
    reverse("reports:report", args=["attendance"]),
    reverse("reports:report", args=["outcomes"]),
    reverse("reports:report", args=["adverse-events"]),
    reverse("reports:waiting_list"),
    reverse("reports:report", args=["utilisation"]) + "?format=csv",
    reverse("reports:report", args=["utilisation"]) + "?format=csv&by=chair",
    reverse("reports:waiting_list") + "?format=csv",
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


def test_utilisation_is_booked_chair_time_over_open_chair_time():
    chair = factories.ChairFactory()  # Mon-Fri 08:00-18:00: 600 chair-minutes a weekday
    day = _weekday_before(TODAY - timedelta(days=1))
    session(referral=referral("nhs"), on=day, chair=chair, hour=9)  # 105 min (15 + 60 + 30)
    session(referral=referral("nhs"), on=day, chair=chair, hour=12, status="cancelled")
    result = selectors.utilisation(day, day)
    assert result.rows[0]["utilisation"] == Decimal("17.5")
    assert result.rows[0]["open_hours"] == 10.0
    saturday = day + timedelta(days=(5 - day.weekday()))
    assert selectors.utilisation(saturday, saturday).rows[0]["utilisation"] is None


def test_a_closure_removes_the_day_from_capacity():
    chair = factories.ChairFactory()
    day = _weekday_before(TODAY - timedelta(days=1))
    chair.location.closures.create(starts_on=day, ends_on=day, reason="Training day")
    assert selectors.chair_capacity(day, day)[day] == 0


def test_dna_and_late_cancellation_rates():
    day = _weekday_before(TODAY - timedelta(days=1))
    ref = referral("nhs")
    for hour in (7, 9, 11):
        session(referral=ref, on=day, hour=hour, status="completed")
    session(referral=ref, on=day, hour=13, status="dna")
    session(referral=ref, on=day, hour=15, status="cancelled", late_cancellation=True)
    session(referral=ref, on=day, hour=17, status="cancelled")
    result = selectors.attendance(day, day)
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
    result = selectors.waiting_list()
    assert result.totals == {"referrals": 3, "breaches": 1, "breach_rate": Decimal("33.3")}
    assert [r["referrals"] for r in result.rows] == [1, 0, 1, 1]
    rows = selectors.waiting_list_rows(selectors.waiting_list_queryset())
    assert [r["breach"] for r in rows] == [True, False, False]


def test_the_waiting_list_report_follows_the_rtt_clock_of_patients_rtt():
    for days in (0, 41, 42, 84, 85, 104, 105, BREACH_AFTER_DAYS, BREACH_AFTER_DAYS + 1, 400):
        factories.ReferralFactory(received_on=TODAY - timedelta(days=days))
    rows = selectors.waiting_list_rows(selectors.waiting_list_queryset(), today=TODAY)
    for row in rows:
        clock = rtt_clock(row["referral"], today=TODAY)
        assert (row["days_waited"], row["weeks_waited"], row["breach"]) == (
            clock.days_waited,
            clock.weeks_waited,
            clock.breached,
        )
    summary = selectors.waiting_list(today=TODAY)
    assert summary.totals["breaches"] == sum(r["breach"] for r in rows) == 2


def test_adverse_events_per_100_infusions():
    day = _weekday_before(TODAY - timedelta(days=1))
    ref = referral("nhs")
    given = [session(referral=ref, on=day - timedelta(days=i), hour=9) for i in range(4)]
    _adverse_event(given[0])
    _adverse_event(given[1], severity="severe")
    result = selectors.adverse_events(day - timedelta(days=10), day)
    assert result.rows == [
        {"protocol": "Lidocaine", "infusions": 4, "events": 2, "severe": 1, "per_100": Decimal("50.0")}
    ]


def test_outcomes_give_the_share_of_30_and_50_percent_responders():
    ref = referral("nhs")
    _review(ref, r30=True, r50=True)
    _review(referral("nhs"), r30=True, r50=False)
    _review(referral("nhs"), r30=False, r50=False)
    _review(referral("nhs"), r30=True, r50=False, offset=42)
    result = selectors.outcomes(TODAY - timedelta(days=1), TODAY)
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
        reverse("reports:report", args=["attendance"]),
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

"""Alerts outside the record: the day-board badge, the dashboard cards, and overdue observations."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from records import services
from records.selectors import observation_due
from sessions.models import SessionStatus

from .conftest import chart, finish

pytestmark = pytest.mark.django_db


def test_an_observation_falls_due_one_interval_after_the_last_and_is_then_overdue():
    now = timezone.now()
    started = now - timedelta(minutes=40)
    due = observation_due(
        status=SessionStatus.IN_PROGRESS,
        started_at=started,
        last_observed_at=now - timedelta(minutes=10),
        interval_minutes=15,
        now=now,
    )
    assert due.due_at == now + timedelta(minutes=5) and not due.overdue
    late = observation_due(
        status=SessionStatus.IN_PROGRESS,
        started_at=started,
        last_observed_at=now - timedelta(minutes=22),
        interval_minutes=15,
        now=now,
    )
    assert late.overdue and late.minutes_overdue == 7
    first = observation_due(
        status=SessionStatus.IN_PROGRESS,
        started_at=started,
        last_observed_at=None,
        interval_minutes=15,
        now=now,
    )
    assert first.overdue and first.due_at == started + timedelta(minutes=15)


@pytest.mark.parametrize(
    "status", [SessionStatus.CHECKED_IN, SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF]
)
def test_nothing_falls_due_outside_a_running_session(status):
    now = timezone.now()
    due = observation_due(
        status=status,
        started_at=now - timedelta(hours=2),
        last_observed_at=None,
        interval_minutes=15,
        now=now,
    )
    assert due.due_at is None and not due.overdue


def test_the_record_page_flags_an_overdue_observation(started_session, nurse, nurse_client):
    chart(started_session, nurse, minutes_ago=30)  # the lidocaine interval is 15 min
    body = nurse_client.get(f"/sessions/{started_session.pk}/record/").content.decode()
    assert 'data-overdue="true"' in body and "Observations overdue" in body


def test_poss_3_shows_an_urgent_alert_on_the_record(started_session, nurse, nurse_client):
    chart(started_session, nurse, sedation="3")
    body = nurse_client.get(f"/sessions/{started_session.pk}/record/").content.decode()
    assert 'data-alert-level="2"' in body and "Sedation POSS 3 is unacceptable" in body


def _board(client, session):
    day = timezone.localtime(session.start).date().isoformat()
    return client.get(f"/sessions/?date={day}&location={session.chair.location_id}")


def test_the_day_board_badge_shows_the_latest_news2_alert_to_nurses_not_reception(
    started_session, nurse, nurse_client, reception_client
):
    chart(started_session, nurse, minutes_ago=20)
    chart(started_session, nurse, minutes_ago=2, systolic=88, diastolic=60, heart_rate=115)
    nurse_page = _board(nurse_client, started_session).content.decode()
    assert 'data-testid="board-badge"' in nurse_page and "NEWS2 5" in nurse_page
    reception_page = _board(reception_client, started_session)
    assert reception_page.status_code == 200
    assert (
        b'data-testid="board-badge"' not in reception_page.content and b"NEWS2" not in reception_page.content
    )


def test_the_day_board_flags_overdue_observations(started_session, nurse, nurse_client):
    chart(started_session, nurse, minutes_ago=40)
    assert b'data-testid="board-overdue"' in _board(nurse_client, started_session).content


def test_the_day_board_keeps_its_query_count_with_badges(make_session, nurse, nurse_client):
    counts = []
    sessions = []
    for n in (1, 4):
        while len(sessions) < n:
            s = make_session()
            services.start_infusion(session=s, by=nurse, started_at=s.checked_in_at + timedelta(minutes=1))
            chart(s, nurse, minutes_ago=3)
            sessions.append(s)
        with CaptureQueriesContext(connection) as ctx:
            response = _board(nurse_client, sessions[0])
        assert response.status_code == 200
        assert response.content.count(b'data-testid="board-badge"') == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_nurse_dashboard_lists_sessions_in_progress_with_alerts_and_overdue_obs(
    make_session, nurse, nurse_client
):
    alerting = make_session()
    services.start_infusion(session=alerting, by=nurse, started_at=timezone.now() - timedelta(minutes=30))
    chart(alerting, nurse, minutes_ago=2, respiratory_rate=26)
    overdue = make_session()
    services.start_infusion(session=overdue, by=nurse, started_at=timezone.now() - timedelta(minutes=50))
    chart(overdue, nurse, minutes_ago=40)
    body = nurse_client.get("/").content.decode()
    assert "Infusions in progress" in body
    assert "1 NEWS2 alert" in body and "1 overdue" in body
    assert alerting.patient.full_name in body and overdue.patient.full_name in body
    assert body.index(alerting.patient.full_name) < body.index(overdue.patient.full_name)  # worst first


def test_the_record_dashboard_cards_make_the_same_queries_for_1_and_5_sessions(make_session, nurse, rf):
    from records.dashboard import awaiting_signoff_card, in_progress_card

    request = rf.get("/")
    request.user = nurse
    counts = []
    made = []
    for n in (1, 5):
        while len(made) < n:
            s = make_session()
            services.start_infusion(session=s, by=nurse, started_at=s.checked_in_at + timedelta(minutes=1))
            chart(s, nurse, minutes_ago=3)
            made.append(s)
        with CaptureQueriesContext(connection) as ctx:
            card = in_progress_card(request)
            signoff = awaiting_signoff_card(request)
        assert len(card.context["rows"]) == n and signoff.context["total"] == 0
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_specialist_dashboard_lists_records_awaiting_sign_off(
    started_session, nurse, specialist, specialist_client
):
    finish(started_session, nurse)
    body = specialist_client.get("/").content.decode()
    assert "Session records awaiting sign-off" in body and started_session.patient.full_name in body
    services.sign_off_session(session=started_session, by=specialist)
    body = specialist_client.get("/").content.decode()
    assert "Nothing to sign off" in body


def test_the_session_page_shows_the_latest_news2_alert_and_links_to_the_record(
    started_session, nurse, nurse_client, reception_client
):
    chart(started_session, nurse, systolic=88, diastolic=60, heart_rate=115)
    body = nurse_client.get(f"/sessions/{started_session.pk}/").content.decode()
    assert 'data-testid="session-news2"' in body and "Urgent response: NEWS2 5-6" in body
    assert f"/sessions/{started_session.pk}/record/" in body
    reception_body = reception_client.get(f"/sessions/{started_session.pk}/").content.decode()
    assert "NEWS2" not in reception_body and 'data-testid="session-record-link"' not in reception_body

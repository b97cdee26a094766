"""NEWS2 escalation as a workflow (issue 12, item 4): an entry per alert episode, the refusal of
completion and sign-off without one, the shorter observation interval during an alert, and the
day board and nurse dashboard putting unescalated alerts first."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from protocols import services as protocol_services
from records import escalation, services
from records.escalation_rules import unescalated_alerts_for
from records.models import Escalation, EscalationAction, InfusionRecord
from sessions.models import SessionStatus
from tests import factories

from .conftest import chart, escalate

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Europe/London"))

# NEWS2 5 (systolic 88 scores 3, pulse 115 scores 2): an alert.
ALERT = dict(systolic=88, diastolic=60, heart_rate=115)
# NEWS2 7 (as ALERT, plus respiration 22 scoring 2): an urgent alert.
URGENT = dict(systolic=88, diastolic=60, heart_rate=115, respiratory_rate=22)


@pytest.fixture(autouse=True)
def pinned_now():
    with time_machine.travel(NOW, tick=False):
        yield


def hhmm(moment):
    return f"{timezone.localtime(moment):%H:%M}"


def record_url(session, suffix=""):
    return f"/sessions/{session.pk}/record/{suffix}"


def escalation_values(vitals, **overrides):
    values = dict(
        vital_signs=vitals,
        informed="Dr Priya Shah, pain specialist",
        informed_at=vitals.observed_at + timedelta(minutes=1),
        action=EscalationAction.RATE_REDUCED,
        outcome="Rate halved; NEWS2 2 at the next observation.",
    )
    values.update(overrides)
    return values


def stop(session, nurse):
    services.stop_infusion(
        session=session,
        by=nurse,
        reason="Infusion complete",
        changed_at=timezone.now() - timedelta(minutes=1),
    )


# --- the service ------------------------------------------------------------------------------


def test_it_records_who_was_informed_when_the_action_and_the_outcome_attributed(started_session, nurse):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    entry = escalation.record_escalation(session=started_session, by=nurse, **escalation_values(vitals))
    entry.refresh_from_db()
    assert entry.informed == "Dr Priya Shah, pain specialist"
    assert entry.informed_at == vitals.observed_at + timedelta(minutes=1)
    assert entry.action == "rate_reduced" and entry.outcome.startswith("Rate halved")
    assert entry.recorded_by == nurse and entry.recorded_at == timezone.now()
    history = list(entry.history.all())
    assert len(history) == 1 and history[0].history_user == nurse
    assert unescalated_alerts_for(session=started_session) == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"action": ""}, "action", "Choose the action taken."),
        ({"action": "prayed"}, "action", "is not a valid choice"),
        ({"informed": "  "}, "informed", "Say who was informed"),
        ({"outcome": ""}, "outcome", "Record the outcome."),
        ({"informed_at": None}, "informed_at", "Enter the time."),
        ({"informed_at": "before"}, "informed_at", "before the observation"),
        ({"informed_at": "future"}, "informed_at", "in the future"),
    ],
)
def test_it_refuses_a_bad_escalation_next_to_the_field_and_saves_nothing(
    started_session, nurse, overrides, field, message
):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    if overrides.get("informed_at") == "before":
        overrides["informed_at"] = vitals.observed_at - timedelta(minutes=1)
    elif overrides.get("informed_at") == "future":
        overrides["informed_at"] = timezone.now() + timedelta(minutes=2)
    with pytest.raises(ValidationError) as exc:
        escalation.record_escalation(
            session=started_session, by=nurse, **escalation_values(vitals, **overrides)
        )
    assert message in " ".join(exc.value.message_dict[field])
    assert not Escalation.objects.exists()


def test_it_refuses_to_escalate_an_observation_without_an_alert_or_of_another_session(
    started_session, make_session, nurse
):
    calm = chart(started_session, nurse, minutes_ago=10)
    with pytest.raises(ValidationError) as exc:
        escalation.record_escalation(session=started_session, by=nurse, **escalation_values(calm))
    assert "raised no NEWS2 alert" in exc.value.message_dict["vital_signs"][0]
    other = make_session()
    services.start_infusion(session=other, by=nurse, started_at=timezone.now() - timedelta(minutes=30))
    elsewhere = chart(other, nurse, minutes_ago=10, **ALERT)
    with pytest.raises(ValidationError) as exc:
        escalation.record_escalation(session=started_session, by=nurse, **escalation_values(elsewhere))
    assert "another session" in exc.value.message_dict["vital_signs"][0]
    assert not Escalation.objects.exists()


def test_a_completed_record_takes_a_missing_escalation_and_a_signed_off_one_refuses(
    started_session, nurse, specialist
):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    escalate(started_session, nurse, vitals)
    stop(started_session, nurse)
    services.complete_session(session=started_session, by=nurse)
    late = escalation.record_escalation(
        session=started_session,
        by=specialist,
        **escalation_values(
            vitals, action=EscalationAction.DOCTOR_REVIEW, outcome="Seen; no further action."
        ),
    )
    assert late.recorded_by == specialist
    services.sign_off_session(session=started_session, by=specialist)
    with pytest.raises(ValidationError) as exc:
        escalation.record_escalation(session=started_session, by=nurse, **escalation_values(vitals))
    assert "signed off and read-only" in exc.value.messages[0]
    assert Escalation.objects.count() == 2


# --- which alerts need an entry ------------------------------------------------------------------


def test_one_entry_answers_the_alert_until_news2_falls_and_a_new_alert_needs_another(started_session, nurse):
    first = chart(started_session, nurse, minutes_ago=40, **ALERT)
    second = chart(started_session, nurse, minutes_ago=35, **ALERT)
    assert unescalated_alerts_for(session=started_session) == [first, second]
    escalate(started_session, nurse, second)  # the later reading answers the earlier one too
    third = chart(started_session, nurse, minutes_ago=30, **ALERT)
    assert unescalated_alerts_for(session=started_session) == []
    chart(started_session, nurse, minutes_ago=25)  # NEWS2 falls: the episode ends
    again = chart(started_session, nurse, minutes_ago=20, **ALERT)
    assert unescalated_alerts_for(session=started_session) == [again]
    assert third.alert_level == again.alert_level == 1


def test_an_alert_worsening_to_urgent_needs_a_new_entry_and_an_urgent_entry_covers_alerts(
    started_session, nurse
):
    alert = chart(started_session, nurse, minutes_ago=40, **ALERT)
    escalate(started_session, nurse, alert)
    urgent = chart(started_session, nurse, minutes_ago=35, **URGENT)
    assert urgent.alert_level == 2
    assert unescalated_alerts_for(session=started_session) == [urgent]
    escalate(started_session, nurse, urgent, action=EscalationAction.EMERGENCY_TEAM)
    chart(started_session, nurse, minutes_ago=30, **ALERT)
    assert unescalated_alerts_for(session=started_session) == []


def test_poss_3_and_a_single_red_parameter_each_ask_for_an_escalation(started_session, nurse):
    sedated = chart(started_session, nurse, minutes_ago=20, sedation="3")
    assert sedated.news2_total == 0 and sedated.alert_level == 2
    chart(started_session, nurse, minutes_ago=15)
    red = chart(started_session, nurse, minutes_ago=10, respiratory_rate=26)
    assert red.news2_total == 3 and red.alert_level == 1
    assert unescalated_alerts_for(session=started_session) == [sedated, red]


# --- completion and sign-off -------------------------------------------------------------------


def test_completion_is_refused_while_an_alert_has_no_escalation_and_nothing_changes(started_session, nurse):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    stop(started_session, nurse)
    with pytest.raises(ValidationError) as exc:
        services.complete_session(session=started_session, by=nurse)
    assert exc.value.messages == [
        f"The NEWS2 alert at {hhmm(vitals.observed_at)} has no escalation entry: record who was informed, "
        "the action and the outcome before completing."
    ]
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.IN_PROGRESS
    assert InfusionRecord.objects.get(session=started_session).completed_at is None
    escalate(started_session, nurse, vitals)
    services.complete_session(session=started_session, by=nurse)
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.COMPLETED


def test_sign_off_is_refused_when_an_amendment_raised_an_unescalated_alert(
    started_session, nurse, specialist
):
    vitals = chart(started_session, nurse, minutes_ago=10)
    stop(started_session, nurse)
    services.complete_session(session=started_session, by=nurse)
    services.amend_vital_signs(
        vital_signs=vitals, by=specialist, field="systolic", value="88", reason="Transcription: 88 not 120"
    )
    with pytest.raises(ValidationError) as exc:
        services.sign_off_session(session=started_session, by=specialist)
    assert "before signing off" in exc.value.messages[0]
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.COMPLETED
    escalate(started_session, specialist, vitals)
    services.sign_off_session(session=started_session, by=specialist)


def test_a_refused_completion_shows_the_message_and_a_link_to_add_the_escalation(
    started_session, nurse, nurse_client
):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    stop(started_session, nurse)
    response = nurse_client.post(record_url(started_session, "complete/"), {"note": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "has no escalation entry" in body and 'data-testid="escalation-needed"' in body
    assert f'href="/sessions/{started_session.pk}/record/escalation/?vitals={vitals.pk}"' in body
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.IN_PROGRESS


def test_a_refused_sign_off_shows_the_message_and_a_link_to_add_the_escalation(
    started_session, nurse, specialist, specialist_client
):
    vitals = chart(started_session, nurse, minutes_ago=10)
    stop(started_session, nurse)
    services.complete_session(session=started_session, by=nurse)
    services.amend_vital_signs(
        vital_signs=vitals, by=specialist, field="systolic", value="88", reason="Transcription: 88 not 120"
    )
    response = specialist_client.post(record_url(started_session, "sign-off/"), {"note": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "before signing off" in body
    assert f'href="/sessions/{started_session.pk}/record/escalation/?vitals={vitals.pk}"' in body
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.COMPLETED


# --- the escalation page ----------------------------------------------------------------------


def test_a_nurse_records_an_escalation_from_its_page_and_reception_may_not(
    started_session, nurse, nurse_client, reception_client, admin_client_role
):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    page = record_url(started_session, f"escalation/?vitals={vitals.pk}")
    assert reception_client.get(page).status_code == 403
    assert admin_client_role.get(page).status_code == 403
    response = nurse_client.get(page)
    assert response.status_code == 200
    assert f'value="{vitals.pk}" selected' in response.content.decode()
    data = {
        "vital_signs": vitals.pk,
        "informed": "Dr Priya Shah, pain specialist",
        "informed_at": hhmm(timezone.now()),
        "action": "paused",
        "outcome": "Paused for 10 minutes; NEWS2 1 after.",
    }
    assert reception_client.post(page, data).status_code == 403
    assert not Escalation.objects.exists()
    response = nurse_client.post(page, data)
    assert response.status_code == 302 and response["Location"].endswith("/record/#escalations")
    entry = Escalation.objects.get()
    assert (entry.action, entry.recorded_by, entry.vital_signs) == ("paused", nurse, vitals)


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        ({"action": ""}, "id_action", "Choose the action taken."),
        ({"informed_at": "future"}, "id_informed_at", "This time is in the future."),
        ({"informed_at": "before"}, "id_informed_at", "This time is before the observation"),
        ({"informed_at": "25:99"}, "id_informed_at", "Enter a 24-hour time such as 14:30."),
    ],
)
def test_a_bad_escalation_comes_back_with_the_message_next_to_the_field(
    started_session, nurse, nurse_client, change, field_id, message
):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    data = {
        "vital_signs": vitals.pk,
        "informed": "Dr Priya Shah",
        "informed_at": hhmm(timezone.now()),
        "action": "doctor_review",
        "outcome": "Seen.",
        **change,
    }
    if data["informed_at"] == "future":
        data["informed_at"] = hhmm(timezone.now() + timedelta(minutes=5))
    elif data["informed_at"] == "before":
        data["informed_at"] = hhmm(vitals.observed_at - timedelta(minutes=2))
    response = nurse_client.post(record_url(started_session, "escalation/"), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    # crispy puts the message in the field's own feedback element, after the input
    error_at = body.index(message)
    assert body.rfind(field_id, 0, error_at) > body.rfind("<label", 0, body.rfind(field_id, 0, error_at)) > 0
    assert not Escalation.objects.exists()


def test_the_escalation_page_keeps_its_queries_for_1_and_20_alerts(
    started_session, make_session, nurse, nurse_client, django_assert_max_num_queries
):
    small = started_session
    large = make_session()
    services.start_infusion(session=large, by=nurse, started_at=timezone.now() - timedelta(minutes=60))
    chart(small, nurse, minutes_ago=10, **ALERT)
    for i in range(20):
        v = chart(large, nurse, minutes_ago=50 - 2 * i, **ALERT)
        if i % 2:
            escalate(large, nurse, v)
    counts = []
    for session in (small, large):
        # session, user, permissions (2), alerts, unescalated alerts, entries, the form's choices, ...
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as ctx:
            assert nurse_client.get(record_url(session, "escalation/")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_record_page_and_print_show_the_escalation(started_session, nurse, nurse_client):
    vitals = chart(started_session, nurse, minutes_ago=10, **ALERT)
    body = nurse_client.get(record_url(started_session)).content.decode()
    assert 'data-testid="unescalated-alerts"' in body and 'data-testid="alert-needs-escalation"' in body
    escalate(started_session, nurse, vitals, action=EscalationAction.STOPPED)
    body = nurse_client.get(record_url(started_session)).content.decode()
    assert 'data-testid="escalation-row"' in body and "Infusion stopped" in body
    assert "Dr Priya Shah, pain specialist" in body and 'data-testid="unescalated-alerts"' not in body
    printed = nurse_client.get(record_url(started_session, "print/")).content.decode()
    assert 'data-testid="print-escalations"' in printed and "Dr Priya Shah, pain specialist" in printed


# --- the faster observation interval ----------------------------------------------------------


def test_after_an_alert_the_next_observation_falls_due_sooner_until_news2_falls(
    started_session, nurse, nurse_client
):
    version = started_session.protocol_version
    assert (version.observation_interval_minutes, version.alert_observation_interval_minutes) == (15, 5)
    alert = chart(started_session, nurse, minutes_ago=3, **ALERT)
    body = nurse_client.get(record_url(started_session)).content.decode()
    due_at = timezone.localtime(alert.observed_at + timedelta(minutes=5))
    assert 'data-during-alert="true"' in body and f"Next observations due at <strong>{due_at:%H:%M}" in body
    assert "every 5 min during the NEWS2 alert" in body
    calm = chart(started_session, nurse, minutes_ago=1)
    body = nurse_client.get(record_url(started_session)).content.decode()
    due_at = timezone.localtime(calm.observed_at + timedelta(minutes=15))
    assert (
        'data-during-alert="true"' not in body and f"Next observations due at <strong>{due_at:%H:%M}" in body
    )


def test_the_day_board_and_dashboard_flag_an_alert_observation_overdue_at_the_alert_interval(
    started_session, nurse, nurse_client
):
    chart(started_session, nurse, minutes_ago=7, **ALERT)  # 7 min: overdue at 5, not at 15
    day = timezone.localtime(started_session.start).date().isoformat()
    board = nurse_client.get(f"/sessions/?date={day}&location={started_session.chair.location_id}")
    assert b'data-testid="board-overdue"' in board.content
    assert b"1 overdue" in nurse_client.get("/").content


def test_a_version_takes_its_alert_interval_and_refuses_one_longer_than_the_usual(clinic_admin):
    version = factories.ProtocolVersionFactory()
    newer = protocol_services.create_version(
        from_version=version, by=clinic_admin, alert_observation_interval_minutes=10
    )
    assert newer.alert_observation_interval_minutes == 10
    with pytest.raises(ValidationError) as exc:
        protocol_services.create_version(
            from_version=newer, by=clinic_admin, alert_observation_interval_minutes=20
        )
    assert "at most every 15 min" in exc.value.message_dict["alert_observation_interval_minutes"][0]


def test_the_new_version_form_shows_the_alert_interval_to_admins_only(admin_client_role, nurse_client):
    version = factories.ProtocolVersionFactory()
    url = f"/protocols/versions/{version.pk}/new/"
    response = admin_client_role.get(url)
    assert response.status_code == 200 and b"during a NEWS2 alert" in response.content
    assert nurse_client.get(url).status_code == 403


# --- the day board and the nurse's dashboard ---------------------------------------------------


def _board(client, session):
    day = timezone.localtime(session.start).date().isoformat()
    return client.get(f"/sessions/?date={day}&location={session.chair.location_id}")


def _running(make_session, nurse, *, minutes=50):
    session = make_session()
    services.start_infusion(session=session, by=nurse, started_at=timezone.now() - timedelta(minutes=minutes))
    return session


def test_the_day_board_lists_unescalated_alerts_first_to_nurses_not_reception(
    make_session, nurse, nurse_client, reception_client
):
    location = factories.LocationFactory()
    escalated = _running(make_session, nurse)
    escalate(escalated, nurse, chart(escalated, nurse, minutes_ago=4, **URGENT))
    alert = _running(make_session, nurse)
    chart(alert, nurse, minutes_ago=4, **ALERT)
    urgent = _running(make_session, nurse)
    chart(urgent, nurse, minutes_ago=4, **URGENT)
    for s in (escalated, alert, urgent):
        s.chair.location = location
        s.chair.save()
    body = _board(nurse_client, alert).content.decode()
    panel = body[body.index('data-testid="board-unescalated"') : body.index('data-testid="day-board"')]
    assert panel.count('data-testid="board-unescalated-row"') == 2
    assert panel.index(urgent.patient.full_name) < panel.index(alert.patient.full_name)  # worst first
    assert escalated.patient.full_name not in panel
    assert body.count('data-testid="board-escalate"') == 2
    reception = _board(reception_client, alert).content.decode()
    assert "board-unescalated" not in reception and "escalate" not in reception


def test_the_day_board_keeps_its_queries_with_unescalated_alerts(
    make_session, nurse, nurse_client, django_assert_max_num_queries
):
    location = factories.LocationFactory()
    made, counts = [], []
    for n in (1, 5):
        while len(made) < n:
            s = _running(make_session, nurse)
            s.chair.location = location
            s.chair.save()
            chart(s, nurse, minutes_ago=4, **ALERT)
            made.append(s)
        # 12 + the session's second-factor device
        with django_assert_max_num_queries(13), CaptureQueriesContext(connection) as ctx:
            response = _board(nurse_client, made[0])
        assert response.content.count(b'data-testid="board-unescalated-row"') == n
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_nurse_dashboard_puts_unescalated_alerts_first(
    make_session, nurse, nurse_client, django_assert_max_num_queries
):
    urgent_escalated = _running(make_session, nurse)
    escalate(urgent_escalated, nurse, chart(urgent_escalated, nurse, minutes_ago=4, **URGENT))
    overdue = _running(make_session, nurse)
    chart(overdue, nurse, minutes_ago=40)
    alert = _running(make_session, nurse)
    chart(alert, nurse, minutes_ago=4, **ALERT)
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as small:
        body = nurse_client.get("/").content.decode()
    assert "1 awaiting escalation" in body and 'data-testid="dash-unescalated"' in body
    names = [s.patient.full_name for s in (alert, urgent_escalated, overdue)]
    assert [body.index(n) for n in names] == sorted(body.index(n) for n in names)
    for _ in range(4):
        chart(_running(make_session, nurse), nurse, minutes_ago=4, **ALERT)
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as large:
        body = nurse_client.get("/").content.decode()
    assert "5 awaiting escalation" in body
    assert len(large.captured_queries) == len(small.captured_queries)

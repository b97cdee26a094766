"""The record's pages and actions through the test client: who may, who may not, and bad input."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from records import services
from records.models import Amendment, InfusionRecord, RateChange, VitalSigns
from sessions.models import SessionStatus

from .conftest import NORMAL, chart, finish

pytestmark = pytest.mark.django_db


def url(name, session, *args):
    namespace = "records" if name.startswith("session_record") else "infusion_sessions"
    return reverse(f"{namespace}:{name}", args=[session.pk, *args])


def hhmm(minutes_ago=0):
    return (timezone.localtime() - timedelta(minutes=minutes_ago)).strftime("%H:%M")


def vitals_post(**overrides):
    data = {**NORMAL, "observed_at": hhmm()}
    data.update(overrides)
    if not data.get("on_oxygen"):
        data.pop("on_oxygen")
    return data


# --- who may see the record -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["nurse_client", "specialist_client"])
def test_nurses_and_specialists_see_the_record(request, started_session, nurse, who):
    chart(started_session, nurse)
    response = request.getfixturevalue(who).get(url("session_record", started_session))
    assert response.status_code == 200
    assert b'data-testid="vitals-row"' in response.content


@pytest.mark.parametrize("who", ["reception_client", "admin_client_role"])
def test_reception_and_clinic_admins_may_not_see_vitals(request, started_session, who):
    client = request.getfixturevalue(who)
    assert client.get(url("session_record", started_session)).status_code == 403
    assert client.get(url("session_record_print", started_session)).status_code == 403


def test_the_printable_record_lists_every_observation(started_session, nurse, nurse_client):
    for minutes in (30, 20, 10):
        chart(started_session, nurse, minutes_ago=minutes)
    response = nurse_client.get(url("session_record_print", started_session))
    assert response.status_code == 200
    assert response.content.count(b"<tr><td>") == 3
    assert b"Infusion session record" in response.content


def test_the_record_downloads_as_a_pdf_with_every_observation(started_session, nurse, nurse_client):
    from io import BytesIO

    from pypdf import PdfReader

    for minutes in (30, 20, 10):
        chart(started_session, nurse, minutes_ago=minutes)
    response = nurse_client.get(url("session_record_pdf", started_session))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="session-record-')
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Infusion session record" in text
    assert started_session.patient.first_name in text
    assert text.count("(Low)") == 3  # one row per observation, each with its NEWS2 band
    printable = nurse_client.get(url("session_record_print", started_session)).content.decode()
    assert url("session_record_pdf", started_session) in printable


def test_without_pango_the_pdf_link_says_so_instead_of_failing(started_session, nurse_client, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a machine where it cannot load
    response = nurse_client.get(url("session_record_pdf", started_session))
    assert response.status_code == 503
    assert "The PDF cannot be made on this server" in response.content.decode()


@pytest.mark.parametrize("who", ["reception_client", "admin_client_role"])
def test_the_record_pdf_has_the_record_permissions(request, started_session, who):
    assert request.getfixturevalue(who).get(url("session_record_pdf", started_session)).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client, started_session):
    response = client.get(url("session_record", started_session))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- charting through htmx ----------------------------------------------------------------


def test_a_nurse_charts_a_row_through_htmx_and_gets_the_fragments_back(started_session, nurse_client):
    response = nurse_client.post(
        url("session_record_vitals", started_session),
        vitals_post(systolic=89, diastolic=60),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="vitals-entry"' in body and 'hx-swap-oob="true"' in body
    assert 'data-testid="news2-alert"' in body  # a single 3 raises the alert
    assert '<script id="chart-data" type="application/json">' in body
    vitals = VitalSigns.objects.get()
    assert vitals.news2_total == 3 and vitals.recorded_by.username == "nurse"


def test_a_refused_htmx_row_comes_back_422_with_errors_inline_and_nothing_saved(
    started_session, nurse_client
):
    response = nurse_client.post(
        url("session_record_vitals", started_session),
        vitals_post(spo2=150, diastolic=130),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "is-invalid" in body and "less than or equal to 100" in body
    trigger = json.loads(response["HX-Trigger"])
    assert "spo2" in trigger["vitals-refused"]["errors"]
    assert not VitalSigns.objects.exists()


def test_an_observation_in_the_future_is_refused_next_to_the_time(started_session, nurse_client):
    future = (timezone.localtime() + timedelta(minutes=10)).strftime("%H:%M")
    response = nurse_client.post(
        url("session_record_vitals", started_session), vitals_post(observed_at=future), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "This time is in the future." in response.content.decode()
    assert not VitalSigns.objects.exists()


def test_a_json_client_gets_a_json_error(started_session, nurse_client):
    response = nurse_client.post(
        url("session_record_vitals", started_session),
        vitals_post(heart_rate=400),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 422
    assert "heart_rate" in response.json()["errors"]


@pytest.mark.parametrize("who", ["specialist_client", "reception_client"])
def test_only_nurses_chart(request, started_session, who):
    response = request.getfixturevalue(who).post(url("session_record_vitals", started_session), vitals_post())
    assert response.status_code == 403
    assert not VitalSigns.objects.exists()


# --- the other actions: one role that may, one that may not ----------------------------------


def test_a_nurse_starts_the_infusion_from_the_record(make_session, nurse_client, specialist_client):
    session = make_session()
    data = {"start-dose": "5", "start-soft_limit_reason": "", "start-started_at": hhmm(1)}
    assert specialist_client.post(url("session_record_start", session), data).status_code == 403
    response = nurse_client.post(url("session_record_start", session), data)
    assert response.status_code == 302
    assert InfusionRecord.objects.get(session=session).dose_mg == 350


def test_a_refused_dose_shows_on_the_start_form(make_session, nurse_client):
    session = make_session()
    response = nurse_client.post(
        url("session_record_start", session), {"start-dose": "9", "start-started_at": hhmm(1)}
    )
    assert response.status_code == 422
    assert "above the hard limit" in response.content.decode()
    assert not InfusionRecord.objects.exists()


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("rate", {"rate_ml_per_h": "125", "reason": "Dizziness"}),
        ("pause", {"reason": "Nausea"}),
        ("stop", {"reason": "Infusion complete"}),
    ],
)
def test_a_nurse_changes_the_infusion(started_session, nurse_client, reception_client, action, data):
    data = {f"{action}-{k}": v for k, v in {**data, "changed_at": hhmm(0)}.items()}
    assert (
        reception_client.post(url("session_record_infusion", started_session, action), data).status_code
        == 403
    )
    assert RateChange.objects.count() == 1
    response = nurse_client.post(url("session_record_infusion", started_session, action), data)
    assert response.status_code == 302
    assert RateChange.objects.count() == 2


def test_a_nurse_resumes_a_paused_infusion_at_the_rate_before_the_pause(started_session, nurse, nurse_client):
    services.pause_infusion(session=started_session, by=nurse, reason="Nausea")
    response = nurse_client.post(
        url("session_record_infusion", started_session, "resume"),
        {"resume-changed_at": hhmm(), "resume-reason": ""},
    )
    assert response.status_code == 302
    record = InfusionRecord.objects.get(session=started_session)
    assert record.state == "running" and record.current_rate_ml_per_h == 285


def test_an_unknown_infusion_action_is_not_found(started_session, nurse_client):
    assert (
        nurse_client.post(url("session_record_infusion", started_session, "explode"), {}).status_code == 404
    )


def test_a_rate_change_without_a_reason_is_refused_on_the_page(started_session, nurse_client):
    response = nurse_client.post(
        url("session_record_infusion", started_session, "rate"),
        {"rate-rate_ml_per_h": "125", "rate-reason": "", "rate-changed_at": hhmm()},
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert RateChange.objects.count() == 1


def test_a_nurse_records_an_adverse_event(started_session, nurse_client, specialist_client):
    data = {
        "event-occurred_at": hhmm(),
        "event-event_type": "nausea",
        "event-severity": "mild",
        "event-action_taken": "none",
    }
    assert specialist_client.post(url("session_record_event", started_session), data).status_code == 403
    assert nurse_client.post(url("session_record_event", started_session), data).status_code == 302
    assert started_session.adverse_events.get().event_type == "nausea"


def test_a_nurse_completes_and_a_specialist_signs_off(
    started_session, nurse, nurse_client, specialist_client
):
    chart(started_session, nurse, minutes_ago=5)
    services.stop_infusion(session=started_session, by=nurse, reason="Infusion complete")
    assert specialist_client.post(url("session_record_complete", started_session), {}).status_code == 403
    assert nurse_client.post(url("session_record_complete", started_session), {}).status_code == 302
    assert nurse_client.post(url("session_record_signoff", started_session), {}).status_code == 403
    assert (
        specialist_client.post(
            url("session_record_signoff", started_session), {"signoff-note": "Fine"}
        ).status_code
        == 302
    )
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.SIGNED_OFF


def test_a_locked_record_shows_no_charting_form(started_session, nurse, nurse_client):
    finish(started_session, nurse)
    body = nurse_client.get(url("session_record", started_session)).content.decode()
    assert 'id="vitals-entry"' not in body and 'id="rate-panel"' not in body
    assert 'data-testid="locked"' in body
    assert 'data-testid="worst-news2"' in body  # the reviewer sees the session's highest NEWS2


def test_a_specialist_amends_and_the_history_shows_both_values(
    started_session, nurse, specialist, nurse_client, specialist_client
):
    vitals = chart(started_session, nurse, pain=7)
    finish(started_session, nurse)
    data = {
        "amend-vital_signs": vitals.pk,
        "amend-field": "pain",
        "amend-value": "3",
        "amend-reason": "Patient said 3, not 7",
    }
    assert nurse_client.post(url("session_record_amend", started_session), data).status_code == 403
    assert specialist_client.post(url("session_record_amend", started_session), data).status_code == 302
    body = specialist_client.get(url("session_record", started_session)).content.decode()
    assert "<del>7</del>" in body and "Patient said 3, not 7" in body


def test_an_amendment_without_a_reason_is_refused_on_the_page(started_session, nurse, specialist_client):
    vitals = chart(started_session, nurse, pain=7)
    finish(started_session, nurse)
    data = {"amend-vital_signs": vitals.pk, "amend-field": "pain", "amend-value": "3", "amend-reason": ""}
    response = specialist_client.post(url("session_record_amend", started_session), data)
    assert response.status_code == 422
    vitals.refresh_from_db()
    assert vitals.pain == 7 and not Amendment.objects.exists()


def test_reception_may_check_in_from_the_record_and_a_clinic_admin_may_not(
    make_session, reception_client, admin_client_role
):
    session = make_session(status=SessionStatus.BOOKED)
    session.start = timezone.now() + timedelta(minutes=5)
    session.end = session.start + timedelta(hours=2)
    session.save()
    assert admin_client_role.post(url("session_record_check_in", session)).status_code == 403
    assert reception_client.post(url("session_record_check_in", session)).status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN


# --- query counts ----------------------------------------------------------------------------


def _bulk_vitals(session, nurse, n):
    start = session.checked_in_at
    rows = []
    for i in range(n):
        v = VitalSigns(
            session=session,
            recorded_by=nurse,
            observed_at=start + timedelta(seconds=20 * (i + 1)),
            **{**NORMAL, "temperature": "36.8"},
        )
        v.save()  # save() scores NEWS2; bulk_create would skip it
        rows.append(v)
    return rows


# Session, auth/perms, record parts (vitals, rate changes, events, amendments, two history tables),
# the start form's weight and prescription, the session's second-factor device: whatever the number of
# observations.
QUERY_BUDGET = 18  # 17, plus the access audit's one INSERT


@pytest.mark.parametrize("path", ["session_record", "session_record_print"])
def test_the_record_page_makes_the_same_queries_for_10_and_200_observations(
    started_session, make_session, nurse, specialist, nurse_client, django_assert_max_num_queries, path
):
    small = started_session
    large = make_session()
    services.start_infusion(session=large, by=nurse, started_at=large.checked_in_at + timedelta(minutes=1))
    _bulk_vitals(small, nurse, 10)
    _bulk_vitals(large, nurse, 200)
    for session in (small, large):
        services.record_adverse_event(
            session=session,
            by=nurse,
            occurred_at=timezone.now(),
            event_type="nausea",
            severity="mild",
            action_taken="none",
        )
    counts = []
    for session, expected_rows in ((small, 10), (large, 200)):
        with django_assert_max_num_queries(QUERY_BUDGET), CaptureQueriesContext(connection) as ctx:
            response = nurse_client.get(url(path, session))
        assert response.status_code == 200
        if path == "session_record":
            assert response.content.count(b'data-testid="vitals-row"') == expected_rows
            assert len(response.context["page"].chart["points"]) == expected_rows
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_specialist_amends_an_adverse_event_and_a_nurse_may_not(
    started_session, nurse, nurse_client, specialist_client
):
    event = services.record_adverse_event(
        session=started_session,
        by=nurse,
        occurred_at=timezone.now() - timedelta(minutes=5),
        event_type="nausea",
        severity="mild",
        action_taken="none",
    )
    finish(started_session, nurse)
    data = {
        "amendevent-adverse_event": event.pk,
        "amendevent-field": "action_taken",
        "amendevent-value": "medication_given",
        "amendevent-reason": "Ondansetron 4 mg IV was given",
    }
    assert nurse_client.post(url("session_record_amend_event", started_session), data).status_code == 403
    assert specialist_client.post(url("session_record_amend_event", started_session), data).status_code == 302
    body = specialist_client.get(url("session_record", started_session)).content.decode()
    assert (
        "<del>None</del>" in body and "Medication given" in body and "Ondansetron 4 mg IV was given" in body
    )

"""Amendments to the infusion's rate changes on a locked record: the time (HH:MM, in order between its
neighbours, never in the future), the rate (only where the kind carries one, above 0) and the reason;
the record's start, stop and current rate follow; who may; the history, printout and chart show it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from records import services
from records.models import Amendment, InfusionRecord, RateChange, RateChangeKind
from records.selectors import record_history

from .conftest import chart, finish

pytestmark = pytest.mark.django_db


def hhmm(minutes_ago=0):
    return (timezone.localtime() - timedelta(minutes=minutes_ago)).strftime("%H:%M")


def local_hhmm(moment):
    return f"{timezone.localtime(moment):%H:%M}"


def ago(minutes):
    return timezone.now() - timedelta(minutes=minutes)


def url(name, session):
    namespace = "records" if name.startswith("session_record") else "infusion_sessions"
    return reverse(f"{namespace}:{name}", args=[session.pk])


def chart_infusion(session, nurse):
    """Started 60 min ago; the rate raised 40 min ago, paused 30, resumed 20, stopped 2; completed."""
    record = InfusionRecord.objects.get(session=session)
    start_rate = record.current_rate_ml_per_h
    services.change_rate(
        session=session, by=nurse, rate_ml_per_h=start_rate - 10, reason="Tolerating well", changed_at=ago(40)
    )
    services.pause_infusion(session=session, by=nurse, reason="Dizzy", changed_at=ago(30))
    services.resume_infusion(session=session, by=nurse, changed_at=ago(20))
    finish(session, nurse)
    changes = {c.kind: c for c in RateChange.objects.filter(session=session)}
    return changes, start_rate


def _record(session):
    return InfusionRecord.objects.get(session=session)


# --- the service ------------------------------------------------------------------------------


def test_a_time_moved_within_its_neighbours_is_amended_with_its_history(started_session, nurse, specialist):
    changes, _ = chart_infusion(started_session, nurse)
    rate = changes[RateChangeKind.RATE]
    old, new = local_hhmm(rate.changed_at), hhmm(45)
    amendment = services.amend_rate_change(
        rate_change=rate, by=specialist, field="changed_at", value=new, reason="Charted late"
    )
    rate.refresh_from_db()
    assert local_hhmm(rate.changed_at) == new
    assert (amendment.rate_change, amendment.old_value, amendment.new_value) == (rate, old, new)
    assert amendment.target == rate
    assert amendment.target_label == f"Infusion rate changed at {new}"
    latest = rate.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (specialist, "Amendment: Charted late")
    entries = [e for e in record_history(session=started_session) if e.item.startswith("Infusion")]
    assert [(e.item, e.field_label, e.old, e.new, e.reason) for e in entries] == [
        (f"Infusion rate changed {new}", "time", old, new, "Charted late")
    ]


@pytest.mark.parametrize(
    ("kind", "minutes_ago", "message"),
    [
        (RateChangeKind.RATE, 65, "before the infusion started"),  # started 60 min ago
        (RateChangeKind.RESUME, 35, "before the previous change"),  # before the pause at 30 min
        (RateChangeKind.RATE, 25, "after the next change"),  # after the pause at 30 min
        (RateChangeKind.PAUSE, 15, "after the next change"),  # after the resume at 20 min
        (RateChangeKind.START, 95, "before check-in"),  # checked in 90 min ago
        (RateChangeKind.STOP, -30, "in the future"),
    ],
)
def test_it_refuses_a_time_out_of_order_or_in_the_future_and_changes_nothing(
    started_session, nurse, specialist, kind, minutes_ago, message
):
    changes, _ = chart_infusion(started_session, nurse)
    change = changes[kind]
    before = change.changed_at
    with pytest.raises(ValidationError) as exc:
        services.amend_rate_change(
            rate_change=change, by=specialist, field="changed_at", value=hhmm(minutes_ago), reason="Typo"
        )
    assert message in " ".join(exc.value.message_dict["value"])
    change.refresh_from_db()
    assert change.changed_at == before
    assert not Amendment.objects.exists()


@pytest.mark.parametrize(
    ("kind", "field", "value", "reason", "key"),
    [
        (RateChangeKind.PAUSE, "rate_ml_per_h", "50", "Typo", "field"),  # a pause carries no rate
        (RateChangeKind.STOP, "rate_ml_per_h", "50", "Typo", "field"),
        (RateChangeKind.RATE, "rate_ml_per_h", "0", "Typo", "value"),
        (RateChangeKind.RATE, "rate_ml_per_h", "fast", "Typo", "value"),
        (RateChangeKind.RATE, "rate_ml_per_h", "130", "", "reason"),  # no reason for the amendment
        (RateChangeKind.RATE, "changed_at", "25:99", "Typo", "value"),
        (RateChangeKind.PAUSE, "reason", "  ", "Typo", "value"),  # a pause keeps a reason
        (RateChangeKind.RATE, "changed_by", "1", "Typo", "field"),
    ],
)
def test_it_refuses_a_bad_rate_change_amendment_and_changes_nothing(
    started_session, nurse, specialist, kind, field, value, reason, key
):
    changes, _ = chart_infusion(started_session, nurse)
    change = changes[kind]
    before = (change.changed_at, change.rate_ml_per_h, change.reason)
    with pytest.raises(ValidationError) as exc:
        services.amend_rate_change(rate_change=change, by=specialist, field=field, value=value, reason=reason)
    assert key in exc.value.message_dict
    change.refresh_from_db()
    assert (change.changed_at, change.rate_ml_per_h, change.reason) == before
    assert not Amendment.objects.exists()


def test_it_refuses_a_rate_change_that_would_repeat_the_rate_before_it(started_session, nurse, specialist):
    changes, start_rate = chart_infusion(started_session, nurse)
    with pytest.raises(ValidationError, match="already ran at"):
        services.amend_rate_change(
            rate_change=changes[RateChangeKind.RATE],
            by=specialist,
            field="rate_ml_per_h",
            value=str(start_rate),
            reason="Typo",
        )


def test_it_refuses_to_amend_a_rate_change_of_an_open_record(started_session, nurse, specialist):
    change = services.change_rate(
        session=started_session, by=nurse, rate_ml_per_h="200", reason="Tolerating", changed_at=ago(10)
    )
    with pytest.raises(ValidationError, match="while it is open"):
        services.amend_rate_change(
            rate_change=change, by=specialist, field="rate_ml_per_h", value="210", reason="Typo"
        )
    change.refresh_from_db()
    assert change.rate_ml_per_h == Decimal("200") and not Amendment.objects.exists()


def test_the_start_time_and_starting_rate_follow_the_amended_start(started_session, nurse, specialist):
    changes, start_rate = chart_infusion(started_session, nurse)
    start = changes[RateChangeKind.START]
    new = hhmm(70)
    services.amend_rate_change(
        rate_change=start,
        by=specialist,
        field="changed_at",
        value=new,
        reason="Pump log shows 10 min earlier",
    )
    services.amend_rate_change(
        rate_change=start, by=specialist, field="rate_ml_per_h", value=str(start_rate - 5), reason="Typo"
    )
    record = _record(started_session)
    start.refresh_from_db()
    assert record.started_at == start.changed_at
    assert local_hhmm(record.started_at) == new
    assert record.rate_ml_per_h == start_rate - 5
    # The current rate is the last rate (the resume's, the rate before the pause), not the start's.
    assert record.current_rate_ml_per_h == start_rate - 10
    latest = record.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (specialist, "Amendment: Typo")


def test_the_stop_time_and_reason_follow_the_amended_stop(started_session, nurse, specialist):
    changes, _ = chart_infusion(started_session, nurse)
    stop = changes[RateChangeKind.STOP]
    new = hhmm(10)
    services.amend_rate_change(
        rate_change=stop, by=specialist, field="changed_at", value=new, reason="Stopped at 10 to"
    )
    services.amend_rate_change(
        rate_change=stop, by=specialist, field="reason", value="Bag empty", reason="Wrong reason charted"
    )
    record = _record(started_session)
    assert local_hhmm(record.stopped_at) == new
    assert record.stop_reason == "Bag empty"
    latest = record.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (
        specialist,
        "Amendment: Wrong reason charted",
    )


def test_the_current_rate_follows_only_the_last_rate(started_session, nurse, specialist):
    changes, start_rate = chart_infusion(started_session, nurse)
    services.amend_rate_change(
        rate_change=changes[RateChangeKind.RATE],
        by=specialist,
        field="rate_ml_per_h",
        value="333",
        reason="Typo",
    )
    record = _record(started_session)
    # The resume carried the rate before the pause as charted; only its own amendment moves the current rate.
    assert record.current_rate_ml_per_h == start_rate - 10
    services.amend_rate_change(
        rate_change=changes[RateChangeKind.RESUME],
        by=specialist,
        field="rate_ml_per_h",
        value="150",
        reason="Resumed at 150",
    )
    record.refresh_from_db()
    assert record.current_rate_ml_per_h == Decimal("150")


def test_the_database_refuses_an_amendment_with_two_targets(started_session, nurse, specialist):
    vitals = chart(started_session, nurse)
    change = RateChange.objects.filter(session=started_session).first()
    with pytest.raises(IntegrityError, match="amendment_one_target"), transaction.atomic():
        Amendment.objects.create(
            session=started_session,
            vital_signs=vitals,
            rate_change=change,
            field_name="pain",
            field_label="pain",
            old_value="4",
            new_value="5",
            reason="x",
            amended_by=specialist,
        )


# --- the views --------------------------------------------------------------------------------


def _post_data(change, **overrides):
    data = {
        "amendrate-rate_change": change.pk,
        "amendrate-field": "changed_at",
        "amendrate-value": hhmm(45),
        "amendrate-reason": "Charted late",
    }
    data.update(overrides)
    return data


def test_a_specialist_amends_a_rate_change_and_the_record_history_print_and_chart_show_it(
    started_session, nurse, specialist_client
):
    changes, _ = chart_infusion(started_session, nurse)
    rate = changes[RateChangeKind.RATE]
    page = specialist_client.get(url("session_record", started_session)).content.decode()
    assert 'data-testid="open-amend-rate"' in page and "Amend a rate change" in page

    old, new = local_hhmm(rate.changed_at), hhmm(45)
    data = _post_data(rate, **{"amendrate-value": new})
    response = specialist_client.post(url("session_record_amend_rate", started_session), data)
    assert response.status_code == 302
    assert response["Location"].endswith("#history")

    response = specialist_client.get(url("session_record", started_session))
    body = response.content.decode()
    assert f"<del>{old}</del>" in body and "Charted late" in body
    # The chart marks the rate change at its amended time.
    markers = [m["t"] for m in response.context["page"].chart["markers"] if m["kind"] == "rate"]
    rate.refresh_from_db()
    assert timezone.localtime(rate.changed_at).isoformat() in markers
    assert old not in {t[11:16] for t in markers}

    printed = specialist_client.get(url("session_record_print", started_session)).content.decode()
    assert f"Infusion rate changed at {new}: time {old} → {new}" in printed
    assert "Reason: Charted late" in printed


@pytest.mark.parametrize("who", ["nurse_client", "reception_client", "admin_client_role"])
def test_a_nurse_reception_or_clinic_admin_may_not_amend_a_rate_change(started_session, nurse, request, who):
    changes, _ = chart_infusion(started_session, nurse)
    rate = changes[RateChangeKind.RATE]
    before = rate.changed_at
    client = request.getfixturevalue(who)
    assert client.post(url("session_record_amend_rate", started_session), _post_data(rate)).status_code == 403
    rate.refresh_from_db()
    assert rate.changed_at == before
    assert not Amendment.objects.exists()


def test_a_nurse_sees_no_rate_change_amendment_form(started_session, nurse, nurse_client):
    chart_infusion(started_session, nurse)
    body = nurse_client.get(url("session_record", started_session)).content.decode()
    assert 'id="amend-rate-panel"' not in body and "Amend a rate change" not in body


def test_an_open_record_shows_no_rate_change_amendment_form(started_session, specialist_client):
    body = specialist_client.get(url("session_record", started_session)).content.decode()
    assert 'id="amend-rate-panel"' not in body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amendrate-value": "99:99"}, "value", "Enter a 24-hour time such as 14:30."),
        ({"amendrate-value": 25}, "value", "after the next change"),  # minutes ago, as HH:MM
        ({"amendrate-field": "rate_ml_per_h", "amendrate-value": "0"}, "value", "above 0 mL/h"),
        ({"amendrate-reason": ""}, "reason", "This field is required."),
    ],
)
def test_a_bad_rate_change_amendment_is_refused_next_to_its_field_and_changes_nothing(
    started_session, nurse, specialist_client, overrides, field, message
):
    overrides = {key: hhmm(v) if isinstance(v, int) else v for key, v in overrides.items()}
    changes, _ = chart_infusion(started_session, nurse)
    rate = changes[RateChangeKind.RATE]
    before = (rate.changed_at, rate.rate_ml_per_h)
    response = specialist_client.post(
        url("session_record_amend_rate", started_session), _post_data(rate, **overrides)
    )
    assert response.status_code == 422
    form = response.context["amend_rate_form"]
    assert message in " ".join(form.errors[field])
    body = response.content.decode()
    assert 'id="amend-rate-panel" class="collapse show' in body  # the panel stays open on the error
    assert f'id="error_1_id_amendrate-{field}"' in body  # crispy puts the error under its input
    rate.refresh_from_db()
    assert (rate.changed_at, rate.rate_ml_per_h) == before
    assert not Amendment.objects.exists()


@pytest.mark.parametrize("path", ["session_record", "session_record_print"])
def test_the_record_page_makes_the_same_queries_for_few_and_many_amended_rate_changes(
    started_session, make_session, nurse, specialist, specialist_client, django_assert_max_num_queries, path
):
    from .test_views import QUERY_BUDGET

    small = started_session
    large = make_session()
    services.start_infusion(session=large, by=nurse, started_at=ago(80))
    for session, n in ((small, 1), (large, 20)):
        record = _record(session)
        for i in range(n):
            services.change_rate(
                session=session,
                by=nurse,
                rate_ml_per_h=record.current_rate_ml_per_h - i - 1,
                reason=f"Step {i}",
                changed_at=ago(50 - 2 * i),
            )
        finish(session, nurse)
        for change in RateChange.objects.filter(session=session, kind=RateChangeKind.RATE):
            services.amend_rate_change(
                rate_change=change, by=specialist, field="reason", value=f"{change.reason}!", reason="Typo"
            )
    counts = []
    for session, n in ((small, 1), (large, 20)):
        with django_assert_max_num_queries(QUERY_BUDGET), CaptureQueriesContext(connection) as ctx:
            response = specialist_client.get(url(path, session))
        assert response.status_code == 200
        assert len(response.context["page"].amendments) == n
        body = response.content.decode()
        if path == "session_record":
            assert body.count('title="Amended after completion: see the history"') == n
        else:
            assert body.count("Infusion rate changed at") == n  # each amendment, printed with its target
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts

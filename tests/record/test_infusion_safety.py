"""Infusion safety while the drug runs: one rate rule for the start, rate changes, resumes and
amendments (every limit of the six seeded versions), the dose and volume delivered from the timeline,
early stops, the pump's own volume, and the preparation shown on the record and its print."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library
from records import services
from records.models import Amendment, InfusionRecord, RateChange, RateChangeKind
from records.selectors import record_page

from .conftest import chart

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tuesday_afternoon(time_machine):
    """Sessions here start up to 100 minutes before 'now': pin 'now' so none straddles midnight."""
    time_machine.move_to(datetime(2026, 11, 24, 14, 0, tzinfo=ZoneInfo("Europe/London")), tick=False)


def seeded(slug) -> ProtocolVersion:
    seed_protocol_library()
    return ProtocolVersion.objects.get(protocol__slug=slug, is_current=True)


def ago(minutes):
    return timezone.now() - timedelta(minutes=minutes)


# slug, prescribed dose (None: the default), weight 70 kg; the planned rate and what the rule says.
# lidocaine 350 mg + 35 mL in 250 mL = 285 mL over 60 min, never faster (60-minute minimum);
# ketamine 84 mg + 8.4 mL = 258.4 mL: 0.5 mg/kg/h soft = 107.66 mL/h, 1.0 hard = 215.33 mL/h;
# magnesium 2 g + 4 mL = 104 mL over 30 min, never faster; zoledronic acid 100 mL, 15 min minimum;
# pamidronate 90 mg in 250 mL: planned 125 mL/h, 60 mg/h = 166.66 mL/h; methylprednisolone 500 mg in
# 250 mL over 60 min, never faster than 30 min (500 mL/h).
STARTS = {
    "lidocaine": (None, D("285.0")),
    "ketamine": (None, D("64.6")),
    "magnesium-sulphate": (None, D("208.0")),
    "zoledronic-acid": (None, D("400.0")),
    "pamidronate": (D("90"), D("125.0")),
    "methylprednisolone": (None, D("250.0")),
}

OK, SOFT, REFUSED = "ok", "soft", "refused"
LIMIT_CASES = [
    ("lidocaine", "100", OK),
    ("lidocaine", "285", OK),
    ("lidocaine", "285.1", REFUSED),
    ("ketamine", "107.6", OK),
    ("ketamine", "107.7", SOFT),
    ("ketamine", "215.3", SOFT),
    ("ketamine", "215.4", REFUSED),
    ("ketamine", "250", REFUSED),  # 1.16 mg/kg/h against the 1.0 hard limit
    ("magnesium-sulphate", "208", OK),
    ("magnesium-sulphate", "208.1", REFUSED),
    ("zoledronic-acid", "400", OK),
    ("zoledronic-acid", "400.1", REFUSED),
    ("zoledronic-acid", "1000", REFUSED),  # the bag in 6 minutes against the 15-minute minimum
    ("pamidronate", "125", OK),
    ("pamidronate", "125.1", SOFT),
    ("pamidronate", "166.6", SOFT),
    ("pamidronate", "166.7", REFUSED),
    ("pamidronate", "500", REFUSED),  # 180 mg/h against the 60 mg/h maximum
    ("methylprednisolone", "250", OK),
    ("methylprednisolone", "250.1", SOFT),
    ("methylprednisolone", "500", SOFT),
    ("methylprednisolone", "500.1", REFUSED),
]

MESSAGES = {
    ("ketamine", "250"): "above the hard limit of 1 mg/kg/h",
    ("zoledronic-acid", "1000"): "the 15-minute minimum",
    ("pamidronate", "500"): "180 mg/h",
    ("pamidronate", "166.7"): "above the maximum rate of 60 mg/h",
    ("lidocaine", "285.1"): "the 60-minute minimum",
}


@pytest.fixture
def running(make_session, nurse):
    """A started infusion of a seeded version for a 70 kg patient, started 30 minutes ago."""

    def make(slug):
        dose, _ = STARTS[slug]
        session = make_session(version=seeded(slug))
        services.start_infusion(
            session=session,
            by=nurse,
            started_at=ago(30),
            override_dose=dose,
            soft_limit_reason="Agreed with the specialist" if dose else "",
        )
        return session

    return make


@pytest.mark.parametrize("slug", list(STARTS))
def test_it_starts_each_seeded_version_at_its_planned_rate(running, slug):
    session = running(slug)
    record = InfusionRecord.objects.get(session=session)
    assert record.rate_ml_per_h == record.current_rate_ml_per_h == STARTS[slug][1]
    start = RateChange.objects.get(session=session)
    assert (start.kind, start.rate_ml_per_h, start.above_soft_limit) == ("start", STARTS[slug][1], False)


def _expect(call, verdict, *, field, slug, rate):
    """Run `call(soft_reason)`; check the rule's verdict and that a refusal changes nothing."""
    before = RateChange.objects.count()
    if verdict == OK:
        change = call("")
        assert change.rate_ml_per_h == D(rate) and not change.above_soft_limit
        return change
    if verdict == SOFT:
        with pytest.raises(ValidationError) as exc:
            call("")
        assert list(exc.value.message_dict) == ["soft_limit_reason"]
        assert "soft limit" in exc.value.messages[0] or "planned rate" in exc.value.messages[0]
        assert RateChange.objects.count() == before
        change = call("Specialist asked for a faster rate")
        assert change.above_soft_limit and change.soft_limit_reason == "Specialist asked for a faster rate"
        return change
    with pytest.raises(ValidationError) as exc:
        call("Specialist asked for a faster rate")
    assert list(exc.value.message_dict) == [field]
    message = exc.value.message_dict[field][0]
    assert "The most allowed is" in message
    if (slug, rate) in MESSAGES:
        assert MESSAGES[(slug, rate)] in message
    assert RateChange.objects.count() == before
    return None


@pytest.mark.parametrize(("slug", "rate", "verdict"), LIMIT_CASES)
def test_a_rate_change_follows_the_rate_rule(running, nurse, slug, rate, verdict):
    session = running(slug)
    record = InfusionRecord.objects.get(session=session)
    if D(rate) == record.current_rate_ml_per_h:  # change to it from a slower rate
        services.change_rate(
            session=session, by=nurse, rate_ml_per_h=D(rate) - 10, reason="Slower", changed_at=ago(20)
        )

    def call(soft_reason):
        return services.change_rate(
            session=session,
            by=nurse,
            rate_ml_per_h=rate,
            reason="Tolerating well",
            soft_limit_reason=soft_reason,
            changed_at=ago(10),
        )

    _expect(call, verdict, field="rate_ml_per_h", slug=slug, rate=rate)
    record.refresh_from_db()
    if verdict == REFUSED:
        assert record.current_rate_ml_per_h != D(rate)
    else:
        assert record.current_rate_ml_per_h == D(rate)


@pytest.mark.parametrize(("slug", "rate", "verdict"), LIMIT_CASES)
def test_a_resume_after_a_pause_follows_the_rate_rule(running, nurse, slug, rate, verdict):
    session = running(slug)
    services.pause_infusion(session=session, by=nurse, reason="Nausea", changed_at=ago(20))

    def call(soft_reason):
        return services.resume_infusion(
            session=session, by=nurse, rate_ml_per_h=rate, soft_limit_reason=soft_reason, changed_at=ago(10)
        )

    _expect(call, verdict, field="rate_ml_per_h", slug=slug, rate=rate)
    record = InfusionRecord.objects.get(session=session)
    assert record.state == ("paused" if verdict == REFUSED else "running")


@pytest.mark.parametrize(("slug", "rate", "verdict"), LIMIT_CASES)
def test_an_amended_rate_follows_the_rate_rule(running, nurse, specialist, slug, rate, verdict):
    session = running(slug)
    planned = InfusionRecord.objects.get(session=session).current_rate_ml_per_h
    # Two slower changes: the amended one (the second) never repeats the rate before it.
    services.change_rate(
        session=session, by=nurse, rate_ml_per_h=planned - 5, reason="Slower", changed_at=ago(25)
    )
    change = services.change_rate(
        session=session, by=nurse, rate_ml_per_h=planned - 10, reason="Slower still", changed_at=ago(20)
    )
    chart(session, nurse, minutes_ago=5)
    services.stop_infusion(
        session=session, by=nurse, reason="Stopped at the end of the session", changed_at=ago(2)
    )
    services.complete_session(session=session, by=nurse)
    amend = lambda: services.amend_rate_change(  # noqa: E731
        rate_change=change, by=specialist, field="rate_ml_per_h", value=rate, reason="Pump read wrongly"
    )
    if verdict == REFUSED:
        with pytest.raises(ValidationError) as exc:
            amend()
        assert "The most allowed is" in exc.value.message_dict["value"][0]
        change.refresh_from_db()
        assert change.rate_ml_per_h == planned - 10
        assert not Amendment.objects.exists()
        return
    amend()
    change.refresh_from_db()
    assert change.rate_ml_per_h == D(rate)
    assert change.above_soft_limit == (verdict == SOFT)
    if verdict == SOFT:
        assert change.soft_limit_reason == "Amendment: Pump read wrongly"


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0", "above 0 mL/h"),
        ("-5", "above 0 mL/h"),
        ("NaN", "as a number"),
        ("abc", "as a number"),
        ("1e9", "The most allowed is"),
        ("100.25", "one decimal place"),
    ],
)
def test_it_refuses_nonsense_rates_and_changes_nothing(running, nurse, rate, message):
    session = running("ketamine")
    with pytest.raises(ValidationError) as exc:
        services.change_rate(session=session, by=nurse, rate_ml_per_h=rate, reason="x", changed_at=ago(5))
    assert message in exc.value.message_dict["rate_ml_per_h"][0]
    assert RateChange.objects.filter(session=session).count() == 1
    assert InfusionRecord.objects.get(session=session).current_rate_ml_per_h == D("64.6")


# --- dose and volume delivered ------------------------------------------------------------------


def test_a_lidocaine_infusion_stopped_after_3_minutes_is_not_complete(make_session, nurse):
    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(10))
    with pytest.raises(ValidationError) as exc:
        services.stop_infusion(session=session, by=nurse, reason="Infusion complete", changed_at=ago(7))
    assert "Only 14.3 of 285.0 mL (17.5 of 350.00 mg) has run" in exc.value.message_dict["reason"][0]
    assert InfusionRecord.objects.get(session=session).state == "running"
    services.stop_infusion(session=session, by=nurse, reason="Perioral numbness", changed_at=ago(7))
    page = record_page(pk=session.pk)
    assert page.stopped_early
    assert (page.delivered.volume_ml, page.delivered.dose_mg, page.delivered.dose_per_kg) == (
        D("14.3"),
        D("17.5"),
        D("0.25"),
    )


def test_the_delivered_dose_follows_pauses_and_rate_changes(make_session, nurse):
    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(70))  # 285 mL/h
    services.change_rate(
        session=session, by=nurse, rate_ml_per_h="142.5", reason="Tingling", changed_at=ago(60)
    )
    services.pause_infusion(session=session, by=nurse, reason="Nausea", changed_at=ago(40))
    services.resume_infusion(session=session, by=nurse, changed_at=ago(30))
    services.stop_infusion(session=session, by=nurse, reason="Patient asked to stop", changed_at=ago(10))
    # 10 min at 285 + 20 at 142.5 + 20 at 142.5 = 47.5 + 47.5 + 47.5 = 142.5 mL: half the bag.
    page = record_page(pk=session.pk)
    assert (page.delivered.volume_ml, page.delivered.dose_mg, page.delivered.percent) == (
        D("142.5"),
        D("175.0"),
        50,
    )
    assert page.stopped_early


def test_a_full_bag_is_complete_and_never_counts_past_the_bag(make_session, nurse):
    session = make_session(version=seeded("lidocaine"), checked_in_ago=timedelta(minutes=100))
    services.start_infusion(session=session, by=nurse, started_at=ago(90))
    page = record_page(pk=session.pk)
    assert page.delivered.volume_ml == D("285.0") and page.delivered.dose_mg == D("350.0")
    assert page.delivered.bag_empty_at is not None
    services.stop_infusion(session=session, by=nurse, reason="Infusion complete", changed_at=ago(25))
    page = record_page(pk=session.pk)
    assert not page.stopped_early and page.delivered.dose_mg == D("350.0")


@pytest.mark.parametrize(
    ("pump", "flagged"),
    [("14.3", False), ("15.7", False), ("15.8", True), ("12.8", True)],
)
def test_the_pumps_volume_is_kept_and_a_difference_over_10_percent_is_flagged(
    make_session, nurse, pump, flagged
):
    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(10))
    services.stop_infusion(
        session=session, by=nurse, reason="Tinnitus", changed_at=ago(7), pump_volume_ml=pump
    )
    page = record_page(pk=session.pk)
    assert page.record.pump_volume_ml == D(pump)
    assert page.pump_discrepancy is flagged


@pytest.mark.parametrize(("pump", "message"), [("-1", "0 or more"), ("600", "twice"), ("1.25", "decimal")])
def test_it_refuses_a_nonsense_pump_volume_and_changes_nothing(make_session, nurse, pump, message):
    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(10))
    with pytest.raises(ValidationError) as exc:
        services.stop_infusion(
            session=session, by=nurse, reason="Tinnitus", changed_at=ago(7), pump_volume_ml=pump
        )
    assert message in exc.value.message_dict["pump_volume_ml"][0]
    assert InfusionRecord.objects.get(session=session).state == "running"


def test_a_stop_before_the_start_is_refused(make_session, nurse):
    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(10))
    with pytest.raises(ValidationError) as exc:
        services.stop_infusion(session=session, by=nurse, reason="Tinnitus", changed_at=ago(20))
    assert "before the infusion started" in exc.value.message_dict["changed_at"][0]
    assert InfusionRecord.objects.get(session=session).state == "running"


# --- pages: the record, its print and the refusals next to their fields --------------------------


def url(name, session, *args):
    namespace = "records" if name.startswith("session_record") else "infusion_sessions"
    return reverse(f"{namespace}:{name}", args=[session.pk, *args])


def hhmm(minutes_ago=0):
    return (timezone.localtime() - timedelta(minutes=minutes_ago)).strftime("%H:%M")


def test_a_rate_above_the_maximum_is_refused_next_to_the_field(running, nurse_client):
    session = running("pamidronate")
    response = nurse_client.post(
        url("session_record_infusion", session, "rate"),
        {"rate-rate_ml_per_h": "500", "rate-reason": "Running late", "rate-changed_at": hhmm(0)},
    )
    assert response.status_code == 422
    form = response.context["rate_form"]
    assert "above the maximum rate of 60 mg/h" in form.errors["rate_ml_per_h"][0]
    assert InfusionRecord.objects.get(session=session).current_rate_ml_per_h == D("125.0")
    assert RateChange.objects.filter(session=session).count() == 1


def test_a_rate_above_the_soft_limit_asks_for_the_reason_next_to_its_field(running, nurse_client):
    session = running("ketamine")
    data = {"rate-rate_ml_per_h": "150", "rate-reason": "Pain not controlled", "rate-changed_at": hhmm(0)}
    response = nurse_client.post(url("session_record_infusion", session, "rate"), data)
    assert response.status_code == 422
    assert "soft limit of 0.5 mg/kg/h" in response.context["rate_form"].errors["soft_limit_reason"][0]
    data["rate-soft_limit_reason"] = "Dr Patel agreed 0.7 mg/kg/h by phone"
    assert nurse_client.post(url("session_record_infusion", session, "rate"), data).status_code == 302
    change = RateChange.objects.filter(session=session, kind=RateChangeKind.RATE).get()
    assert change.above_soft_limit and change.soft_limit_reason == "Dr Patel agreed 0.7 mg/kg/h by phone"
    body = nurse_client.get(url("session_record", session)).content.decode()
    assert "above soft limit" in body and "Dr Patel agreed 0.7 mg/kg/h by phone" in body


def test_the_record_and_print_show_the_preparation_limits_and_the_partial_dose(
    make_session, nurse, nurse_client
):
    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(10))
    body = nurse_client.get(url("session_record", session)).content.decode()
    assert "Draw up 35 mL of Lidocaine 1% 10 mg/mL (350 mg)" in body
    assert "add to 250 mL NaCl 0.9%" in body and "285 mL, planned 285 mL/h over 60 min" in body
    assert "never above <strong>285 mL/h</strong>" in body
    assert "Planned 285 mL/h. Never above 285 mL/h" in body  # next to the rate box
    services.stop_infusion(
        session=session, by=nurse, reason="Metallic taste", changed_at=ago(7), pump_volume_ml="20"
    )
    for name in ("session_record", "session_record_print"):
        body = nurse_client.get(url(name, session)).content.decode()
        assert "Stopped early: 17.5 of 350 mg given" in body
        assert "14.3 of 285 mL" in body
        assert "20 mL infused on the pump" in body and "40% from the record: check" in body


def test_the_stop_form_refuses_complete_before_the_bag_has_run(make_session, nurse, nurse_client):
    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(10))
    response = nurse_client.post(
        url("session_record_infusion", session, "stop"),
        {"stop-reason": "Infusion complete", "stop-changed_at": hhmm(0)},
    )
    assert response.status_code == 422
    assert "Give the reason for stopping early" in response.context["stop_form"].errors["reason"][0]
    assert InfusionRecord.objects.get(session=session).state == "running"


def test_the_fhir_bundle_gives_the_dose_actually_given(make_session, nurse, specialist_client):
    from fhir.resources.R4B.medicationadministration import MedicationAdministration

    session = make_session(version=seeded("lidocaine"))
    services.start_infusion(session=session, by=nurse, started_at=ago(10))
    services.stop_infusion(session=session, by=nurse, reason="Slurred speech", changed_at=ago(7))
    bundle = specialist_client.get(url("session_record_fhir", session)).json()
    given = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"
    ]
    assert len(given) == 1
    resource = given[0]
    MedicationAdministration.model_validate(resource)
    assert resource["status"] == "stopped"
    assert resource["dosage"]["dose"] == {
        "value": 17.5,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert resource["statusReason"] == [{"text": "Stopped early: Slurred speech"}]

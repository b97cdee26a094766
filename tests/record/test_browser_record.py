"""The session record in a real browser: a nurse checks a patient in on the day board, starts the
infusion, charts three observations from the keyboard (one raises the NEWS2 alert), sees the chart,
records the alert's escalation and completes; a specialist signs off and amends a value and a rate change, which show in the history."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from records.models import Amendment, RateChange, RateChangeKind, VitalSigns
from sessions.models import InfusionSession, OpeningHours, SessionStatus
from tests import factories
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chart_row(page, values):
    """Type one observation row from the keyboard: the focus starts on systolic, Tab moves on."""
    first = page.locator("#vitals-entry [data-first-field]")
    expect(first).to_be_focused()
    for value in values:
        if value is None:  # a select or checkbox left as it is
            page.keyboard.press("Tab")
            continue
        page.keyboard.press("Control+A")
        page.keyboard.type(str(value))
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")


def test_a_nurse_charts_a_session_and_a_specialist_signs_it_off_and_amends_it(
    page, live_server, clinic_morning_ticking
):
    # The server's clock runs from the clinic morning (the live server shares this process's clock);
    # the page's own timers read the browser's clock, so it starts there too.
    page.clock.install(time=clinic_morning_ticking)
    location = factories.LocationFactory(name="Riverside Infusion Suite", weekday_hours=False)
    OpeningHours.objects.bulk_create(
        OpeningHours(location=location, weekday=d, opens=time(0, 0), closes=time(23, 59)) for d in range(7)
    )
    chair = factories.ChairFactory(location=location, name="Bay 1 Chair 1")
    version = factories.ProtocolVersionFactory()
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    factories.WeightRecordFactory(patient=patient, weight_kg="70.0")
    nurse = factories.nurse_user(username="nurse", first_name="Nora", last_name="Nurse")
    factories.specialist_user(username="specialist", first_name="Sam", last_name="Specialist")
    start = timezone.now() - timedelta(minutes=10)
    session = InfusionSession.objects.create(
        patient=patient,
        protocol_version=version,
        chair=chair,
        start=start,
        end=start + version.chair_time,
        booked_by=nurse,
    )
    page.on("dialog", lambda d: d.accept())

    # The nurse checks the patient in on the day board.
    login(page, "nurse")
    page.goto("/sessions/")
    board_session = page.locator(f"#board-session-{session.pk}")
    board_session.get_by_role("button", name="Check in Ada Lovelace").click()
    expect(page.locator(f"#board-session-{session.pk} [data-testid=checked-in]")).to_be_visible()

    # As if the patient had arrived 45 minutes ago, so that the chart spans a realistic session.
    now = timezone.localtime()
    InfusionSession.objects.filter(pk=session.pk).update(checked_in_at=now - timedelta(minutes=45))

    def at(minutes_ago):
        return (now - timedelta(minutes=minutes_ago)).strftime("%H:%M")

    # From the session page to the record; start the infusion at the calculated dose.
    page.locator(f"#board-session-{session.pk}").get_by_role("link", name="Ada Lovelace").click()
    page.get_by_role("link", name="Open the session record").click()
    expect(page.get_by_test_id("calculated-dose")).to_contain_text("350.0 mg")
    page.get_by_label("Started at").fill(at(40))
    screenshot(page, "record-01-start")
    page.get_by_test_id("start-infusion").click()
    expect(page.get_by_test_id("session-status")).to_have_text("In progress")
    expect(page.get_by_test_id("infusion-state")).to_contain_text("Running at 285 mL/h")

    # Three observations from the keyboard, without a page reload; the third raises the alert.
    # The page opens at its #charting anchor; once loaded, Chromium moves to the anchor and drops any
    # focus given before: wait for the load, then put the focus on systolic.
    page.wait_for_load_state("load")
    page.evaluate("window.__noReload = true")
    page.locator("#vitals-entry [data-first-field]").focus()
    rows = page.get_by_test_id("vitals-row")
    # systolic, diastolic, HR, RR, SpO2, O2, temp, ACVPU, POSS, pain, time
    chart_row(page, [124, 78, 76, 16, 98, None, "36.8", None, None, 5, at(35)])
    expect(rows).to_have_count(1)
    chart_row(page, [118, 74, 84, 18, 97, None, "37.0", None, None, 3, at(20)])
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("news2-alert")).to_have_count(0)
    chart_row(page, [88, 60, 115, 18, 96, None, "37.2", None, None, 2, at(5)])
    expect(rows).to_have_count(3)
    assert page.evaluate("window.__noReload") is True  # htmx swapped fragments; the page stayed
    alert = page.get_by_test_id("news2-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("NEWS2 5")
    expect(alert).to_contain_text("systolic BP")
    expect(page.get_by_test_id("last-news2")).to_have_text("5")
    # The chart redraws when htmx has settled the swapped fragments, a moment after the table shows.
    page.wait_for_function(
        "window.sessionChart.chart && window.sessionChart.chart.data.datasets[0].data.length === 3"
    )
    assert page.evaluate("window.sessionChart.chart.data.datasets.map(d => d.label)") == [
        "Systolic BP",
        "Diastolic BP",
        "Heart rate",
        "SpO2 %",
        "Pain (0-10)",
        "NEWS2",
    ]

    # A refused row: errors inline, focus on the bad field, nothing saved.
    chart_row(page, [120, 130, 80, 16, 97, None, "36.8", None, None, 2, at(0)])
    expect(page.locator("#vitals-entry .invalid-feedback")).to_contain_text(
        "Diastolic must be below systolic."
    )
    expect(page.locator("#id_diastolic")).to_be_focused()
    expect(rows).to_have_count(3)
    screenshot(page, "record-02-charted-with-alert")

    # A rate change shows on the chart as a marker.
    page.get_by_role("button", name="Change rate").click()
    panel = page.locator("#rate-panel")
    panel.get_by_label("New rate (mL/h)").fill("125")
    panel.locator("#id_rate-reason").fill("Dizziness: rate halved")
    panel.get_by_label("Time").fill(at(0))
    panel.get_by_role("button", name="Save rate change").click()
    expect(page.get_by_test_id("rate-changes")).to_contain_text("Rate changed at 125 mL/h")
    screenshot(page, "record-02b-rate-change")

    # The alert asks for an escalation entry (issue 12): without one the session cannot be completed.
    page.get_by_test_id("alert-needs-escalation").get_by_role("link", name="Record the escalation").click()
    page.get_by_label("Who was informed").fill("Dr Sam Specialist, pain specialist")
    page.get_by_label("Rate reduced").check()
    page.get_by_label("Outcome").fill("Rate halved; dizziness settling.")
    page.get_by_test_id("save-escalation").click()
    expect(page.get_by_test_id("escalation-row")).to_contain_text("Rate reduced")

    # The alert is on the day board too.
    page.goto("/sessions/")
    expect(page.get_by_test_id("board-badge")).to_contain_text("NEWS2 5")
    screenshot(page, "record-03-day-board-badge")
    page.goto("/")
    expect(page.get_by_test_id("dash-in-progress")).to_contain_text("NEWS2 5")
    screenshot(page, "record-04-nurse-dashboard")

    # Stop, then complete: the record locks.
    page.goto(f"/sessions/{session.pk}/record/")
    page.get_by_test_id("open-stop").click()
    expect(page.locator("#stop-panel")).to_have_class(re.compile(r"\bshow\b"))
    # 40 minutes of a 60-minute bag: "Infusion complete" is refused, an early stop says why.
    page.get_by_test_id("stop-infusion").click()
    expect(page.locator("#stop-panel .invalid-feedback")).to_contain_text(
        "Give the reason for stopping early"
    )
    page.locator("#id_stop-reason").fill("Dizziness: stopped early")
    page.get_by_test_id("stop-infusion").click()
    expect(page.get_by_test_id("infusion-state")).to_contain_text("Stopped")
    expect(page.get_by_test_id("stopped-early")).to_contain_text("Stopped early")
    page.get_by_test_id("complete-session").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Completed")
    expect(page.locator("#vitals-entry")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    # The specialist signs off from the dashboard and amends a value.
    login(page, "specialist")
    page.get_by_test_id("dash-signoff").get_by_role("link", name="Ada Lovelace").click()
    page.get_by_test_id("sign-off").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Signed off")
    page.wait_for_load_state("load")  # the page finishes loading before its panels are opened
    third = VitalSigns.objects.filter(session=session).order_by("observed_at", "id").last()
    page.get_by_test_id("open-amend").click()
    amend = page.locator("#amend-panel")  # the rate change amendment has the same labels
    amend.get_by_label("Observation").select_option(str(third.pk))
    amend.get_by_label("Value to correct").select_option("heart_rate")
    amend.get_by_label("Corrected value").fill("105")
    page.get_by_test_id("save-amendment").click()  # no reason: refused
    expect(page.locator("#amend-panel .invalid-feedback")).to_contain_text("This field is required.")
    assert not Amendment.objects.exists()
    page.locator("#amend-panel").get_by_label("Reason for the amendment").fill(
        "Monitor artefact: manual pulse 105"
    )
    page.get_by_test_id("save-amendment").click()
    history = page.get_by_test_id("history-row")
    expect(history.filter(has_text="heart rate")).to_contain_text("115")
    expect(history.filter(has_text="heart rate")).to_contain_text("105")
    expect(history.first).to_contain_text("Sam Specialist")
    expect(history.first).to_contain_text("Monitor artefact: manual pulse 105")
    screenshot(page, "record-05-signed-off-amended")

    # A typo in the rate change is amended too: the rate list and the current rate follow.
    change = RateChange.objects.get(session=session, kind=RateChangeKind.RATE)
    page.get_by_test_id("open-amend-rate").click()
    amend_rate = page.locator("#amend-rate-panel")
    amend_rate.locator("#id_amendrate-rate_change").select_option(str(change.pk))
    amend_rate.get_by_label("Value to correct").select_option("rate_ml_per_h")
    amend_rate.get_by_label("Corrected value").fill("120")
    amend_rate.get_by_label("Reason for the amendment").fill("Typo: the pump ran at 120")
    page.get_by_test_id("save-rate-amendment").click()
    expect(history.filter(has_text="rate (mL/h)")).to_contain_text("125.0")
    expect(history.filter(has_text="rate (mL/h)")).to_contain_text("Typo: the pump ran at 120")
    expect(page.get_by_test_id("rate-changes")).to_contain_text("Rate changed at 120 mL/h")
    screenshot(page, "record-05a-rate-change-amended")

    # A note after the fact is an addendum: it changes no value and prints with the record.
    page.get_by_test_id("open-addendum").click()
    page.get_by_label("Addendum").fill("Phoned the next day: dizziness settled within the hour.")
    page.get_by_test_id("save-addendum").click()
    expect(page.get_by_test_id("addendum")).to_contain_text("Phoned the next day: dizziness settled")
    expect(page.get_by_test_id("addendum")).to_contain_text("Sam Specialist")
    screenshot(page, "record-05b-addendum")

    page.goto(f"/sessions/{session.pk}/record/print/")
    expect(page.get_by_test_id("print-record")).to_contain_text("Signed off by Sam Specialist")
    expect(page.get_by_test_id("print-addenda")).to_contain_text("dizziness settled within the hour")
    page.emulate_media(media="print")
    screenshot(page, "record-06-print")
    session.refresh_from_db()
    assert session.status == SessionStatus.SIGNED_OFF

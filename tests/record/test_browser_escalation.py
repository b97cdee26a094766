"""NEWS2 escalation in a real browser (issue 12, item 4): a nurse charts an alert, sees the next
observation fall due sooner, is refused completion with a link to the escalation, records it (a
missing action is refused next to the field first) and completes; the print shows the entry."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from records import services
from records.models import Escalation
from sessions.models import InfusionSession, OpeningHours, SessionStatus
from tests import factories
from tests.conftest import login, screenshot

from .test_browser_record import chart_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The clock runs on (tick=True) from a fixed weekday morning, so typed times never cross midnight.
MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def test_a_nurse_records_a_news2_alert_and_its_escalation_before_completing(page, live_server):
    with time_machine.travel(MORNING, tick=True):
        location = factories.LocationFactory(name="Riverside Infusion Suite", weekday_hours=False)
        OpeningHours.objects.bulk_create(
            OpeningHours(location=location, weekday=d, opens=time(7, 0), closes=time(20, 0)) for d in range(7)
        )
        version = factories.ProtocolVersionFactory()
        patient = factories.PatientFactory(first_name="Grace", last_name="Hopper")
        factories.WeightRecordFactory(patient=patient, weight_kg="70.0")
        nurse = factories.nurse_user(username="nurse", first_name="Nora", last_name="Nurse")
        now = timezone.localtime()
        session = InfusionSession.objects.create(
            patient=patient,
            protocol_version=version,
            chair=factories.ChairFactory(location=location, name="Bay 1 Chair 2"),
            start=now - timedelta(minutes=50),
            end=now - timedelta(minutes=50) + version.chair_time,
            status=SessionStatus.CHECKED_IN,
            checked_in_at=now - timedelta(minutes=45),
            booked_by=nurse,
        )
        services.start_infusion(session=session, by=nurse, started_at=now - timedelta(minutes=40))

        def at(minutes_ago):
            return (now - timedelta(minutes=minutes_ago)).strftime("%H:%M")

        page.clock.install(time=MORNING)  # the page's own overdue timer reads the browser's clock
        login(page, "nurse")
        page.goto(f"/sessions/{session.pk}/record/")
        page.locator("#vitals-entry [data-first-field]").focus()
        # systolic, diastolic, HR, RR, SpO2, O2, temp, ACVPU, POSS, pain, time
        chart_row(page, [122, 76, 78, 16, 98, None, "36.8", None, None, 4, at(25)])
        expect(page.get_by_test_id("vitals-row")).to_have_count(1)
        chart_row(page, [88, 60, 115, 22, 96, None, "37.2", None, None, 3, at(2)])
        alert = page.get_by_test_id("news2-alert")
        expect(alert).to_contain_text("NEWS2 7")
        expect(alert).to_contain_text("every 5 min")
        expect(page.get_by_test_id("alert-needs-escalation")).to_be_visible()
        due = page.get_by_test_id("observation-due")
        expect(due).to_have_attribute("data-during-alert", "true")
        expect(due).to_contain_text(f"due at {(now + timedelta(minutes=3)).strftime('%H:%M')}")

        # Stop, then try to complete: refused, with a link to the missing escalation.
        page.reload()
        page.get_by_test_id("open-stop").click()
        page.locator("#id_stop-reason").fill("Hypotension: stopped early")  # 40 of 60 minutes have run
        page.get_by_test_id("stop-infusion").click()
        expect(page.get_by_test_id("infusion-state")).to_contain_text("Stopped")
        page.get_by_test_id("complete-session").click()
        expect(page.locator("#completion")).to_contain_text("has no escalation entry")
        expect(page.get_by_test_id("session-status")).to_have_text("In progress")
        screenshot(page, "escalation-01-completion-refused")
        page.get_by_test_id("add-missing-escalation").click()

        # No action chosen: refused next to the field, nothing saved.
        form = page.get_by_test_id("escalation-form")
        expect(form.get_by_label("Alert")).to_contain_text("NEWS2 7 (urgent")
        form.get_by_label("Who was informed").fill("Dr Priya Shah, pain specialist")
        form.get_by_label("Outcome").fill(
            "Reviewed at the chair within 5 minutes; NEWS2 3 at the next check."
        )
        page.get_by_test_id("save-escalation").click()
        expect(page.locator("#div_id_action")).to_contain_text("Choose the action taken.")
        assert not Escalation.objects.exists()
        screenshot(page, "escalation-02-missing-action")
        page.get_by_test_id("escalation-form").get_by_label("Doctor review").check()
        page.get_by_test_id("save-escalation").click()

        rows = page.get_by_test_id("escalation-row")
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text("Dr Priya Shah, pain specialist")
        expect(rows).to_contain_text("Doctor review")
        expect(rows).to_contain_text("Nora Nurse")
        expect(page.get_by_test_id("alert-escalated")).to_be_visible()
        page.locator("#escalations").scroll_into_view_if_needed()
        screenshot(page, "escalation-03-record")

        page.get_by_test_id("complete-session").click()
        expect(page.get_by_test_id("session-status")).to_have_text("Completed")
        page.goto(f"/sessions/{session.pk}/record/print/")
        expect(page.get_by_test_id("print-escalations")).to_contain_text("Dr Priya Shah, pain specialist")
        page.emulate_media(media="print")
        screenshot(page, "escalation-04-print")

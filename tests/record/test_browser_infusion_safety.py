"""Infusion safety in a real browser: a nurse on a pamidronate infusion is refused a rate above the
60 mg/h maximum (the message by the rate box, nothing saved), gives a reason for a rate above the
planned one, stops early, and sees the partial dose on the record and on the print."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library
from records import services
from records.models import InfusionRecord, RateChange
from sessions.models import InfusionSession, OpeningHours, SessionStatus
from tests import factories
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# A Tuesday afternoon: the session's times never straddle midnight, whatever the wall clock says.
# The live server runs in this process, so it reads the same pinned (and ticking) clock.
@time_machine.travel(datetime(2026, 11, 24, 14, 0, tzinfo=ZoneInfo("Europe/London")), tick=True)
def test_a_nurse_is_refused_a_rate_above_the_maximum_and_stops_early(page, live_server):
    seed_protocol_library()  # transactional tests flush the migration's rows
    version = ProtocolVersion.objects.get(protocol__slug="pamidronate", is_current=True)
    location = factories.LocationFactory(name="Riverside Infusion Suite", weekday_hours=False)
    OpeningHours.objects.bulk_create(
        OpeningHours(location=location, weekday=d, opens=time(0, 0), closes=time(23, 59)) for d in range(7)
    )
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    factories.WeightRecordFactory(patient=patient, weight_kg="70.0")
    nurse = factories.nurse_user(username="nurse", first_name="Nora", last_name="Nurse")
    now = timezone.now()
    start = now - timedelta(minutes=40)
    session = InfusionSession.objects.create(
        patient=patient,
        protocol_version=version,
        chair=factories.ChairFactory(location=location, name="Bay 1 Chair 1"),
        start=start,
        end=start + version.chair_time,
        booked_by=nurse,
        status=SessionStatus.CHECKED_IN,
        checked_in_at=now - timedelta(minutes=35),
    )
    services.start_infusion(
        session=session,
        by=nurse,
        started_at=now - timedelta(minutes=30),
        override_dose=Decimal("90"),
        soft_limit_reason="Specialist prescribed 90 mg for bone pain",
    )

    login(page, "nurse")
    page.goto(f"/sessions/{session.pk}/record/")
    expect(page.get_by_test_id("preparation")).to_contain_text("90 mg Pamidronate disodium")
    expect(page.get_by_test_id("pump-limits")).to_contain_text("never above 166.6 mL/h")
    expect(page.get_by_test_id("pump-limits")).to_contain_text("the maximum rate of 60 mg/h")

    # 500 mL/h is 180 mg/h: refused next to the rate, nothing saved.
    page.get_by_role("button", name="Change rate").click()
    panel = page.locator("#rate-panel")
    expect(panel).to_have_class(re.compile(r"\bshow\b"))
    expect(panel).to_contain_text("Never above 166.6 mL/h")
    panel.get_by_label("New rate (mL/h)").fill("500")
    panel.locator("#id_rate-reason").fill("Running late")
    panel.get_by_role("button", name="Save rate change").click()
    rate_error = page.locator("#rate-panel .invalid-feedback").first
    expect(rate_error).to_contain_text("180 mg/h")
    expect(rate_error).to_contain_text("above the maximum rate of 60 mg/h")
    assert RateChange.objects.filter(session=session).count() == 1
    screenshot(page, "safety-01-rate-refused")

    # 150 mL/h is within the maximum but faster than planned: the reason is asked for, then kept.
    panel = page.locator("#rate-panel")
    panel.get_by_label("New rate (mL/h)").fill("150")
    panel.get_by_role("button", name="Save rate change").click()
    expect(page.locator("#rate-panel .invalid-feedback")).to_contain_text("Record the reason to go on")
    page.locator("#rate-panel").get_by_label("Reason for a rate above the soft limit").fill(
        "Dr Shah agreed by phone"
    )
    page.locator("#rate-panel").get_by_role("button", name="Save rate change").click()
    expect(page.get_by_test_id("rate-changes")).to_contain_text("Rate changed at 150 mL/h")
    expect(page.get_by_test_id("rate-changes")).to_contain_text("above soft limit")

    # Stopped early: "Infusion complete" is refused; the partial dose shows on the record and print.
    page.get_by_test_id("open-stop").click()
    stop = page.locator("#stop-panel")
    expect(stop).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_test_id("stop-infusion").click()
    expect(page.locator("#stop-panel .invalid-feedback")).to_contain_text(
        "Give the reason for stopping early"
    )
    stop = page.locator("#stop-panel")
    stop.locator("#id_stop-reason").fill("Flushing and hypotension")
    stop.get_by_label("Volume infused on the pump (mL)").fill("62.5")
    page.get_by_test_id("stop-infusion").click()
    expect(page.get_by_test_id("stopped-early")).to_contain_text("Stopped early:")
    expect(page.get_by_test_id("stopped-early")).to_contain_text("of 90 mg given")
    record = InfusionRecord.objects.get(session=session)
    assert record.state == "stopped" and record.pump_volume_ml == Decimal("62.5")
    screenshot(page, "safety-02-stopped-early")

    page.goto(f"/sessions/{session.pk}/record/print/")
    expect(page.get_by_test_id("stopped-early")).to_contain_text("of 90 mg given")
    expect(page.get_by_test_id("preparation")).to_contain_text("Pamidronate disodium")
    page.emulate_media(media="print")
    screenshot(page, "safety-03-print")

"""Reception finds a slot, books a ketamine course and sees it on the day board; a nurse checks in."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sessions import booking
from sessions.models import InfusionSession, OpeningHours, SessionStatus

from .. import factories
from ..conftest import login, screenshot
from .conftest import eligible_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reception_finds_a_slot_books_a_course_and_sees_it_on_the_day_board(
    page, ketamine, lidocaine, chairs, monday
):
    factories.reception_user(username="rita", first_name="Rita", last_name="Hughes")
    patient = eligible_patient(ketamine)
    other = eligible_patient(lidocaine)
    # Someone already starts at 08:00 on the Monday: levelling should stagger our start away from it.
    booking.book_session(
        patient=other,
        protocol_version=lidocaine,
        chair=chairs[0],
        start=timezone.make_aware(
            timezone.datetime.combine(monday, timezone.datetime.min.time().replace(hour=8))
        ),
        booked_by=factories.UserFactory(),
    )
    login(page, "rita")
    page.goto(f"/sessions/book/?patient={patient.pk}")
    search = page.locator("[data-testid=slot-search]")
    search.get_by_label("Protocol").select_option(str(ketamine.pk))
    search.get_by_label("Earliest date").fill(monday.isoformat())
    search.get_by_label("Time of day").select_option("morning")
    search.get_by_role("button", name="Find slots").click()
    page.wait_for_load_state("networkidle")
    slots = page.locator("[data-testid=slots] tbody tr")
    assert slots.count() == 10
    first_row = slots.first.inner_text()
    assert monday.strftime("%-d %b %Y") in first_row
    screenshot(page, "scheduling-1-slots")

    slots.first.get_by_role("button", name="Book course").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert-success")).to_contain_text("Booked a course of 5 sessions")
    assert page.locator("[data-testid=course-sessions] tbody tr").count() == 5
    screenshot(page, "scheduling-2-course")

    sessions = list(InfusionSession.objects.filter(patient=patient).order_by("start"))
    assert len(sessions) == 5 and {s.status for s in sessions} == {SessionStatus.BOOKED}
    page.get_by_role("link", name=f"Day board {monday.strftime('%-d %b %Y')}").click()
    page.wait_for_load_state("networkidle")
    block = page.locator("[data-testid=board-session]", has_text=patient.full_name)
    assert block.count() == 1
    assert block.get_attribute("data-status") == "booked"
    screenshot(page, "scheduling-3-day-board")

    page.get_by_role("link", name="Week").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".week-session", has_text=patient.full_name).count() == 5
    screenshot(page, "scheduling-4-week")

    page.goto(patient.get_absolute_url())
    upcoming = page.locator("[data-testid=patient-sessions] tbody tr")
    assert upcoming.count() == 5
    expect(upcoming.first).to_contain_text("(1 of 5)")
    screenshot(page, "scheduling-9-patient-page")


def test_a_nurse_checks_a_patient_in_from_the_day_board_with_one_click(
    clinic_morning_ticking, page, lidocaine, chairs
):
    factories.nurse_user(username="nadia", first_name="Nadia", last_name="Okafor")
    location = chairs[0].location
    OpeningHours.objects.filter(location=location).delete()
    for d in range(7):
        OpeningHours.objects.create(location=location, weekday=d, opens="00:00", closes="23:59")
    now = timezone.localtime()
    start = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    patient = eligible_patient(lidocaine)
    session = booking.book_session(
        patient=patient,
        protocol_version=lidocaine,
        chair=chairs[1],
        start=start,
        booked_by=factories.UserFactory(),
    )
    login(page, "nadia")
    page.goto("/sessions/")
    block = page.locator(f"#board-session-{session.pk}")
    block.get_by_role("button", name=f"Check in {patient.full_name}").click()
    page.locator(f"#board-session-{session.pk}[data-status=checked_in]").wait_for()
    expect(page.locator(f"#board-session-{session.pk}")).to_contain_text("Checked in")
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN
    screenshot(page, "scheduling-5-checked-in")
    page.goto("/")
    assert patient.full_name in page.locator("[data-testid=dashboard-nurse]").inner_text()
    screenshot(page, "scheduling-10-nurse-dashboard")


def test_reception_sees_why_a_chosen_time_cannot_be_booked_and_keeps_what_was_typed(
    page, lidocaine, chairs, monday
):
    factories.reception_user(username="rita")
    patient = eligible_patient(lidocaine)
    login(page, "rita")
    page.goto(f"/sessions/book/?patient={patient.pk}")
    form = page.locator("[data-testid=booking-form]")
    form.get_by_label("Protocol").select_option(str(lidocaine.pk))
    form.get_by_label("Chair").select_option(str(chairs[1].pk))
    form.get_by_label("First session starts").fill(f"{monday.isoformat()}T17:30")
    form.get_by_role("button", name="Book").click()
    page.wait_for_load_state("networkidle")
    feedback = page.locator("[data-testid=booking-form] .invalid-feedback")
    expect(feedback).to_contain_text("outside opening hours")
    assert (
        page.locator("[data-testid=booking-form]").get_by_label("First session starts").input_value()
        == f"{monday.isoformat()}T17:30"
    )
    assert not InfusionSession.objects.exists()
    screenshot(page, "scheduling-6-bad-input")


def test_a_clinic_admin_fills_a_weeks_rota_and_sees_it_in_the_week_view(page, chairs, monday):
    factories.admin_user(username="alex")
    login(page, "alex")
    page.goto("/sessions/setup/")
    screenshot(page, "scheduling-7-setup")
    page.get_by_label("Week starting").fill(monday.isoformat())
    page.get_by_label("Morning nurses").fill("3")
    page.get_by_role("button", name="Fill the week").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".alert-success")).to_contain_text("10 shift(s)")
    assert (
        page.locator(".card", has_text=monday.strftime("%a %-d %b"))
        .first.inner_text()
        .count("Rota: 3 nurses 08:00–13:00, 2 nurses 13:00–18:00")
        == 1
    )
    screenshot(page, "scheduling-8-week-rota")


def test_reception_sees_what_is_missing_before_any_slot_then_slots_in_time_order(
    page, lidocaine, chairs, monday, clinic_morning_ticking
):
    page.clock.install(time=clinic_morning_ticking)
    factories.reception_user(username="rita", first_name="Rita", last_name="Hughes")
    waiting = factories.PatientFactory(first_name="Owen", last_name="Price")
    factories.ReferralFactory(patient=waiting, status="received")
    ready = eligible_patient(lidocaine)
    other = eligible_patient(lidocaine)
    booking.book_session(
        patient=other,
        protocol_version=lidocaine,
        chair=chairs[0],
        start=timezone.make_aware(
            timezone.datetime.combine(monday, timezone.datetime.min.time().replace(hour=10))
        ),
        booked_by=factories.UserFactory(),
    )
    login(page, "rita")
    for patient in (waiting, ready):
        page.goto(f"/sessions/book/?patient={patient.pk}")
        search = page.locator("[data-testid=slot-search]")
        search.get_by_label("Protocol").select_option(str(lidocaine.pk))
        search.get_by_label("Earliest date").fill(monday.isoformat())
        search.get_by_role("button", name="Find slots").click()
        page.wait_for_load_state("load")
        if patient == waiting:
            blockers = page.get_by_test_id("booking-blockers")
            expect(blockers).to_contain_text("Owen Price cannot be booked for")
            expect(blockers.get_by_test_id("blocker")).to_have_count(2)
            expect(blockers).to_contain_text("Ask a pain specialist: triage the referral.")
            assert page.locator("[data-testid=slots]").count() == 0
            assert blockers.bounding_box()["y"] < page.get_by_test_id("booking-form").bounding_box()["y"]
            screenshot(page, "scheduling-5-slot-finder-blockers")
    times = page.get_by_test_id("slot-time").all_inner_texts()
    assert len(times) == 10 and times == sorted(times)
    assert page.get_by_test_id("quieter").count() > 0
    screenshot(page, "scheduling-6-slots-in-time-order")

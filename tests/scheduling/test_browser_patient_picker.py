"""Reception finds the patient by typing part of their name and picks them with the keyboard, on the
booking form and in the slot finder; without JavaScript a Search button narrows the choice instead.
Screenshots of the open list at a desk and on a phone: tests/artifacts/picker-*.png."""

from datetime import date

import pytest
from playwright.sync_api import expect

from sessions.models import InfusionSession, SessionStatus

from .. import factories
from ..conftest import login, screenshot
from ..foundation.test_browser_accessibility import _violations
from ..foundation.test_browser_viewports import OVERFLOW_JS
from .conftest import accepted_referral, at, make_eligible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = date(2026, 11, 30)  # the Monday after CLINIC_MORNING


@pytest.fixture
def clinic(clinic_morning_ticking, page, lidocaine, chairs):
    """Thirty patients, two Thornes (keyboard choice between them) and reception signed in."""
    factories.reception_user(username="rita", first_name="Rita", last_name="Hughes")
    crowd = factories.PatientFactory.create_batch(30)
    peter = factories.PatientFactory(first_name="Peter", last_name="Thorne", date_of_birth=date(1950, 6, 1))
    margaret = factories.PatientFactory(
        first_name="Margaret", last_name="Thornton", nhs_number="9434765919", date_of_birth=date(1961, 3, 14)
    )
    for patient in (peter, margaret):
        accepted_referral(patient)
        make_eligible(patient, lidocaine.protocol.family)
    second = accepted_referral(margaret, condition="crps", funding_route="self_pay", commissioner=None)
    login(page, "rita")
    return {"crowd": crowd, "peter": peter, "margaret": margaret, "second": second}


def _pick_thornton(page, box):
    """Type part of the name; the list shows both Thornes; Down, Down, Enter picks the second."""
    box.click()
    box.press_sequentially("thorn", delay=40)
    listbox = page.get_by_role("listbox", name="Matching patients").locator("visible=true")
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    box.press("ArrowDown")
    active = listbox.locator("[role=option][aria-selected=true]")
    expect(active).to_contain_text("THORNTON, Margaret")
    expect(box).to_have_attribute("aria-activedescendant", active.get_attribute("id"))
    return listbox


def test_reception_books_by_typing_part_of_the_name_and_picking_with_the_keyboard(
    page, clinic, lidocaine, chairs
):
    margaret, second = clinic["margaret"], clinic["second"]
    page.goto("/sessions/book/")
    html = page.content()
    assert not [p for p in clinic["crowd"] if str(p) in html]  # no patient is listed before a search
    form = page.locator("[data-testid=booking-form]")
    box = form.get_by_role("combobox", name="Patient")
    listbox = _pick_thornton(page, box)
    expect(listbox).to_contain_text("born 14 Mar 1961 · NHS 943 476 5919")
    assert _violations(page) == []  # axe, with the list open
    screenshot(page, "picker-1-booking-list-open-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    box.scroll_into_view_if_needed()
    screenshot(page, "picker-2-booking-list-open-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    box.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("THORNTON, Margaret")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(form.locator("[data-picker-chosen]")).to_have_text("born 14 Mar 1961 · NHS 943 476 5919")
    assert form.locator("input[type=hidden][name=patient]").input_value() == str(margaret.pk)
    # The referral field now offers Margaret's two referrals, and only those.
    referral = form.get_by_label("Referral")
    expect(referral.locator("option")).to_have_count(3)
    referral.select_option(str(second.pk))
    form.get_by_label("Protocol").select_option(str(lidocaine.pk))
    form.get_by_label("Chair").select_option(str(chairs[1].pk))
    form.get_by_label("First session starts").fill(f"{MONDAY.isoformat()}T10:00")
    screenshot(page, "picker-3-booking-filled")
    form.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Booked Margaret Thornton on Mon 30 Nov 2026 10:00"
    )
    session = InfusionSession.objects.get()
    assert (session.patient, session.referral, session.chair, session.start) == (
        margaret,
        second,
        chairs[1],
        at(MONDAY, 10),
    )
    assert session.status == SessionStatus.BOOKED


def test_changing_the_text_after_a_pick_empties_the_choice_and_the_server_says_so(
    page, clinic, lidocaine, chairs
):
    page.goto("/sessions/book/")
    form = page.locator("[data-testid=booking-form]")
    box = form.get_by_role("combobox", name="Patient")
    _pick_thornton(page, box)
    box.press("Enter")
    expect(form.get_by_label("Referral").locator("option")).to_have_count(3)
    box.press("Backspace")  # no longer the chosen patient's name
    assert form.locator("input[type=hidden][name=patient]").input_value() == ""
    expect(form.locator("[data-picker-chosen]")).to_be_hidden()
    expect(form.get_by_label("Referral").locator("option")).to_have_count(1)
    box.press("Escape")  # closes the list the new text opened
    box.press("Escape")  # clears the box
    expect(box).to_have_value("")
    form.get_by_label("Protocol").select_option(str(lidocaine.pk))
    form.get_by_label("Chair").select_option(str(chairs[0].pk))
    form.get_by_label("First session starts").fill(f"{MONDAY.isoformat()}T10:00")
    form.get_by_role("button", name="Book", exact=True).click()
    feedback = page.locator("#book_patient_error")
    expect(feedback).to_be_visible()
    expect(feedback).to_contain_text("Choose the patient: type part of their name")
    assert not InfusionSession.objects.exists()


def test_the_slot_finder_finds_the_patient_as_you_type_then_books_a_slot(page, clinic, lidocaine):
    margaret, second = clinic["margaret"], clinic["second"]
    page.goto("/sessions/book/")
    search = page.locator("[data-testid=slot-search]")
    box = search.get_by_role("combobox", name="Patient")
    _pick_thornton(page, box)
    box.press("Enter")
    referral = search.get_by_label("Referral")
    expect(referral.locator("option")).to_have_count(3)  # Margaret has two: she must choose
    referral.select_option(str(second.pk))
    search.get_by_label("Protocol").select_option(str(lidocaine.pk))
    search.get_by_label("Earliest date").fill(MONDAY.isoformat())
    search.get_by_role("button", name="Find slots").click()
    page.wait_for_load_state("load")
    slots = page.locator("[data-testid=slots] tbody tr")
    expect(slots).to_have_count(10)
    # The page came back with Margaret chosen in both pickers.
    expect(search.get_by_role("combobox", name="Patient")).to_have_value("THORNTON, Margaret")
    booking = page.locator("[data-testid=booking-form]")
    expect(booking.get_by_role("combobox", name="Patient")).to_have_value("THORNTON, Margaret")
    screenshot(page, "picker-4-slot-finder")
    slots.first.get_by_role("button", name="Book").click()
    expect(page.locator(".alert-success")).to_contain_text("Booked Margaret Thornton on Mon 30 Nov 2026")
    session = InfusionSession.objects.get()
    assert (session.patient, session.referral) == (margaret, second)


def test_a_patient_from_the_patients_page_is_already_chosen(page, clinic):
    margaret = clinic["margaret"]
    page.goto(f"/sessions/book/?patient={margaret.pk}")
    form = page.locator("[data-testid=booking-form]")
    expect(form.get_by_role("combobox", name="Patient")).to_have_value("THORNTON, Margaret")
    expect(form.locator("[data-picker-chosen]")).to_be_visible()
    assert form.locator("input[type=hidden][name=patient]").input_value() == str(margaret.pk)
    expect(form.get_by_label("Referral").locator("option")).to_have_count(3)
    for width in (1366, 390):  # the name fits its box; nothing is cut or past the screen's edge
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(OVERFLOW_JS) == [], width


def test_without_javascript_a_search_narrows_the_choice(
    browser, live_server, clinic_morning_ticking, lidocaine, chairs
):
    factories.reception_user(username="rita")
    factories.PatientFactory.create_batch(10)
    margaret = factories.PatientFactory(first_name="Margaret", last_name="Thornton")
    accepted_referral(margaret)
    make_eligible(margaret, lidocaine.protocol.family)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        login(page, "rita")
        page.goto("/sessions/book/")
        form = page.locator("[data-testid=booking-form]")
        form.locator("#book_patient_search").fill("thornt")
        form.get_by_role("button", name="Search").click()
        page.wait_for_load_state("load")
        form = page.locator("[data-testid=booking-form]")
        chosen = form.get_by_label("Patients matching “thornt”")
        assert chosen.input_value() == str(margaret.pk)  # the one match is chosen
        form.get_by_label("Protocol").select_option(str(lidocaine.pk))
        form.get_by_label("Chair").select_option(str(chairs[0].pk))
        form.get_by_label("First session starts").fill(f"{MONDAY.isoformat()}T09:00")
        screenshot(page, "picker-5-no-javascript")
        form.get_by_role("button", name="Book", exact=True).click()
        page.wait_for_load_state("load")
        assert "Booked Margaret Thornton" in page.locator(".alert-success").inner_text()
        assert InfusionSession.objects.get().patient == margaret
    finally:
        context.close()

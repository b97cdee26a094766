import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audit.models import AccessEvent

from .. import factories
from ..conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_idle_warning_keeps_the_session_then_signs_out_when_ignored(page, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    factories.reception_user(username="rita")
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    login(page, "rita")
    page.goto(reverse("patients:patient_detail", args=[patient.pk]))
    warning = page.get_by_test_id("idle-warning")
    expect(warning).to_be_hidden()

    page.clock.fast_forward("13:05")  # two minutes before the 15 are up, and a little
    expect(warning).to_be_visible()
    expect(warning.get_by_role("heading", name="Still there?")).to_be_visible()
    screenshot(page, "idle-warning")
    with page.expect_response(lambda r: r.url.endswith(reverse("audit:keep_alive"))) as ping:
        warning.get_by_role("button", name="Stay signed in").click()
    assert ping.value.status == 204
    expect(warning).to_be_hidden()

    page.clock.fast_forward("13:05")  # the count started again: warned again, not signed out
    expect(warning).to_be_visible()
    page.clock.fast_forward("02:00")  # ignored: the browser signs out
    page.wait_for_url("**/accounts/login/")
    expect(page.get_by_role("alert")).to_contain_text("You were signed out after 15 minutes without activity")
    screenshot(page, "idle-signed-out")


def test_the_admin_reads_a_patients_access_audit(page, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    factories.admin_user(username="adele", first_name="Adele", last_name="Admin")
    nurse = factories.nurse_user(username="nina", first_name="Nina", last_name="Nurse")
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    for label in ("Ada Lovelace", "Pain diary: Ada Lovelace"):
        AccessEvent.objects.create(
            user=nurse,
            at=clinic_morning_ticking,
            kind="patient" if label == "Ada Lovelace" else "diary",
            patient_id=patient.pk,
            label=label,
            path=f"/patients/{patient.pk}/",
            method="GET",
            ip="10.1.2.3",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/131",
        )
    login(page, "adele")
    page.goto(reverse("patients:patient_detail", args=[patient.pk]))
    page.get_by_test_id("patient-audit-link").click()
    expect(page.get_by_role("heading", name="Who opened Ada Lovelace's records")).to_be_visible()
    expect(page.get_by_test_id("access-event-row")).to_have_count(3)  # the admin's own opening too
    expect(page.get_by_test_id("access-event-row").first).to_contain_text("Adele Admin")
    screenshot(page, "access-audit-patient")

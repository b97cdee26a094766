"""Reception registers a referral for a new patient; a specialist triages it and records eligibility."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import EligibilityAssessment, Patient, Referral

from .. import factories
from ..conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")


def test_reception_registers_a_referral_and_a_specialist_triages_and_assesses_it(page):
    factories.reception_user(username="rita", first_name="Rita", last_name="Hughes")
    factories.specialist_user(username="drpatel", first_name="Samuel", last_name="Patel")
    commissioner = factories.CommissionerFactory()
    factories.ProtocolFamilyFactory(slug="lidocaine", name="Lidocaine")
    factories.ProtocolFamilyFactory(slug="ketamine", name="Ketamine", display_order=2)

    # Reception: from the dashboard card to the intake page.
    login(page, "rita")
    page.get_by_role("link", name="Register a referral letter").click()
    page.wait_for_url("**/patients/referrals/new/")
    page.fill("#id_patient-first_name", "Joan")
    page.fill("#id_patient-last_name", "Ashworth")
    page.fill("#id_patient-date_of_birth", "1961-03-14")
    page.select_option("#id_patient-sex", "F")
    page.fill("#id_patient-nhs_number", "401 023 2137")
    page.fill("#id_patient-address_line1", "12 Mill Lane")
    page.fill("#id_patient-town", "Stockport")
    page.fill("#id_patient-postcode", "sk4 1ab")
    page.fill("#id_patient-phone", "+44 (0)7700 900321")
    page.fill("#id_patient-email", "joan.ashworth@example.org")
    page.check("#id_patient-consent_sms")
    page.fill("#id_patient-gp_practice_name", "Heaton Moor Medical Group")
    page.fill("#id_patient-gp_practice_ods", "P88012")
    page.fill("#id_patient-allergies", "Codeine (vomiting)")
    # The GP practice is asked for once: a GP referral comes from the patient's practice.
    expect(page.locator("#id_referral-gp_practice_name")).to_have_count(0)
    page.select_option("#id_referral-condition", "neuropathic")
    page.fill("#id_referral-prior_treatments", "Pregabalin, amitriptyline, TENS")
    page.fill(
        "#id_referral-letter_text", "Dear Dr Patel, please see Mrs Ashworth with post-herpetic neuralgia."
    )
    page.select_option("#id_referral-commissioner", str(commissioner.pk))
    # The insurer fields are hidden for an NHS referral.
    expect(page.locator("#id_referral-policy_number")).to_be_hidden()
    screenshot(page, "patients-intake-filled")
    page.get_by_role("button", name="Register referral").click()
    page.wait_for_url("**/patients/referrals/*/")
    expect(page.get_by_test_id("referral-status").first).to_have_text("Received")
    expect(page.get_by_role("alert")).to_contain_text("Referral registered for Joan Ashworth")
    screenshot(page, "patients-referral-registered")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Patients").click()
    page.get_by_label("Find a patient").fill("401 023 2137")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="ASHWORTH, Joan")).to_be_visible()
    screenshot(page, "patients-search")
    sign_out(page)

    # Specialist: triage queue -> read -> triage -> book assessment -> eligibility -> accepted.
    login(page, "drpatel")
    expect(
        page.get_by_test_id("dashboard-specialist").get_by_role("link", name="ASHWORTH, Joan")
    ).to_be_visible()
    screenshot(page, "patients-dashboard-specialist")
    page.get_by_role("link", name="Triage", exact=True).click()
    expect(page.get_by_test_id("triage-count")).to_have_text("1")
    screenshot(page, "patients-triage-queue")
    page.get_by_role("link", name="Read and triage").click()
    page.fill("#id_note", "Neuropathic pain, suitable for a lidocaine trial.")
    page.get_by_role("button", name="Mark triaged").click()
    page.get_by_role("button", name="Book eligibility assessment").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Awaiting assessment")
    page.get_by_role("link", name="Lidocaine").click()
    page.fill("#id_weight_kg", "68.4")
    page.fill("#id_height_cm", "162")
    page.fill("#id_egfr", "84")
    page.select_option("#id_ecg_result", "normal")
    page.fill("#id_qtc_ms", "415")
    page.get_by_label("Eligible", exact=True).check()
    # Each ECG choice fits its box whole ("Not done" was cut to "Not don"): the select is wider than its
    # longest option's text plus the room Bootstrap keeps for the arrow.
    room = page.evaluate(
        """() => {
            const select = document.querySelector('#id_ecg_result');
            const style = getComputedStyle(select);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const widest = Math.max(...[...select.options].map(o => ctx.measureText(o.text).width));
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return select.clientWidth - padding - widest;
        }"""
    )
    assert room >= 0, f"the ECG select is {-room:.0f}px too narrow for its choices"
    screenshot(page, "patients-eligibility-form")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/patients/referrals/*/")
    expect(page.get_by_test_id("referral-status").first).to_have_text("Accepted")
    timeline = page.get_by_test_id("timeline").inner_text()
    for step in ("Received", "Triaged", "Awaiting assessment", "Accepted"):
        assert step in timeline
    screenshot(page, "patients-referral-accepted")

    page.get_by_role("link", name="Joan Ashworth").first.click()
    expect(page.get_by_test_id("nhs-number")).to_have_text("401 023 2137")
    expect(page.get_by_test_id("allergies")).to_contain_text("Codeine")
    expect(page.get_by_test_id("phone")).to_have_text("07700 900321")  # stored +447700900321
    expect(page.get_by_test_id("eligibility")).to_contain_text("Eligible")
    screenshot(page, "patients-patient-detail")

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Waiting list").click()
    screenshot(page, "patients-waiting-list")

    referral = Referral.objects.get()
    assert referral.status == "accepted" and referral.rtt_stopped_on is None
    assessment = EligibilityAssessment.objects.get()
    assert assessment.weight_kg == Decimal("68.4") and assessment.assessed_on == timezone.localdate()
    assert list(referral.events.values_list("to_status", flat=True)) == [
        "received",
        "triaged",
        "awaiting_assessment",
        "accepted",
    ]


def test_the_waiting_list_shows_breaches_at_a_glance_and_intake_errors_sit_by_their_fields(page):
    from datetime import timedelta

    factories.reception_user(username="rita", first_name="Rita", last_name="Hughes")
    factories.CommissionerFactory()
    factories.InsurerFactory()
    today = timezone.localdate()
    factories.ReferralFactory(
        patient=factories.PatientFactory(first_name="Margaret", last_name="Thornton"),
        received_on=today - timedelta(days=131),
        condition="fibromyalgia",
    )
    factories.ReferralFactory(
        patient=factories.PatientFactory(first_name="Priya", last_name="Sharma"),
        received_on=today - timedelta(days=120),
        condition="chronic_migraine",
    )
    factories.ReferralFactory(
        patient=factories.PatientFactory(first_name="David", last_name="Okonkwo"),
        received_on=today - timedelta(days=5),
        condition="crps",
        funding_route="insured",
        commissioner=None,
        insurer=factories.InsurerFactory(),
        policy_number="BUP-1",
    )
    login(page, "rita")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Waiting list").click()
    rows = page.get_by_test_id("waiting-list").locator("tbody tr")
    assert rows.count() == 3
    assert "table-danger" in rows.nth(0).get_attribute("class")
    assert "table-warning" in rows.nth(1).get_attribute("class")
    expect(rows.nth(0)).to_contain_text("Breach")
    expect(rows.nth(2)).to_contain_text("Private")
    screenshot(page, "patients-waiting-list-breaches")

    page.get_by_role("link", name="New referral").first.click()
    page.fill("#id_patient-first_name", "Sam")
    page.fill("#id_patient-last_name", "Future")
    page.fill("#id_patient-date_of_birth", (today + timedelta(days=3)).isoformat())
    page.fill("#id_patient-nhs_number", "943 476 5918")
    page.fill("#id_patient-phone", "07700 9003ab")
    page.select_option("#id_referral-condition", "crps")
    page.check("#id_referral-funding_route_2")  # insured
    expect(page.locator("#id_referral-policy_number")).to_be_visible()
    page.get_by_role("button", name="Register referral").click()
    expect(page.locator("#div_id_patient-date_of_birth")).to_contain_text("cannot be in the future")
    expect(page.locator("#div_id_patient-nhs_number")).to_contain_text("check digit")
    expect(page.locator("#div_id_patient-phone")).to_contain_text("no letters")
    expect(page.locator("#div_id_referral-insurer")).to_contain_text("needs the insurer")
    expect(page.locator("#div_id_referral-policy_number")).to_contain_text("policy number")
    screenshot(page, "patients-intake-errors")
    assert not Referral.objects.filter(patient__last_name="Future").exists()


def test_a_stored_phone_that_cannot_be_read_is_flagged_and_corrected_on_the_edit_page(
    page, clinic_morning_ticking
):
    page.clock.install(time=clinic_morning_ticking)
    factories.reception_user(username="rita", first_name="Rita", last_name="Hughes")
    patient = factories.PatientFactory(first_name="Harold", last_name="Pearson")
    # Typed before phone numbers were checked; the migration kept it as it was.
    Patient.objects.filter(pk=patient.pk).update(phone="ring daughter 0161")
    login(page, "rita")
    page.goto(patient.get_absolute_url())
    expect(page.get_by_test_id("phone")).to_contain_text("ring daughter 0161")
    expect(page.get_by_test_id("phone-unreadable")).to_be_visible()
    screenshot(page, "patients-phone-unreadable")
    page.goto(f"{patient.get_absolute_url()}edit/")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#div_id_phone")).to_contain_text("no letters")
    screenshot(page, "patients-phone-unreadable-edit")
    page.fill("#id_phone", "0161 496 0123")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**{patient.get_absolute_url()}")
    expect(page.get_by_test_id("phone")).to_have_text("0161 496 0123")
    expect(page.get_by_test_id("phone-unreadable")).to_have_count(0)
    screenshot(page, "patients-phone-corrected")

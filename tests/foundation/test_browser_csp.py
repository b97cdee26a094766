"""Content-Security-Policy in a real browser: each role opens its main pages in the seeded demo clinic and
the browser reports no violation of the policy (no inline script, event handler or style attribute
blocked), neither as a `securitypolicyviolation` event nor as a console message. A page that the role
may not open (403) is still checked: its error page runs under the same policy."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from billing.models import Invoice
from followup.diaries import create_diary_link, link_path
from patients.models import Patient, Referral
from sessions.models import InfusionSession, SessionStatus
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = {
    "reception": "reception-demo",
    "nurse": "nurse-demo",
    "specialist": "specialist-demo",
    "admin": "admin-demo",
}
# Before any page script runs, listen for the browser's own report of a blocked script or style.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


def _main_pages():
    patient = Patient.objects.order_by("pk").first()
    record = InfusionSession.objects.filter(status=SessionStatus.COMPLETED).order_by("-start").first()
    booked = InfusionSession.objects.filter(status=SessionStatus.BOOKED).order_by("start").first()
    referral = Referral.objects.order_by("pk").first()
    invoice = Invoice.objects.order_by("pk").first()
    return [
        "/",
        "/patients/",
        f"/patients/{patient.pk}/",
        f"/patients/referrals/{referral.pk}/",
        f"/patients/referrals/{referral.pk}/edit/",
        "/patients/referrals/new/",
        "/patients/referrals/waiting-list/",
        "/sessions/",
        "/sessions/book/",
        f"/sessions/{booked.pk}/move/",
        f"/sessions/{record.pk}/record/",
        f"/sessions/{record.pk}/record/print/",
        f"/patients/{patient.pk}/prescribe/",
        "/patients/follow-up/diaries/",
        f"/patients/follow-up/diaries/{patient.pk}/",
        f"/patients/follow-up/diaries/{patient.pk}/entry/",
        "/patients/follow-up/outcomes/",
        "/billing/invoices/",
        f"/billing/invoices/{invoice.pk}/",
        "/reports/",
        "/staff/",
        "/protocols/",
    ]


def _visit(page, path, who, problems, messages):
    messages.clear()
    response = page.goto(path)
    page.wait_for_load_state("load")
    assert response.status < 400 or response.status == 403, f"{who}: {path} answered {response.status}"
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    violations = page.evaluate("window.__cspViolations")
    problems += [f"{who} {path}: {v}" for v in violations]
    problems += [f"{who} {path} console: {m}" for m in messages if "Content Security Policy" in m]


def test_every_roles_main_pages_run_with_no_csp_violation(page, live_server, clinic_morning_ticking):
    page.clock.install(time=clinic_morning_ticking)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    page.context.add_init_script(LISTEN)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    pages = _main_pages()
    problems: list[str] = []
    for username, password in ROLES.items():
        login(page, username, password)
        for path in pages:
            _visit(page, path, username, problems, messages)
        if username == "admin":  # every report draws a Chart.js chart from a static script
            page.goto("/reports/")
            links = page.eval_on_selector_all(
                "main a[href^='/reports/']", "els => els.map(e => e.getAttribute('href'))"
            )
            reports = sorted(
                {href.split("?")[0] for href in links if not href.split("?")[0].endswith((".csv", ".pdf"))}
            )
            assert len(reports) >= 3, reports
            for path in reports:
                _visit(page, path, username, problems, messages)
        page.context.clear_cookies()
    diary = link_path(create_diary_link(patient=Patient.objects.order_by("pk").first(), created_by=None))
    _visit(page, diary, "patient", problems, messages)
    assert not problems, "\n".join(problems)


def test_positions_and_behaviours_come_from_static_scripts(page, live_server, clinic_morning_ticking):
    """What the inline code used to do still happens: the day board places its slots (CSS custom
    properties set by js/page.js), its filters submit on change, and a failed dose preview says so."""
    page.clock.install(time=clinic_morning_ticking)
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    login(page, "reception", "reception-demo")
    page.goto("/sessions/")
    slot = page.locator(".board-slot").first
    expect(slot).to_be_visible()
    left = slot.evaluate("el => getComputedStyle(el).getPropertyValue('--left')")
    assert re.fullmatch(r"\d+\.\d{3}%", left.strip()), left
    hour = page.locator(".board-hour").nth(1)
    assert hour.bounding_box()["x"] > page.locator(".board-hour").first.bounding_box()["x"]
    screenshot(page, "csp-day-board")
    page.get_by_label("Date").fill("2026-11-26")
    page.get_by_label("Date").dispatch_event("change")
    page.wait_for_url(re.compile(r"date=2026-11-26"))
    assert "date=2026-11-26" in page.url
    page.context.clear_cookies()

    login(page, "specialist", "specialist-demo")
    patient = Patient.objects.order_by("pk").first()
    page.goto(f"/patients/{patient.pk}/prescribe/")
    page.route("**/prescribe/preview/**", lambda route: route.fulfill(status=500, body="error"))
    options = page.locator("#id_protocol_version option:not([value=''])")
    page.locator("#id_protocol_version").select_option(options.first.get_attribute("value"))
    expect(page.locator("#dose-preview .alert-danger")).to_have_text(
        "The dose could not be calculated. Choose the protocol again."
    )

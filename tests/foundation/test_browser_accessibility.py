"""Accessibility: axe-core (vendored in tests/vendor, MPL-2.0) checks the pages each role uses in the
seeded demo clinic against WCAG 2.1 A and AA. A serious or critical violation fails the test, with the
rule, the page and the offending elements in the message."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).resolve().parent.parent / "vendor" / "axe-4.10.3.min.js").read_text()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Detail pages reached from the lists, one of each kind per role.
DETAIL = [
    re.compile(r"^/patients/\d+/$"),
    re.compile(r"^/patients/referrals/\d+/$"),
    re.compile(r"^/sessions/\d+/$"),
    re.compile(r"^/sessions/\d+/record/$"),
    re.compile(r"^/protocols/versions?/\d+/$"),
    re.compile(r"^/billing/invoices/\d+/$"),
    re.compile(r"^/patients/follow-up/outcomes/\d+/$"),
]
ROLES = {
    "reception": "reception-demo",
    "nurse": "nurse-demo",
    "specialist": "specialist-demo",
    "admin": "admin-demo",
}


def _violations(page):
    # axe comes in through the DevTools protocol (page.evaluate), which the pages' Content-Security-Policy
    # does not govern: a <script> tag added with its text would be an inline script, and blocked.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
        assert page.evaluate("typeof window.axe !== 'undefined'")
    results = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']})).violations.map(v => ({id: v.id, impact: v.impact, "
        "help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + "
        "(n.any.concat(n.all)[0] || {message: ''}).message.slice(0, 160))}))",
        WCAG,
    )
    return [v for v in results if v["impact"] in ("serious", "critical")]


def _links(page):
    return page.eval_on_selector_all(
        "a[href^='/']", "els => els.map(e => e.getAttribute('href').split('#')[0].split('?')[0])"
    )


def test_the_pages_each_role_uses_have_no_serious_accessibility_violations(page, live_server):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    problems, checked = [], set()
    for username, password in ROLES.items():
        login(page, username, password)
        nav = page.eval_on_selector_all(
            "nav a[href^='/']", "els => els.map(e => e.getAttribute('href').split('#')[0])"
        )
        queue = ["/"] + [href for href in nav if not href.startswith(("/admin", "/accounts/logout"))]
        seen_kinds = set()
        visited = set()
        while queue:
            path = queue.pop(0)
            if path in visited or path.endswith((".pdf", ".json", ".csv")):
                continue
            visited.add(path)
            response = page.goto(path)
            assert response.status < 400 or response.status in (403,), f"{username}: {path} {response.status}"
            checked.add(path)
            for violation in _violations(page):
                problems.append(
                    f"{username} {path}: {violation['id']} ({violation['impact']}) "
                    f"{violation['help']} -> {violation['nodes']}"
                )
            for href in _links(page):
                for kind in DETAIL:
                    if kind.match(href) and kind.pattern not in seen_kinds:
                        seen_kinds.add(kind.pattern)
                        queue.append(href)
        page.get_by_role("button", name="Sign out").click()
    # The pages without a login: the sign-in page and the patient's own pain diary form (on a phone).
    from followup.diaries import create_diary_link, link_path
    from patients.models import Patient

    prompt = create_diary_link(patient=Patient.objects.order_by("pk").first(), created_by=None)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/accounts/login/", "/accounts/password-reset/", link_path(prompt)):
        page.goto(path)
        checked.add(path)
        for violation in _violations(page):
            problems.append(
                f"anonymous {path}: {violation['id']} ({violation['impact']}) -> {violation['nodes']}"
            )
    assert len(checked) >= 25, sorted(checked)
    assert not problems, "\n".join(problems)

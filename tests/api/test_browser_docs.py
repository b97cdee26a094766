"""The API's docs page (Swagger UI from drf-spectacular-sidecar, its files from /static/ and its start-up
script from /api/docs/?script=) runs under the clinic's CSP with no violation and shows the operations."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


def test_docs_page_runs_under_the_csp(page, live_server):
    page.context.add_init_script(LISTEN)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto("/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_text("Infusion Clinic API").first).to_be_visible()
    expect(page.get_by_text("/api/sessions/{id}/observations/").first).to_be_visible()
    screenshot(page, "api-docs")
    violations = page.evaluate("window.__cspViolations")
    assert violations == []
    assert not [m for m in messages if "Content Security Policy" in m]
    assert all(url.startswith(live_server.url) for url in requests), requests  # no CDN


def test_docs_page_is_styled_for_a_signed_in_admin(page, live_server):
    """Signed in (the staff session), the docs page has Swagger UI's own styles: the operations are
    drawn as Swagger UI's coloured blocks, not as unstyled text."""
    factories.admin_user(username="docs-admin")
    page.context.add_init_script(LISTEN)
    login(page, "docs-admin")
    response = page.goto("/api/docs/")
    assert response.status == 200
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible()
    method = page.locator(".opblock-summary-method").first
    assert method.evaluate("e => getComputedStyle(e).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
    back = page.get_by_role("link", name="Back to the clinic")
    expect(back).to_be_visible()
    screenshot(page, "api-docs-admin")
    assert page.evaluate("window.__cspViolations") == []
    back.click()
    expect(page.get_by_role("link", name="Patients").first).to_be_visible()

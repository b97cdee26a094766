"""The API's docs page (Swagger UI from drf-spectacular-sidecar, its files from /static/ and its start-up
script from /api/docs/?script=) runs under the clinic's CSP with no violation and shows the operations."""

import pytest
from playwright.sync_api import expect

from tests.conftest import screenshot

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

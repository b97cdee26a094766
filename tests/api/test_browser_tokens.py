"""A clinic admin issues and revokes an API token in Chromium: from the staff member's page, under the
CSP with no violation, and with no serious accessibility violation (axe-core, as the main pages)."""

import pytest
from playwright.sync_api import expect

from api.models import ApiToken
from tests.conftest import login, screenshot
from tests.foundation.test_browser_accessibility import _violations

from .. import factories
from .test_browser_docs import LISTEN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_issues_and_revokes_a_token_in_the_browser(page, live_server):
    factories.admin_user(username="tokens-admin")
    member = factories.reception_user(username="epr-bot", first_name="EPR", last_name="Bot")
    page.context.add_init_script(LISTEN)
    login(page, "tokens-admin")
    page.goto(f"/staff/{member.pk}/")
    page.get_by_test_id("staff-api-tokens-link").click()
    page.get_by_label("What it is for").fill("EPR integration")
    page.get_by_role("button", name="Issue token").click()
    secret_box = page.get_by_label("The new API token")
    expect(secret_box).to_be_visible()
    assert secret_box.input_value().startswith(ApiToken.objects.get().prefix)
    screenshot(page, "api-token-issued")
    assert _violations(page) == []
    assert page.evaluate("window.__cspViolations") == []
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("it no longer works")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is not None
    assert page.evaluate("window.__cspViolations") == []

import pytest
from playwright.sync_api import expect

from infusion_clinic.roles import CLINIC_ADMIN, NURSE, RECEPTION, SPECIALIST

from .. import factories
from ..conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_each_role_signs_in_and_sees_its_dashboard(page):
    for role, key in [
        (RECEPTION, "reception"),
        (NURSE, "nurse"),
        (SPECIALIST, "specialist"),
        (CLINIC_ADMIN, "admin"),
    ]:
        factories.user_with_role(role, username=f"demo-{key}", first_name="Sam")
        login(page, f"demo-{key}")
        expect(page.get_by_test_id(f"dashboard-{key}")).to_be_visible()
        expect(page.get_by_role("heading", name=role)).to_be_visible()
        screenshot(page, f"dashboard-{key}")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/accounts/login/")


def test_a_wrong_password_shows_a_message_on_the_login_page(page):
    factories.reception_user(username="rita")
    login(page, "rita", "not-the-password")
    assert page.get_by_role("alert").inner_text().startswith("Please enter a correct username and password")
    screenshot(page, "login-wrong-password")


def test_the_navbar_wraps_rather_than_overflowing_on_a_narrow_screen(page):
    factories.user_with_role(CLINIC_ADMIN, username="demo-admin", first_name="Alex", last_name="Morgan")
    login(page, "demo-admin")
    for width in (1024, 1280, 1400):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "navbar-admin-1400")

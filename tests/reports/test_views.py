"""Who may open the clinic reports, bad input on them, and the old /billing/reports/ addresses."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

REPORT_PAGES = [
    ("reports:index", []),
    ("reports:report", ["utilisation"]),
    ("reports:report", ["attendance"]),
    ("reports:report", ["outcomes"]),
    ("reports:report", ["adverse-events"]),
    ("reports:waiting_list", []),
]


@pytest.mark.parametrize("name,args", REPORT_PAGES)
def test_it_opens_the_reports_to_clinic_admins_only(
    name, args, admin_client_role, reception_client, nurse_client, specialist_client
):
    url = reverse(name, args=args)
    assert admin_client_role.get(url).status_code == 200
    for client in (reception_client, nurse_client, specialist_client):
        assert client.get(url).status_code == 403


def test_it_serves_the_reports_under_reports(admin_client_role):
    assert reverse("reports:index") == "/reports/"
    assert reverse("reports:waiting_list") == "/reports/waiting-list/"
    assert reverse("reports:report", args=["attendance"]) == "/reports/attendance/"
    page = admin_client_role.get("/reports/").content.decode()
    assert 'href="/reports/utilisation/"' in page
    assert 'href="/reports/waiting-list/"' in page
    assert f'href="{reverse("billing:nhs_activity")}"' in page  # NHS activity stays billing's


@pytest.mark.parametrize(
    "old,new",
    [
        ("/billing/reports/", "/reports/"),
        ("/billing/reports/waiting-list/?format=csv", "/reports/waiting-list/?format=csv"),
        (
            "/billing/reports/attendance/?start=2026-11-01&end=2026-11-20",
            "/reports/attendance/?start=2026-11-01&end=2026-11-20",
        ),
    ],
)
def test_it_redirects_the_old_billing_report_addresses_permanently(old, new, admin_client_role):
    response = admin_client_role.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_it_keeps_nhs_activity_at_its_billing_address(admin_client_role):
    assert reverse("billing:nhs_activity") == "/billing/reports/nhs-activity/"
    assert admin_client_role.get("/billing/reports/nhs-activity/").status_code == 200


def test_it_still_refuses_other_roles_after_an_old_address_redirects(reception_client):
    response = reception_client.get("/billing/reports/outcomes/", follow=True)
    assert response.redirect_chain == [("/reports/outcomes/", 301)]
    assert response.status_code == 403


def test_a_bad_report_period_is_a_400_with_a_message_and_an_unknown_report_a_404(admin_client_role):
    response = admin_client_role.get(
        reverse("reports:report", args=["utilisation"]), {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert response.status_code == 400
    assert "The start must be on or before the end." in response.content.decode()
    response = admin_client_role.get(
        reverse("reports:report", args=["utilisation"]), {"start": "2025-01-01", "end": "2026-04-01"}
    )
    assert response.status_code == 400
    assert "Choose a period of at most a year." in response.content.decode()
    assert admin_client_role.get(reverse("reports:report", args=["nope"])).status_code == 404


def test_the_billing_menu_links_to_the_reports_for_clinic_admins_only(admin_client_role, reception_client):
    assert (
        f'href="{reverse("reports:index")}"' in admin_client_role.get(reverse("dashboard")).content.decode()
    )
    assert (
        f'href="{reverse("reports:index")}"'
        not in reception_client.get(reverse("dashboard")).content.decode()
    )


def test_the_navigation_shows_no_template_comment_text(admin_client_role, reception_client):
    for client in (admin_client_role, reception_client):
        page = client.get(reverse("dashboard")).content.decode()
        assert "{#" not in page and "#}" not in page

"""A clinic admin issues and revokes a staff member's API tokens from the staff pages."""

from django.contrib.admin.models import LogEntry
from django.test import Client

from api.models import ApiToken

from .. import factories
from .conftest import call


def test_clinic_admin_issues_a_token_shown_once_and_revokes_it(admin_client_role, clinic_morning):
    member = factories.reception_user(username="epr-bot")
    page = admin_client_role.get(f"/staff/{member.pk}/")
    assert f"/staff/{member.pk}/api-tokens/" in page.content.decode()
    response = admin_client_role.post(
        f"/staff/{member.pk}/api-tokens/", {"name": "EPR integration", "days": 30}
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("ic_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=member)
    assert (token.expires_at - token.created_at).days == 30
    assert call(Client(), "GET", "/api/patients/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    listing = admin_client_role.get(f"/staff/{member.pk}/api-tokens/").content.decode()
    assert token.prefix in listing and secret not in listing
    response = admin_client_role.post(f"/staff/{member.pk}/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert call(Client(), "GET", "/api/patients/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401
    changes = [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(member.pk))]
    assert any("Issued API token" in c for c in changes) and any("Revoked API token" in c for c in changes)
    assert "Issued API token" in admin_client_role.get(f"/staff/{member.pk}/").content.decode()


def test_a_token_needs_a_name_and_other_roles_may_not_issue(admin_client_role, nurse_client, clinic_morning):
    member = factories.reception_user(username="epr-bot")
    response = admin_client_role.post(f"/staff/{member.pk}/api-tokens/", {"name": " ", "days": 30})
    assert response.status_code == 400 and "Say what the token is for." in response.content.decode()
    assert nurse_client.get(f"/staff/{member.pk}/api-tokens/").status_code == 403
    assert nurse_client.post(f"/staff/{member.pk}/api-tokens/", {"name": "x", "days": 3}).status_code == 403
    assert not ApiToken.objects.exists()

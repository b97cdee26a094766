import pytest
from django.urls import reverse

from infusion_clinic.roles import CLINIC_ADMIN, NURSE, RECEPTION, ROLE_PERMISSIONS, ROLES, SPECIALIST

from .. import factories

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_users_to_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url_name", ["login", "password_reset"])
def test_it_serves_login_and_password_reset_without_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_it_signs_in_with_the_right_password(client):
    factories.reception_user(username="rita")
    response = client.post(reverse("login"), {"username": "rita", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(client):
    factories.reception_user(username="rita")
    for username in ("rita", "nobody"):
        response = client.post(reverse("login"), {"username": username, "password": "wrong-password"})
        assert response.status_code == 200
        content = response.content.decode()
        assert "Please enter a correct username and password" in content
        assert "does not exist" not in content
    assert "_auth_user_id" not in client.session


def test_it_logs_out_with_post(client):
    user = factories.nurse_user(username="nina")
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_the_data_migration_creates_the_four_roles_with_their_permissions():
    from django.contrib.auth.models import Group

    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)
    reception = Group.objects.get(name=RECEPTION)
    codes = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in reception.permissions.select_related("content_type")
    }
    assert "patients.add_referral" in codes
    assert "infusion_sessions.chart_session" not in codes
    for role in ROLES:
        group_codes = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=role).permissions.select_related("content_type")
        }
        assert group_codes <= set(ROLE_PERMISSIONS[role])


@pytest.mark.parametrize(
    "role,heading",
    [
        (RECEPTION, "Reception"),
        (NURSE, "Nurse"),
        (SPECIALIST, "Pain specialist"),
        (CLINIC_ADMIN, "Clinic admin"),
    ],
)
def test_each_role_sees_its_own_dashboard_section(client, role, heading):
    user = factories.user_with_role(role, username="someone")
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    sections = [s.role for s in response.context["sections"]]
    assert sections == [role]
    assert heading in response.content.decode()


def test_the_greeting_follows_the_time_of_day_in_london(client):
    from django.utils import timezone

    client.force_login(factories.nurse_user(username="nadia", first_name="Nadia"))
    hour = timezone.localtime().hour
    response = client.get(reverse("dashboard"))
    part = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    assert f"Good {part}, Nadia" in response.content.decode()


def test_a_user_without_a_role_is_told_to_ask_for_one(client):
    client.force_login(factories.UserFactory(username="norole"))
    response = client.get(reverse("dashboard"))
    assert "has no clinic role yet" in response.content.decode()


def test_a_signed_in_user_without_permission_gets_403_not_a_redirect(client):
    client.force_login(factories.nurse_user(username="nina"))
    response = client.get(reverse("admin:auth_user_changelist"))
    # Django admin redirects non-staff to its own login; our role-guarded pages answer 403 (tests per app).
    assert response.status_code in (302, 403)


def test_dates_render_in_uk_format_and_london_time():
    from datetime import UTC, datetime

    from django.template import Context, Template
    from django.utils import timezone

    moment = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)  # 14:30 in London (BST)
    rendered = Template("{{ m|date }} {{ m|time }} {{ m|date:'SHORT_DATE_FORMAT' }}").render(
        Context({"m": timezone.localtime(moment)})
    )
    assert rendered == "1 Jul 2026 14:30 01/07/2026"

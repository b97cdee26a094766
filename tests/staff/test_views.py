import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from infusion_clinic.roles import CLINIC_ADMIN, NURSE, RECEPTION

from .. import factories

pytestmark = pytest.mark.django_db
User = get_user_model()
REFUSING = "tests.staff.failing_email.RefusingEmailBackend"
NEW_NURSE = {
    "first_name": "Nia",
    "last_name": "Evans",
    "username": "nevans",
    "email": "nia.evans@example.org",
    "role": NURSE,
}


@pytest.mark.parametrize("who", ["reception_client", "nurse_client", "specialist_client"])
def test_other_roles_get_403_on_every_staff_page(request, who):
    client = request.getfixturevalue(who)
    target = factories.reception_user(username="target")
    for name, method in [
        ("staff:list", "get"),
        ("staff:create", "get"),
        ("staff:create", "post"),
        ("staff:detail", "get"),
        ("staff:edit", "post"),
        ("staff:deactivate", "post"),
        ("staff:reactivate", "post"),
        ("staff:password_email", "post"),
    ]:
        url = reverse(name, args=[] if name in ("staff:list", "staff:create") else [target.pk])
        response = getattr(client, method)(url, NEW_NURSE if method == "post" else None)
        assert response.status_code == 403, (who, name)
    target.refresh_from_db()
    assert target.is_active and not User.objects.filter(username="nevans").exists()
    assert mail.outbox == []


def test_the_navbar_users_link_opens_the_staff_list_for_admins_only(admin_client_role, reception_client):
    assert 'href="/staff/"' in admin_client_role.get("/").content.decode()
    assert 'href="/staff/"' not in reception_client.get("/").content.decode()


def test_the_list_shows_name_role_status_and_last_sign_in_in_uk_format(admin_client_role):
    nurse = factories.nurse_user(username="nina", first_name="Nina", last_name="Patel")
    nurse.last_login = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    nurse.save()
    gone = factories.reception_user(username="rob", first_name="Rob", last_name="Hale")
    gone.is_active = False
    gone.save()
    page = admin_client_role.get(reverse("staff:list")).content.decode()
    assert "Nina Patel" in page and "nina@example.org" in page and "Nurse" in page
    assert "1 Jul 2026 14:30" in page  # London summer time
    assert "Deactivated" in page and "Never" in page

    page = admin_client_role.get(reverse("staff:list"), {"role": "nurse", "active": "yes"}).content.decode()
    assert "Nina Patel" in page and "Rob Hale" not in page
    page = admin_client_role.get(reverse("staff:list"), {"active": "no"}).content.decode()
    assert "Rob Hale" in page and "Nina Patel" not in page


def test_a_filter_that_matches_nobody_shows_an_empty_state_and_nonsense_is_ignored(admin_client_role):
    page = admin_client_role.get(reverse("staff:list"), {"role": "specialist"}).content.decode()
    assert "No staff account matches this filter" in page
    response = admin_client_role.get(reverse("staff:list"), {"role": "zzz", "active": "-1"})
    assert response.status_code == 200 and "clinicadmin" in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_makes_the_same_number_of_queries_for_3_and_30_users(
    admin_client_role, django_assert_max_num_queries, count
):
    for i in range(count):
        factories.user_with_role([NURSE, RECEPTION][i % 2], username=f"staff{i}")
    # session, user, navbar roles, 2 x permissions, list, prefetched roles: 7 at any size; one spare.
    with django_assert_max_num_queries(8):
        response = admin_client_role.get(reverse("staff:list"))
    assert response.content.decode().count('data-testid="staff-row"') == count + 1


def test_adding_a_nurse_sends_the_welcome_email_and_the_link_sets_a_password(admin_client_role, clinic_admin):
    response = admin_client_role.post(reverse("staff:create"), NEW_NURSE, follow=True)
    user = User.objects.get(username="nevans")
    assert response.redirect_chain[-1][0] == reverse("staff:detail", args=[user.pk])
    page = response.content.decode()
    assert "A set-password email went to nia.evans@example.org" in page
    assert "Added with role Nurse." in page and (clinic_admin.get_full_name() in page)
    assert not user.has_usable_password() and list(user.groups.values_list("name", flat=True)) == [NURSE]

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nia.evans@example.org"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    newcomer = Client()
    form_page = newcomer.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = newcomer.post(
        set_url, {"new_password1": "Infusion-Chair-42", "new_password2": "Infusion-Chair-42"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Infusion-Chair-42")


def test_when_the_email_fails_the_page_says_so_and_shows_the_link(admin_client_role, settings):
    settings.EMAIL_BACKEND = REFUSING
    response = admin_client_role.post(reverse("staff:create"), NEW_NURSE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The set-password email was NOT sent" in page
    assert "ConnectionRefusedError" in page
    assert "went to" not in page
    assert re.search(r'value="http://testserver/accounts/reset/[^"]+"', page)
    assert User.objects.filter(username="nevans").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "NURSE"}, "is taken"),
        ({"email": "nia-at-example"}, "Enter a valid email address"),
        ({"role": ""}, "Choose one role."),
        ({"role": "Porter"}, "Choose one of the four roles."),
        ({"username": "has space!"}, "Enter a valid username"),
        ({"first_name": ""}, "This field is required"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(
    admin_client_role, nurse, overrides, message
):
    before = User.objects.count()
    response = admin_client_role.post(reverse("staff:create"), {**NEW_NURSE, **overrides})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "invalid-feedback" in page
    assert User.objects.count() == before and mail.outbox == []


def test_editing_changes_names_email_and_role_and_shows_it_in_recent_changes(admin_client_role):
    member = factories.nurse_user(username="nina", first_name="Nina", last_name="Patel")
    data = {"first_name": "Nina", "last_name": "Shah", "email": "nina.shah@example.org", "role": RECEPTION}
    response = admin_client_role.post(reverse("staff:edit", args=[member.pk]), data, follow=True)
    page = response.content.decode()
    assert "Saved Nina Shah" in page
    assert "role from Nurse to Reception" in page and "last name from “Patel” to “Shah”" in page
    member.refresh_from_db()
    assert member.last_name == "Shah" and list(member.groups.values_list("name", flat=True)) == [RECEPTION]


def test_an_edit_with_an_invalid_email_saves_nothing(admin_client_role):
    member = factories.nurse_user(username="nina", first_name="Nina")
    data = {"first_name": "Changed", "last_name": "X", "email": "nope", "role": RECEPTION}
    response = admin_client_role.post(reverse("staff:edit", args=[member.pk]), data)
    assert response.status_code == 200 and "Enter a valid email address" in response.content.decode()
    member.refresh_from_db()
    assert member.first_name == "Nina" and list(member.groups.values_list("name", flat=True)) == [NURSE]


def test_an_admin_cannot_deactivate_themselves_or_drop_their_own_admin_role(admin_client_role, clinic_admin):
    page = admin_client_role.get(reverse("staff:detail", args=[clinic_admin.pk])).content.decode()
    assert "You cannot deactivate your own account" in page
    response = admin_client_role.post(reverse("staff:deactivate", args=[clinic_admin.pk]), follow=True)
    assert "You cannot deactivate your own account" in response.content.decode()
    data = {"first_name": "A", "last_name": "B", "email": "a@example.org", "role": NURSE}
    response = admin_client_role.post(reverse("staff:edit", args=[clinic_admin.pk]), data)
    assert "You cannot remove your own Clinic admin role" in response.content.decode()
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active and clinic_admin.first_name != "A"
    assert list(clinic_admin.groups.values_list("name", flat=True)) == [CLINIC_ADMIN]


def test_deactivating_stops_sign_in_and_reactivating_restores_it(admin_client_role):
    member = factories.nurse_user(username="nina")
    response = admin_client_role.post(reverse("staff:deactivate", args=[member.pk]), follow=True)
    assert "they can no longer sign in" in response.content.decode()
    signin = Client().post(reverse("login"), {"username": "nina", "password": "correct-horse-battery"})
    assert signin.status_code == 200 and "_auth_user_id" not in signin.wsgi_request.session
    assert User.objects.filter(pk=member.pk).exists()  # never deleted
    admin_client_role.post(reverse("staff:reactivate", args=[member.pk]))
    member.refresh_from_db()
    assert member.is_active
    signin = Client().post(reverse("login"), {"username": "nina", "password": "correct-horse-battery"})
    assert signin.status_code == 302


def test_the_reset_action_emails_the_user_and_refuses_deactivated_accounts(admin_client_role):
    member = factories.nurse_user(username="nina")
    response = admin_client_role.post(reverse("staff:password_email", args=[member.pk]), follow=True)
    assert "A set-password email went to nina@example.org" in response.content.decode()
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body
    member.is_active = False
    member.save()
    response = admin_client_role.post(reverse("staff:password_email", args=[member.pk]), follow=True)
    assert "reactivate it before" in response.content.decode() and len(mail.outbox) == 1


def test_a_get_on_an_action_is_refused_and_an_unknown_user_is_404(admin_client_role):
    member = factories.nurse_user(username="nina")
    assert admin_client_role.get(reverse("staff:deactivate", args=[member.pk])).status_code == 405
    assert admin_client_role.get(reverse("staff:detail", args=[999999])).status_code == 404
    member.refresh_from_db()
    assert member.is_active


def test_a_superuser_account_shows_no_actions_and_refuses_changes(admin_client_role):
    root = User.objects.create_superuser("root", "root@example.org", "correct-horse-battery")
    page = admin_client_role.get(reverse("staff:detail", args=[root.pk])).content.decode()
    assert "only a superuser can change it" in page and "Deactivate" not in page
    response = admin_client_role.get(reverse("staff:edit", args=[root.pk]), follow=True)
    assert "Only a superuser can change" in response.content.decode()
    data = {"first_name": "A", "last_name": "B", "email": "mine@example.org", "role": NURSE}
    admin_client_role.post(reverse("staff:edit", args=[root.pk]), data)
    admin_client_role.post(reverse("staff:deactivate", args=[root.pk]))
    response = admin_client_role.post(reverse("staff:password_email", args=[root.pk]), follow=True)
    assert "Only a superuser can change" in response.content.decode()
    root.refresh_from_db()
    assert root.email == "root@example.org" and root.is_active and mail.outbox == []

"""Django's admin is for superusers only (infusion_clinic/admin_site.py says why); clinic admins use
the clinic's pages, which keep the role rules."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .. import factories
from ..conftest import authenticator_for, totp_code

pytestmark = pytest.mark.django_db
User = get_user_model()
SECRET_NOTE = "Disclosed childhood trauma; do not discuss at reception"


@pytest.fixture
def staff_clinic_admin():
    """A clinic admin with the staff flag, as the demo seeded them before: the worst case."""
    user = factories.admin_user(username="staffadmin")
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def patient():
    return factories.PatientFactory(notes=SECRET_NOTE)


def _user_form(user, **changes):
    # The admin shows and takes date_joined in UK time (a UTC time typed as local can fall in the hour
    # that does not exist on the spring-forward night).
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": joined.strftime("%d/%m/%Y"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": joined.strftime("%d/%m/%Y"),
        "initial-date_joined_1": joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


def test_it_keeps_a_clinic_admin_out_of_the_user_admin_and_unable_to_grant_superuser(staff_clinic_admin):
    user, client = staff_clinic_admin
    target = factories.reception_user(username="target")
    url = reverse("admin:auth_user_change", args=[target.pk])

    assert client.get(url).status_code == 302
    response = client.post(url, _user_form(target, is_superuser="on", is_staff="on"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]), _user_form(user, is_superuser="on")
    )
    assert response["Location"].startswith(reverse("admin:login"))

    target.refresh_from_db()
    user.refresh_from_db()
    assert not target.is_superuser and not target.is_staff
    assert not user.is_superuser


def test_it_lets_a_superuser_change_the_superuser_flag(admin_client):
    target = factories.reception_user(username="target")
    url = reverse("admin:auth_user_change", args=[target.pk])
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(url, _user_form(target, is_superuser="on", is_staff="on"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.is_superuser and target.is_staff


def test_it_hides_clinical_notes_and_their_history_in_the_admin_from_a_clinic_admin(
    staff_clinic_admin, patient
):
    _user, client = staff_clinic_admin
    patient.notes = SECRET_NOTE + " (updated)"
    patient.save()
    for name in ("admin:patients_patient_change", "admin:patients_patient_history"):
        response = client.get(reverse(name, args=[patient.pk]), follow=True)
        assert SECRET_NOTE not in response.content.decode(), name
        assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert client.get(reverse("admin:index")).status_code == 302


def test_it_shows_a_superuser_the_patient_and_its_history_in_the_admin(admin_client, patient):
    assert (
        SECRET_NOTE
        in admin_client.get(reverse("admin:patients_patient_change", args=[patient.pk])).content.decode()
    )
    assert admin_client.get(reverse("admin:patients_patient_history", args=[patient.pk])).status_code == 200


def test_it_refuses_the_admin_sign_in_to_a_clinic_admin_with_the_right_password(staff_clinic_admin, client):
    user, _ = staff_clinic_admin

    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": "correct-horse-battery"}
    )

    assert response.status_code == 200
    assert "Please enter the username and password of a superuser account" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_it_signs_a_superuser_in_to_the_admin_after_the_second_factor(client, clinic_morning):
    root = User.objects.create_superuser("root", "root@example.org", "correct-horse-battery")
    device = authenticator_for(root)

    response = client.post(reverse("admin:login"), {"username": "root", "password": "correct-horse-battery"})

    assert response.status_code == 302
    held = client.get(reverse("admin:index"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("mfa:verify"))
    client.post(reverse("mfa:verify"), {"code": totp_code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_clinic_admin_still_manages_staff_and_set_up_on_the_clinic_pages(admin_client_role):
    target = factories.reception_user(username="target")
    for url in (
        reverse("staff:list"),
        reverse("staff:detail", args=[target.pk]),
        reverse("infusion_sessions:setup"),
        reverse("protocols:library"),
        reverse("billing:insurer_list"),
    ):
        assert admin_client_role.get(url).status_code == 200, url
    assert "/admin/" not in admin_client_role.get("/").content.decode()

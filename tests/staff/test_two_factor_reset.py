"""A clinic admin resets someone's two-factor sign-in (lost phone): a reason, an audit entry on their
page (who, whose, when, why), and the person sets it up again at once."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from infusion_clinic.mfa import services as mfa

from .. import factories
from ..conftest import authenticator_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse_set_up(nurse):
    authenticator_for(nurse)
    mfa.new_recovery_codes(user=nurse)
    return nurse


def test_the_staff_page_says_whether_two_factor_is_set_up(clinic_morning, admin_client_role, nurse_set_up):
    reception = factories.reception_user(username="rita")
    newcomer = factories.specialist_user(username="sam")

    def status(user):
        page = admin_client_role.get(reverse("staff:detail", args=[user.pk])).content.decode()
        return page.split('data-testid="staff-mfa">', 1)[1].split("</dd>", 1)[0].strip()

    assert status(nurse_set_up) == "Set up 25 Nov 2026; 10 recovery codes left"
    assert status(newcomer) == "Not set up yet: they set it up at their next sign-in"
    assert status(reception) == "Not required for this role"


def test_a_reset_writes_an_audit_entry_and_the_user_sets_it_up_again(
    admin_client_role, clinic_admin, nurse_set_up, clinic_morning
):
    nurse_session = Client()
    nurse_session.force_login(nurse_set_up)  # verified (tests/conftest.py)
    assert nurse_session.get(reverse("dashboard")).status_code == 200
    url = reverse("staff:reset_second_factor", args=[nurse_set_up.pk])
    assert "Reset" in admin_client_role.get(url).content.decode()

    response = admin_client_role.post(url, {"reason": "Lost phone, identity checked in person"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("staff:detail", args=[nurse_set_up.pk])
    page = response.content.decode()
    assert "they set it up again at their next sign-in" in page
    assert "Lost phone, identity checked in person" in page  # the audit entry on their page
    entry = LogEntry.objects.get(object_id=str(nurse_set_up.pk), change_message__contains="two-factor")
    assert entry.user == clinic_admin
    assert entry.action_time is not None
    assert entry.change_message.endswith("Reason: Lost phone, identity checked in person")
    assert not TOTPDevice.objects.filter(user=nurse_set_up).exists()
    assert not StaticDevice.objects.filter(user=nurse_set_up).exists()
    # The nurse's open session is held at the set-up page at once.
    held = nurse_session.get(reverse("dashboard"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("mfa:enrol"))


def test_a_reset_needs_a_reason_and_changes_nothing_without_one(admin_client_role, nurse_set_up):
    url = reverse("staff:reset_second_factor", args=[nurse_set_up.pk])

    response = admin_client_role.post(url, {"reason": "   "})

    assert response.status_code == 200
    assert "Say why you are resetting it." in response.content.decode()
    assert TOTPDevice.objects.filter(user=nurse_set_up).exists()
    assert not LogEntry.objects.filter(change_message__contains="two-factor").exists()


def test_nothing_to_reset_and_ones_own_reset_are_refused_next_to_the_form(admin_client_role, clinic_admin):
    newcomer = factories.nurse_user(username="nia")
    authenticator_for(clinic_admin)

    nothing = admin_client_role.post(
        reverse("staff:reset_second_factor", args=[newcomer.pk]), {"reason": "new phone"}
    )
    own = admin_client_role.post(
        reverse("staff:reset_second_factor", args=[clinic_admin.pk]), {"reason": "new phone"}
    )

    assert "there is nothing to reset" in nothing.content.decode()
    assert "You cannot reset your own two-factor sign-in" in own.content.decode()
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()


@pytest.mark.parametrize("who", ["reception_client", "nurse_client", "specialist_client"])
def test_only_clinic_admins_reset_two_factor(request, who, nurse_set_up):
    client = request.getfixturevalue(who)
    url = reverse("staff:reset_second_factor", args=[nurse_set_up.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(user=nurse_set_up).exists()


def test_a_clinic_admin_cannot_reset_a_superusers_two_factor(admin_client_role):
    root = factories.UserFactory(username="root", is_superuser=True)
    authenticator_for(root)

    response = admin_client_role.post(reverse("staff:reset_second_factor", args=[root.pk]), {"reason": "x"})

    assert "Only a superuser can change a superuser" in response.content.decode()
    assert TOTPDevice.objects.filter(user=root).exists()

"""The protocol pages: who may see and do what, bad input, query budgets."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from protocols.models import ProtocolVersion
from protocols.services import create_version
from tests import factories

pytestmark = pytest.mark.django_db

# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_name", ["reception_client", "nurse_client", "specialist_client", "admin_client_role"]
)
def test_every_clinic_role_may_read_the_library_and_a_version(request, client_name, library):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("protocols:library")).status_code == 200
    response = client.get(library["ketamine"].get_absolute_url())
    assert response.status_code == 200
    assert b"Example defaults: verify locally" in response.content


def test_a_user_without_a_role_may_not_read_the_library(client, library):
    client.force_login(factories.UserFactory())
    assert client.get(reverse("protocols:library")).status_code == 403
    assert client.get(library["lidocaine"].get_absolute_url()).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client, library):
    response = client.get(reverse("protocols:library"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_clinical_staff_see_the_library_read_only(specialist_client, library):
    response = specialist_client.get(library["lidocaine"].get_absolute_url())
    assert b"Mark verified" not in response.content and b"New version" not in response.content
    assert (
        specialist_client.get(reverse("protocols:version_create", args=[library["lidocaine"].pk])).status_code
        == 403
    )
    assert (
        specialist_client.post(
            reverse("protocols:version_verify", args=[library["lidocaine"].pk])
        ).status_code
        == 403
    )
    library["lidocaine"].refresh_from_db()
    assert library["lidocaine"].verified_at is None


@pytest.mark.parametrize("client_name", ["nurse_client", "reception_client"])
def test_nurses_and_reception_may_not_edit_versions(request, client_name, library):
    client = request.getfixturevalue(client_name)
    url = reverse("protocols:version_create", args=[library["lidocaine"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "x"}).status_code == 403


def test_a_clinic_admin_sees_the_edit_actions(admin_client_role, library):
    response = admin_client_role.get(library["lidocaine"].get_absolute_url())
    assert b"Mark verified" in response.content and b"New version" in response.content
    assert (
        admin_client_role.get(reverse("protocols:version_create", args=[library["lidocaine"].pk])).status_code
        == 200
    )


def test_a_clinic_admin_marks_a_version_verified_by_post_only(admin_client_role, clinic_admin, library):
    url = reverse("protocols:version_verify", args=[library["lidocaine"].pk])
    assert admin_client_role.get(url).status_code == 405
    response = admin_client_role.post(url, follow=True)
    assert b"marked verified" in response.content
    assert b"Example defaults: verify locally" not in response.content.split(b"Version history")[0]
    v = ProtocolVersion.objects.get(pk=library["lidocaine"].pk)
    assert v.verified_by == clinic_admin and v.verified_at


# --- new version form --------------------------------------------------------------------------


def _version_payload(version, **changes):
    from protocols.services import EDITABLE_FIELDS

    data = {}
    for name in EDITABLE_FIELDS:
        value = getattr(version, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else str(value)
    data.update(changes)
    return data


def test_a_clinic_admin_creates_a_new_version(admin_client_role, library):
    old = library["lidocaine"]
    response = admin_client_role.post(
        reverse("protocols:version_create", args=[old.pk]),
        _version_payload(old, name="Lidocaine 4 mg/kg over 60 min", default_dose="4", soft_limit="4.5"),
        follow=True,
    )
    new = ProtocolVersion.objects.get(protocol=old.protocol, is_current=True)
    assert new.version == 2 and new.default_dose == D("4") and new.soft_limit == D("4.5")
    assert b"Version 2 of Lidocaine is now current" in response.content
    assert b"would get 1050 mg" in response.content  # the mg/kg x heavy patient warning
    assert response.content.count(b"v1") >= 1  # the history lists the old version


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"soft_limit": "8"}, "soft_limit"),
        ({"infusion_minutes": "0"}, "infusion_minutes"),
        ({"infusion_minutes": "-5"}, "infusion_minutes"),
        ({"diluent_volume_ml": "0"}, "diluent_volume_ml"),
        ({"default_dose": "0"}, "default_dose"),
        ({"default_dose": "9"}, "default_dose"),
        ({"absolute_max_mg": "-1"}, "absolute_max_mg"),
    ],
)
def test_bad_versions_show_a_message_on_the_field_and_save_nothing(
    admin_client_role, library, changes, field
):
    old = library["lidocaine"]
    response = admin_client_role.post(
        reverse("protocols:version_create", args=[old.pk]), _version_payload(old, **changes)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert ProtocolVersion.objects.filter(protocol=old.protocol).count() == 1


def test_a_fixed_dose_hard_limit_above_the_absolute_maximum_is_refused(admin_client_role, library):
    old = library["methylprednisolone"]
    response = admin_client_role.post(
        reverse("protocols:version_create", args=[old.pk]), _version_payload(old, hard_limit="1200")
    )
    assert "absolute maximum" in response.context["form"].errors["hard_limit"][0]
    assert ProtocolVersion.objects.filter(protocol=old.protocol).count() == 1


def test_a_pamidronate_version_too_short_for_60_mg_per_hour_is_refused(admin_client_role, library):
    old = library["pamidronate"]
    response = admin_client_role.post(
        reverse("protocols:version_create", args=[old.pk]), _version_payload(old, infusion_minutes="60")
    )
    assert "at least 90 minutes" in response.context["form"].errors["infusion_minutes"][0]


# --- query budgets -------------------------------------------------------------------------------


def test_the_library_page_keeps_its_queries_as_versions_grow(
    admin_client_role, clinic_admin, library, django_assert_max_num_queries
):
    url = reverse("protocols:library")
    with django_assert_max_num_queries(10):
        assert admin_client_role.get(url).status_code == 200
    for v in library.values():
        for i in range(3):
            v = create_version(from_version=v, by=clinic_admin, note=f"edit {i}")
    family = factories.ProtocolFamilyFactory(slug="extra", name="Extra family")
    factories.ProtocolVersionFactory(
        protocol=factories.ProtocolFactory(family=family, slug="extra-1", name="Extra")
    )
    with django_assert_max_num_queries(10):
        assert admin_client_role.get(url).status_code == 200


def test_the_version_page_keeps_its_queries_as_history_grows(
    nurse_client, clinic_admin, library, django_assert_max_num_queries
):
    v = library["ketamine"]
    with django_assert_max_num_queries(10):
        nurse_client.get(v.get_absolute_url())
    for i in range(6):
        v = create_version(from_version=v, by=clinic_admin, note=f"edit {i}")
    with django_assert_max_num_queries(10):
        assert b"v7" in nurse_client.get(v.get_absolute_url()).content


def test_the_admin_dashboard_lists_versions_to_verify(
    admin_client_role, library, django_assert_max_num_queries
):
    response = admin_client_role.get(reverse("dashboard"))
    assert b"Protocol versions to verify" in response.content
    assert b"Ketamine 0.3 mg/kg/h over 4 hours" in response.content


def test_the_dashboard_says_when_everything_is_verified(admin_client_role, clinic_admin, library):
    from protocols.services import mark_verified

    for v in library.values():
        mark_verified(version=v, by=clinic_admin)
    assert (
        b"Every current protocol version is verified" in admin_client_role.get(reverse("dashboard")).content
    )


def test_the_navigation_links_the_library_by_permission(nurse_client, client, library):
    assert reverse("protocols:library").encode() in nurse_client.get(reverse("dashboard")).content
    client.force_login(factories.UserFactory())
    assert reverse("protocols:library").encode() not in client.get(reverse("dashboard")).content

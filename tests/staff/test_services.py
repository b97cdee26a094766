import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from infusion_clinic.roles import CLINIC_ADMIN, NURSE, RECEPTION, SPECIALIST
from staff import services

from .. import factories

pytestmark = pytest.mark.django_db
User = get_user_model()
REFUSING = "tests.staff.failing_email.RefusingEmailBackend"


def _create(by, **overrides):
    data = {
        "first_name": "Nia",
        "last_name": "Evans",
        "username": "nevans",
        "email": "nia.evans@example.org",
        "role": NURSE,
    }
    return services.create_staff_member(by=by, **{**data, **overrides})


def test_it_creates_an_active_account_with_one_role_and_no_usable_password(clinic_admin):
    user = _create(clinic_admin)
    user.refresh_from_db()
    assert user.is_active and not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == [NURSE]
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert entry.user == clinic_admin and entry.get_change_message() == "Added with role Nurse."


def test_it_refuses_a_username_taken_in_another_case_and_saves_nothing(clinic_admin):
    factories.UserFactory(username="NEvans")
    with pytest.raises(ValidationError) as exc:
        _create(clinic_admin, username="nevans")
    assert "taken" in exc.value.message_dict["username"][0]
    assert User.objects.filter(username__iexact="nevans").count() == 1


def test_the_database_itself_refuses_a_username_that_differs_only_in_case():
    """Two admins adding the same person at once both pass the service's check; the index stops one."""
    from django.db import IntegrityError, transaction

    factories.UserFactory(username="NEvans")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="nevans")
    assert User.objects.filter(username__iexact="nevans").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"role": ""}, "role"),
        ({"role": "Porter"}, "role"),
    ],
)
def test_it_refuses_bad_input_keyed_by_field(clinic_admin, overrides, field):
    with pytest.raises(ValidationError) as exc:
        _create(clinic_admin, **overrides)
    assert field in exc.value.message_dict
    assert not User.objects.filter(username="nevans").exists()
    assert not LogEntry.objects.exists()


def test_an_edit_sets_exactly_one_role_and_records_what_changed(clinic_admin):
    user = factories.nurse_user(username="nina", first_name="Nina", email="nina@example.org")
    changes = services.update_staff_member(
        user=user,
        by=clinic_admin,
        first_name="Nina",
        last_name=user.last_name,
        email="n@example.org",
        role=SPECIALIST,
    )
    assert changes == [
        "email from “nina@example.org” to “n@example.org”",
        "role from Nurse to Pain specialist",
    ]
    assert list(user.groups.values_list("name", flat=True)) == [SPECIALIST]
    entry = LogEntry.objects.get(object_id=str(user.pk))
    assert "role from Nurse to Pain specialist" in entry.change_message and entry.user == clinic_admin


def test_an_edit_that_changes_nothing_records_nothing(clinic_admin):
    user = factories.reception_user(username="rita")
    changes = services.update_staff_member(
        user=user,
        by=clinic_admin,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        role=RECEPTION,
    )
    assert changes == [] and not LogEntry.objects.exists()


def test_an_admin_cannot_remove_their_own_clinic_admin_role(clinic_admin):
    with pytest.raises(ValidationError) as exc:
        services.update_staff_member(
            user=clinic_admin,
            by=clinic_admin,
            first_name="Changed",
            last_name=clinic_admin.last_name,
            email=clinic_admin.email,
            role=NURSE,
        )
    assert "own Clinic admin role" in exc.value.message_dict["role"][0]
    clinic_admin.refresh_from_db()
    assert clinic_admin.first_name != "Changed"
    assert list(clinic_admin.groups.values_list("name", flat=True)) == [CLINIC_ADMIN]


def test_an_admin_cannot_deactivate_themselves_but_can_deactivate_and_reactivate_others(clinic_admin):
    with pytest.raises(ValidationError):
        services.deactivate_staff_member(user=clinic_admin, by=clinic_admin)
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active

    nurse = factories.nurse_user(username="nina")
    services.deactivate_staff_member(user=nurse, by=clinic_admin)
    nurse.refresh_from_db()
    assert not nurse.is_active
    services.reactivate_staff_member(user=nurse, by=clinic_admin)
    nurse.refresh_from_db()
    assert nurse.is_active
    messages = [e.change_message for e in services.recent_changes(user=nurse)]
    assert messages == ["Reactivated (can sign in again).", "Deactivated (can no longer sign in)."]


@pytest.fixture
def clinic_request(settings):
    settings.ALLOWED_HOSTS = ["clinic.example.org"]
    return RequestFactory().get("/staff/", HTTP_HOST="clinic.example.org")


def test_the_welcome_email_reaches_a_new_account_without_a_password(clinic_request, clinic_admin):
    user = _create(clinic_admin)
    outcome = services.send_password_email(user=user, request=clinic_request, by=clinic_admin, welcome=True)
    assert outcome.sent
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nia.evans@example.org"]
    assert "account is ready" in message.subject
    assert "Your username: nevans" in message.body
    assert "http://clinic.example.org/accounts/reset/" in message.body


def test_a_failing_email_backend_is_reported_as_not_sent_with_a_link(clinic_request, clinic_admin, settings):
    settings.EMAIL_BACKEND = REFUSING
    user = _create(clinic_admin)
    outcome = services.send_password_email(user=user, request=clinic_request, by=clinic_admin)
    assert not outcome.sent
    assert "ConnectionRefusedError" in outcome.problem
    assert outcome.link.startswith("http://clinic.example.org/accounts/reset/")
    assert "Could not send" in services.recent_changes(user=user)[0].change_message


def test_no_email_is_attempted_when_email_is_not_configured(clinic_request, clinic_admin, settings):
    settings.EMAIL_CONFIGURED = False
    user = _create(clinic_admin)
    outcome = services.send_password_email(user=user, request=clinic_request, by=clinic_admin)
    assert not outcome.sent and "not configured" in outcome.problem
    assert mail.outbox == []


def test_the_list_filters_by_role_and_activity(clinic_admin):
    factories.nurse_user(username="nina")
    gone = factories.nurse_user(username="ned")
    gone.is_active = False
    gone.save()
    factories.reception_user(username="rita")
    nurses = [u.username for u in services.staff_list(role=NURSE)]
    assert sorted(nurses) == ["ned", "nina"]
    assert [u.username for u in services.staff_list(role=NURSE, active=False)] == ["ned"]
    assert "rita" in [u.username for u in services.staff_list(active=True)]


def test_an_edit_leaves_exactly_one_role_when_old_data_gave_several(clinic_admin):
    from django.contrib.auth.models import Group

    user = factories.nurse_user(username="nina")
    user.groups.add(Group.objects.get(name=RECEPTION))
    services.update_staff_member(
        user=user,
        by=clinic_admin,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        role=NURSE,
    )
    assert list(user.groups.values_list("name", flat=True)) == [NURSE]


def test_a_clinic_admin_cannot_change_a_superuser_account(clinic_admin, clinic_request):
    root = User.objects.create_superuser("root", "root@example.org", "correct-horse-battery")
    with pytest.raises(ValidationError):
        services.update_staff_member(
            user=root, by=clinic_admin, first_name="", last_name="", email="mine@example.org", role=NURSE
        )
    with pytest.raises(ValidationError):
        services.deactivate_staff_member(user=root, by=clinic_admin)
    with pytest.raises(ValidationError):
        services.send_password_email(user=root, request=clinic_request, by=clinic_admin)
    root.refresh_from_db()
    assert root.email == "root@example.org" and root.is_active and mail.outbox == []

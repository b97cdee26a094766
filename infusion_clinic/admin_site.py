"""Django's admin is for superusers only; clinic admins work on the clinic's own pages.

Why not field-level rules in the admin: its permissions are per model (`view_patient` shows every
field, the history view shows every old value, inlines, raw-id pop-ups and the user form expose
`is_superuser`, `is_staff` and raw permissions). Holding `patients.view_clinical` and "no privilege
escalation" there would mean guarding each of some thirty ModelAdmins, their inlines and history
views, and every one added later. Everything a clinic admin does (staff accounts, roles, protocols,
chairs and rota, prices, insurers, commissioners, reminder wording, reports) has a clinic page with
the role rules, and no clinic page links into /admin/. So one check here closes the admin to everyone
but superusers, and the clinic's pages stay the only way in for the roles.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin


class SuperuserAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the username and password of a superuser account. The clinic's own pages "
            "are the way in for every role."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class ClinicAdminSite(admin.AdminSite):
    site_header = "Infusion Clinic: superuser administration"
    site_title = "Infusion Clinic admin"
    index_title = "Superuser administration"
    login_form = SuperuserAuthenticationForm

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here: writes go through the app's services (a clinical
    record is locked, a protocol version is never edited)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    pass

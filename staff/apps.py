from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Staff accounts for clinic admins. No models of its own: it works on django.contrib.auth's User
    and Group (the roles of infusion_clinic/roles.py)."""

    name = "staff"
    label = "staff"
    verbose_name = "Staff accounts"

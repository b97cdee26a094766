from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class InfusionClinicConfig(AppConfig):
    name = "infusion_clinic"
    verbose_name = "Infusion clinic"

    def ready(self):
        from .roles import sync_roles_after_migrate

        # Permissions of models added by later migrations reach the role groups too.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="infusion_clinic.sync_roles")


class ClinicAdminConfig(AdminConfig):
    """Installed in place of django.contrib.admin, so every @admin.register lands on the superuser-only
    site (infusion_clinic/admin_site.py says why)."""

    default_site = "infusion_clinic.admin_site.ClinicAdminSite"

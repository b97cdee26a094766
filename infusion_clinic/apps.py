from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InfusionClinicConfig(AppConfig):
    name = "infusion_clinic"
    verbose_name = "Infusion clinic"

    def ready(self):
        from .roles import sync_roles_after_migrate

        # Permissions of models added by later migrations reach the role groups too.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="infusion_clinic.sync_roles")

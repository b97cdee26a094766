from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        # Billing acts at booking and at completion through the hooks the lower apps offer.
        from records import hooks as record_hooks
        from sessions import hooks as session_hooks

        from .services import ensure_preauthorisation, session_completed

        session_hooks.booking_checks.append(ensure_preauthorisation)
        record_hooks.on_completed.append(session_completed)

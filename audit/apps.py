from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Access audit"

    def ready(self):
        # Connects the sign-in stamp of the idle sign-out (user_logged_in) when Django starts, not when
        # the middleware module happens to be imported by the first request: a sign-in before any
        # request (a management command, a test client's force_login) is stamped too.
        from . import idle  # noqa: F401

from django.apps import AppConfig


class SessionsConfig(AppConfig):
    # The folder is `sessions/`; the label must not clash with django.contrib.sessions.
    name = "sessions"
    label = "infusion_sessions"
    verbose_name = "Infusion sessions"

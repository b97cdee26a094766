from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinic (`python manage.py seed_demo`): uses every app; no app uses it."""

    name = "demo"
    label = "demo"
    verbose_name = "Demo clinic"

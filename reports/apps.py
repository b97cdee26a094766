from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The clinic reports. No models: it reads billing, sessions, patients and protocols, and nothing
    below it imports it. Access is `billing.view_reports` (Clinic admin), the permission it had when
    the reports lived in billing; the codename stays on billing's model so no role changes."""

    name = "reports"
    label = "reports"
    verbose_name = "Clinic reports"

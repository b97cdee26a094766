from django.apps import AppConfig


class FollowupConfig(AppConfig):
    """After the infusion: reminders and messaging, pain diaries, outcome reviews and GP letters."""

    name = "followup"
    label = "followup"
    verbose_name = "Follow-up"

    def ready(self):
        # The pain diary panel on the patient's page, through the fragments patients offers.
        from patients import hooks

        hooks.page_fragments["patient_detail"].append("followup/_patient_diaries.html")

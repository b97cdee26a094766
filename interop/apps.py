from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Machine interfaces over the clinic's data: the FHIR R4 server (read and search) and the subject
    access export (one patient's whole record as a FHIR Bundle with their letters)."""

    name = "interop"
    label = "interop"
    verbose_name = "Interoperability"

    def ready(self):
        # The subject access export's link on the patient's page, through the fragments patients offers.
        from patients import hooks

        hooks.page_fragments["patient_detail"].append("interop/_patient_subject_access.html")

from django.db import models


class SubjectAccessExport(models.Model):
    """No table: the holder of the permission to export a patient's whole record (UK GDPR subject
    access). Each export is recorded in the access audit (kind subject_access), not here."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("export_subject_access", "Can export a patient's whole record (subject access)")]

    def __str__(self):
        return "Subject access export"

"""Who opened what, when and from where: one row per page or download that shows a patient's data.

The app sits at the bottom of the ladder and imports no domain app: a row names what was opened by
its content type and id, the patient it belongs to by id, and a short label written at the time, so
every app may record into it and the row still reads well after the object has changed or gone.

Append-only: rows are inserted, never changed or removed, by the ORM (save() refuses an update) or by
SQL (a PostgreSQL trigger refuses UPDATE and DELETE).
"""

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

APPEND_ONLY_TRIGGER = "access_event_append_only"


class AccessKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    SESSION_RECORD = "session_record", "Session record"
    DIARY = "diary", "Pain diary"
    LETTER = "letter", "GP letter"
    INVOICE = "invoice", "Invoice"
    EXPORT = "export", "Export"
    OUTCOME_REVIEW = "outcome_review", "Outcome review"
    # Machine interfaces: a read through the REST API or the FHIR server, and a subject access export.
    API = "api", "API read"
    FHIR = "fhir", "FHIR read"
    SUBJECT_ACCESS = "subject_access", "Subject access export"


class AccessEvent(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    # No foreign key: the audit outlives whatever it names, and imports no patients app.
    patient_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    label = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    method = models.CharField(max_length=10)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="audit_user_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in AccessKind]), name="audit_kind_valid"
            )
        ]
        # The audit is evidence: nobody edits or prunes it, not with SQL either.
        triggers = [
            pgtrigger.Trigger(
                name=APPEND_ONLY_TRIGGER,
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                func="""
                    RAISE EXCEPTION 'The access audit is append-only: % of access events is refused.', TG_OP
                        USING ERRCODE = 'restrict_violation';
                """,
            )
        ]

    def __str__(self):
        return f"{self.user} opened {self.label} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("The access audit is append-only: an access event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The access audit is append-only: an access event is never deleted.")

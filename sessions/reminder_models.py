"""Appointment reminders: the clinic-editable wording and the log that makes each reminder go once.

Imported at the bottom of sessions/models.py so that the models belong to `infusion_sessions`.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

__all__ = [
    "ReminderChannel",
    "ReminderStatus",
    "ReminderTemplate",
    "ReminderLog",
    "DEFAULT_REMINDER_TEMPLATES",
    "ALLOWED_TEMPLATE_TAGS",
    "TEMPLATE_PLACEHOLDERS",
]


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class ReminderStatus(models.TextChoices):
    # A row exists once a worker has claimed the reminder; the row is the "at most once" guard.
    PENDING = "pending", "Claimed, waiting to send"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Failed, will retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Sent, but no answer came back (e.g. a provider read timeout): it may have arrived. Never resent
    # automatically; reception checks and may retry (with the same idempotency key).
    UNKNOWN = "unknown", "Outcome unknown"
    SKIPPED = "skipped", "Not sent"


# The placeholders a template may use; the values are plain strings (no objects reach a template).
TEMPLATE_PLACEHOLDERS = {
    "first_name": "the patient's first name",
    "date": 'the session date, e.g. "Wed 25 Nov"',
    "time": 'the session time in UK time, e.g. "14:30"',
    "location": "the infusion suite's name",
    "clinic_name": "the clinic's name",
}
# Clinic staff edit templates: only harmless tags (no {% load %}, {% include %} or {% debug %}).
ALLOWED_TEMPLATE_TAGS = {"if", "elif", "else", "endif", "firstof", "comment", "endcomment"}
_TAG_RE = re.compile(r"{%-?\s*(\w+)")
_VAR_RE = re.compile(r"{{\s*([\w.]+)")

DEFAULT_REMINDER_TEMPLATES = {
    ReminderChannel.EMAIL: {
        "subject": "Your appointment at {{ clinic_name }} on {{ date }} at {{ time }}",
        "body": (
            "Dear {{ first_name }},\n\n"
            "This is a reminder of your appointment at {{ location }} on {{ date }} at {{ time }}.\n\n"
            "Please allow the whole afternoon or morning: after the infusion we keep you for a period of "
            "observation, and you should not drive yourself home.\n\n"
            "If you cannot come, please call the clinic as soon as you can so that we can offer the chair "
            "to someone else.\n\n"
            "{{ clinic_name }}"
        ),
    },
    ReminderChannel.SMS: {
        "subject": "",
        "body": (
            "{{ clinic_name }}: reminder, {{ first_name }}, your appointment is on {{ date }} at {{ time }} "
            "at {{ location }}. Please call us if you cannot come."
        ),
    },
}


def validate_reminder_template(text: str):
    from django.template import Engine, TemplateSyntaxError

    bad = sorted({tag for tag in _TAG_RE.findall(text) if tag not in ALLOWED_TEMPLATE_TAGS})
    if bad:
        raise ValidationError(
            "Only the placeholders and simple {%% if %%} tags can be used here; remove: %(tags)s.",
            params={"tags": ", ".join("{% " + t + " %}" for t in bad)},
        )
    unknown = sorted({name for name in _VAR_RE.findall(text) if name not in TEMPLATE_PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            "Unknown placeholder: %(names)s. Use: %(known)s.",
            params={
                "names": ", ".join("{{ " + n + " }}" for n in unknown),
                "known": ", ".join("{{ " + n + " }}" for n in TEMPLATE_PLACEHOLDERS),
            },
        )
    try:
        Engine(libraries={}).from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationError("The template has a syntax error: %(error)s", params={"error": exc}) from exc


class ReminderTemplate(models.Model):
    """The wording of the reminder for one channel, edited by a clinic admin."""

    channel = models.CharField(max_length=10, choices=ReminderChannel.choices, unique=True)
    subject = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_reminder_template],
        help_text="Email only. Placeholders as in the message.",
    )
    body = models.TextField("message", validators=[validate_reminder_template])
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["channel"]

    def __str__(self):
        return f"{self.get_channel_display()} reminder"

    def clean(self):
        if self.channel == ReminderChannel.EMAIL and not self.subject.strip():
            raise ValidationError({"subject": "An email needs a subject."})


class ReminderLog(models.Model):
    """One reminder (a session, a lead time, a channel). The unique row is claimed before sending."""

    session = models.ForeignKey(
        "infusion_sessions.InfusionSession", on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=10, help_text='The lead time, e.g. "48h".')
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    recipient = models.CharField(max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField()
    attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField("provider message id", max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReminderStatus.values), name="reminderlog_status_valid"
            ),
            models.UniqueConstraint(
                fields=["session", "kind", "channel"],
                name="reminder_once_per_session_kind_channel",
                violation_error_message="This reminder has already been claimed.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="reminder_sent_has_sent_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="reminder_status_claimed")]

    def __str__(self):
        return f"{self.kind} {self.get_channel_display()} reminder for session {self.session_id}"

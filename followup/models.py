"""Follow-up after infusions: pain diaries (from a patient's link or entered by staff), the diary
prompts that carry the links, and outcome reviews after a course.

Imported at the bottom of patients/models.py so that the models belong to `patients`.

Reminders (the reminder log and the clinic's wording) are here too: docs/architecture.md.
"""

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from infusion_clinic.dates import uk_date, uk_datetime

__all__ = [
    "PAIN_VALIDATORS",
    "SleepQuality",
    "ActivityLevel",
    "DiaryEntrySource",
    "PainDiaryEntry",
    "DiaryPrompt",
    "DiaryPromptStatus",
    "Pgic",
    "ReviewDecision",
    "BaselineSource",
    "OutcomeReviewStatus",
    "OutcomeReview",
]

PAIN_VALIDATORS = [
    MinValueValidator(0, "Pain is scored 0 to 10."),
    MaxValueValidator(10, "Pain is scored 0 to 10."),
]


def _pain_in_range(field):
    return models.Q(**{f"{field}__gte": 0, f"{field}__lte": 10})


class SleepQuality(models.TextChoices):
    GOOD = "good", "Slept well"
    DISTURBED = "disturbed", "Woke a few times with pain"
    POOR = "poor", "Slept poorly"
    NONE = "none", "Hardly slept"


class ActivityLevel(models.TextChoices):
    NORMAL = "normal", "My usual activities"
    REDUCED = "reduced", "Fewer activities than usual"
    MINIMAL = "minimal", "Mostly resting"
    BED = "bed", "In bed or a chair most of the day"


class DiaryEntrySource(models.TextChoices):
    PATIENT = "patient", "Patient (diary link)"
    STAFF = "staff", "Staff, on the patient's behalf"


class PainDiaryEntry(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="diary_entries")
    recorded_at = models.DateTimeField(default=timezone.now)
    pain_now = models.PositiveSmallIntegerField("pain right now", validators=PAIN_VALIDATORS)
    pain_average = models.PositiveSmallIntegerField(
        "average pain in the last 24 hours", validators=PAIN_VALIDATORS
    )
    pain_worst = models.PositiveSmallIntegerField(
        "worst pain in the last 24 hours", validators=PAIN_VALIDATORS
    )
    sleep = models.CharField("last night's sleep", max_length=10, choices=SleepQuality.choices)
    rescue_medication = models.BooleanField("took extra (rescue) pain medication", default=False)
    rescue_medication_detail = models.CharField("which medication and how much", max_length=200, blank=True)
    activity = models.CharField("activity today", max_length=10, choices=ActivityLevel.choices)
    notes = models.TextField("anything else", blank=True, max_length=2000)
    source = models.CharField(
        max_length=10, choices=DiaryEntrySource.choices, default=DiaryEntrySource.PATIENT
    )
    prompt = models.ForeignKey(
        "followup.DiaryPrompt", on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    # The UK date an entry came through a link: a link takes one entry a day (constraint below).
    link_day = models.DateField(null=True, blank=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(table_name="patients_historicalpaindiaryentry")

    class Meta:
        db_table = "patients_paindiaryentry"  # kept from before the app split
        ordering = ["recorded_at", "id"]
        verbose_name_plural = "pain diary entries"
        permissions = [("review_paindiary", "Can review pain diaries")]
        constraints = [
            models.CheckConstraint(condition=_pain_in_range("pain_now"), name="diary_pain_now_0_10"),
            models.CheckConstraint(condition=_pain_in_range("pain_average"), name="diary_pain_average_0_10"),
            models.CheckConstraint(condition=_pain_in_range("pain_worst"), name="diary_pain_worst_0_10"),
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True) | models.Q(reviewed_by__isnull=False),
                name="diary_review_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~models.Q(source="staff") | models.Q(entered_by__isnull=False),
                name="diary_staff_entry_has_author",
            ),
            models.UniqueConstraint(
                fields=["prompt", "link_day"],
                name="diary_link_one_entry_a_day",
                violation_error_message="Today's diary has already been filled in through this link.",
            ),
        ]
        # Why each index, and what EXPLAIN showed: docs/performance.md#indexes.
        indexes = [
            models.Index(fields=["patient", "recorded_at"], name="diary_patient_recorded"),
            # The review queue and the specialists' card: unreviewed entries per patient, oldest first.
            models.Index(
                fields=["patient", "recorded_at"],
                condition=models.Q(reviewed_at__isnull=True),
                name="diary_unreviewed_recorded",
            ),
        ]

    def __str__(self):
        return f"Diary {uk_datetime(self.recorded_at)}: now {self.pain_now}, worst {self.pain_worst}"

    def clean(self):
        errors = {}
        if self.pain_worst is not None:
            if self.pain_average is not None and self.pain_worst < self.pain_average:
                errors["pain_worst"] = "Worst pain cannot be lower than average pain."
            elif self.pain_now is not None and self.pain_worst < self.pain_now:
                errors["pain_worst"] = "Worst pain cannot be lower than pain right now."
        if self.rescue_medication_detail and not self.rescue_medication:
            errors["rescue_medication"] = "Tick this if you took extra pain medication."
        if errors:
            raise ValidationError(errors)


class DiaryPromptStatus(models.TextChoices):
    PENDING = "pending", "Link created"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    HANDED_OUT = "handed_out", "Link given by staff"


class DiaryPrompt(models.Model):
    """A diary link given to a patient. The link signs `token`, so it says nothing about the patient."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="diary_prompts")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    prompted_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        max_length=12, choices=DiaryPromptStatus.choices, default=DiaryPromptStatus.PENDING
    )
    last_error = models.TextField(blank=True)
    # A revoked link opens nothing: issuing a newer link revokes the older ones, staff may revoke one.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "patients_diaryprompt"  # kept from before the app split
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DiaryPromptStatus.values), name="diaryprompt_status_valid"
            ),
            # The daily task prompts a patient at most once a day, however many times it runs.
            models.UniqueConstraint(
                fields=["patient", "prompted_on"],
                condition=models.Q(created_by__isnull=True),
                name="diary_prompt_once_a_day",
            ),
        ]

    def __str__(self):
        return f"Diary link for {self.patient} ({uk_date(self.prompted_on)})"


class Pgic(models.IntegerChoices):
    """Patient Global Impression of Change, 7 points."""

    VERY_MUCH_IMPROVED = 1, "Very much improved"
    MUCH_IMPROVED = 2, "Much improved"
    MINIMALLY_IMPROVED = 3, "Minimally improved"
    NO_CHANGE = 4, "No change"
    MINIMALLY_WORSE = 5, "Minimally worse"
    MUCH_WORSE = 6, "Much worse"
    VERY_MUCH_WORSE = 7, "Very much worse"


class ReviewDecision(models.TextChoices):
    REPEAT = "repeat", "Repeat the course"
    CHANGE = "change", "Change protocol"
    DISCHARGE = "discharge", "Discharge to GP"
    CONTINUE = "continue", "Continue follow-up (no change yet)"


class BaselineSource(models.TextChoices):
    DIARY = "diary", "Pain diary, 7 days before the course"
    ASSESSMENT = "assessment", "Assessment score entered by the reviewer"
    NONE = "none", "No baseline recorded"


class OutcomeReviewStatus(models.TextChoices):
    DUE = "due", "Due"
    COMPLETED = "completed", "Completed"


class OutcomeReview(models.Model):
    """A review a fixed number of days after a course's last session (see followup.outcomes)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="outcome_reviews")
    course = models.ForeignKey(
        "infusion_sessions.Course", on_delete=models.PROTECT, related_name="outcome_reviews"
    )
    offset_days = models.PositiveSmallIntegerField("days after the last session")
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=OutcomeReviewStatus.choices, default=OutcomeReviewStatus.DUE
    )
    current_pain = models.PositiveSmallIntegerField(
        "average pain now (0-10)", null=True, blank=True, validators=PAIN_VALIDATORS
    )
    pgic = models.PositiveSmallIntegerField(
        "patient's global impression of change", choices=Pgic.choices, null=True, blank=True
    )
    baseline_pain = models.DecimalField(
        "baseline pain",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    baseline_source = models.CharField(max_length=12, choices=BaselineSource.choices, blank=True)
    baseline_entries = models.PositiveSmallIntegerField("diary entries in the baseline", default=0)
    percent_reduction = models.DecimalField(
        "reduction from baseline (%)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    responder_30 = models.BooleanField("responder at 30% (moderate benefit)", null=True, blank=True)
    responder_50 = models.BooleanField("responder at 50% (substantial benefit)", null=True, blank=True)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices, blank=True)
    notes = models.TextField("notes for the GP letter", blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(table_name="patients_historicaloutcomereview")

    class Meta:
        db_table = "patients_outcomereview"  # kept from before the app split
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OutcomeReviewStatus.values), name="outcomereview_status_valid"
            ),
            models.UniqueConstraint(fields=["course", "offset_days"], name="outcome_review_once_per_offset"),
            models.CheckConstraint(
                condition=models.Q(current_pain__isnull=True) | _pain_in_range("current_pain"),
                name="outcome_current_pain_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(pgic__isnull=True) | models.Q(pgic__gte=1, pgic__lte=7),
                name="outcome_pgic_1_7",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed")
                | models.Q(
                    current_pain__isnull=False,
                    pgic__isnull=False,
                    completed_at__isnull=False,
                    completed_by__isnull=False,
                )
                & ~models.Q(decision=""),
                name="outcome_completed_is_complete",
            ),
        ]
        # The outcome review queue (due, by date; recently completed) and the outcomes report
        # (completed in a period): docs/performance.md#indexes.
        indexes = [
            models.Index(fields=["status", "due_on"], name="outcome_status_due"),
            models.Index(fields=["status", "completed_at"], name="outcome_status_completed"),
        ]

    def __str__(self):
        return f"{self.offset_days}-day review of course {self.course_id} (due {uk_date(self.due_on)})"

    def get_absolute_url(self):
        return reverse("followup:outcome_detail", args=[self.pk])

    @property
    def is_overdue(self):
        return self.status == OutcomeReviewStatus.DUE and self.due_on < timezone.localdate()

    @property
    def offset_label(self):
        days = self.offset_days
        if days % 7 == 0 and days < 84:
            return f"{days // 7}-week"
        if days in (90, 91, 92):
            return "3-month"
        return f"{days}-day"


__all__ = [
    "DiaryLinkMessage",
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
    history = HistoricalRecords(table_name="infusion_sessions_historicalremindertemplate")

    class Meta:
        db_table = "infusion_sessions_remindertemplate"  # kept from before the app split
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
        db_table = "infusion_sessions_reminderlog"  # kept from before the app split
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


class DiaryLinkMessage(models.Model):
    """A diary link sent to the patient by staff (SMS or email), beside the reminders: one row per
    send, written before the message goes and settled when its outcome is known."""

    prompt = models.ForeignKey(DiaryPrompt, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    recipient = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.SENDING)
    attempted_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField("provider message id", max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-attempted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReminderStatus.values), name="diarylinkmessage_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="diarylinkmessage_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"Diary link by {self.get_channel_display()} to {self.recipient} ({self.get_status_display()})"

"""The session record: the infusion itself, vital signs with NEWS2, rate changes, adverse events,
completion, sign-off and amendments. Imported at the bottom of sessions/models.py.

Writes go through records/services.py, which checks that the record is still open; the models hold
the invariants that must hold whatever the caller (ranges, diastolic below systolic, a reason for
every amendment), as validators for the forms and as named constraints for the database.
"""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from infusion_clinic.dates import uk_datetime, uk_time

from . import news2
from .news2 import AlertLevel, Band

# Physiological ranges accepted on entry; outside them a value is refused as a likely typo
# (docs/clinical-reference.md#physiological-ranges).
RANGES = {
    "systolic": (40, 300),
    "diastolic": (20, 200),
    "heart_rate": (20, 250),
    "respiratory_rate": (3, 70),
    "spo2": (50, 100),
    "temperature": (Decimal("30.0"), Decimal("45.0")),
    "pain": (0, 10),
}


def _range_validators(name):
    low, high = RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


def _range_constraint(name):
    low, high = RANGES[name]
    return models.CheckConstraint(
        condition=Q(**{f"{name}__gte": low, f"{name}__lte": high}), name=f"vitals_{name}_in_range"
    )


# The charted rows of a completed or signed-off record are read-only in the database too, so that not
# even SQL typed at a console changes them. The one legitimate change, an amendment with a reason
# (records.services._amend), runs inside pgtrigger.ignore(...) for this trigger and writes the
# Amendment row and the history row in the same transaction.
LOCKED_RECORD_TRIGGER = "locked_record_read_only"


def locked_record_trigger():
    return pgtrigger.Trigger(
        name=LOCKED_RECORD_TRIGGER,
        when=pgtrigger.Before,
        operation=pgtrigger.Update | pgtrigger.Delete,
        func="""
            IF EXISTS (
                SELECT 1 FROM infusion_sessions_infusionsession s
                WHERE s.id = OLD.session_id AND s.status IN ('completed', 'signed_off')
            ) THEN
                RAISE EXCEPTION 'The record of session % is locked: % rows change only by an amendment.',
                    OLD.session_id, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN COALESCE(NEW, OLD);
        """,
    )


class InfusionState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"


class DoseVerdict(models.TextChoices):
    OK = "ok", "Within limits"
    SOFT = "soft", "Above the soft limit (reason recorded)"


class InfusionRecord(models.Model):
    """The infusion given in one session: dose, start, state, completion and sign-off."""

    session = models.OneToOneField(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="record"
    )
    # The dose as the protocol calculator gave it when the infusion started.
    weight_kg = models.DecimalField("weight used (kg)", max_digits=5, decimal_places=1, null=True, blank=True)
    basis_dose = models.DecimalField("prescribed dose", max_digits=8, decimal_places=3, null=True, blank=True)
    basis_unit = models.CharField(max_length=10, blank=True, help_text="mg/kg, mg/kg/h or mg")
    dose_mg = models.DecimalField("dose (mg)", max_digits=9, decimal_places=2)
    # The bag: the final volume the pump infuses (the diluent plus the drug drawn up, when the
    # protocol gives a stock concentration; see protocols/dosing.py prepare()).
    volume_ml = models.DecimalField("final volume (mL)", max_digits=7, decimal_places=1)
    drug_volume_ml = models.DecimalField(
        "drug volume drawn up (mL)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    rate_ml_per_h = models.DecimalField("starting rate (mL/h)", max_digits=7, decimal_places=1)
    duration_minutes = models.PositiveIntegerField("planned duration (min)")
    dose_verdict = models.CharField(max_length=10, choices=DoseVerdict.choices, default=DoseVerdict.OK)
    dose_reason = models.TextField("reason for a dose above the soft limit", blank=True)
    dose_messages = models.JSONField(default=list, blank=True)

    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=InfusionState.choices, default=InfusionState.RUNNING)
    current_rate_ml_per_h = models.DecimalField("current rate (mL/h)", max_digits=7, decimal_places=1)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)
    pump_volume_ml = models.DecimalField(
        "volume infused by the pump (mL)",
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="As the pump shows it at the stop; compared with the volume the record computes.",
    )

    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completion_note = models.TextField(blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signoff_note = models.TextField("sign-off note", blank=True)
    history = HistoricalRecords(table_name="infusion_sessions_historicalinfusionrecord")

    class Meta:
        db_table = "infusion_sessions_infusionrecord"  # kept from before the app split
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=InfusionState.values), name="infusionrecord_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(dose_verdict=DoseVerdict.SOFT) | ~Q(dose_reason=""),
                name="record_soft_dose_needs_reason",
            ),
            models.CheckConstraint(condition=Q(dose_mg__gt=0), name="record_dose_positive"),
            models.CheckConstraint(
                condition=Q(rate_ml_per_h__gt=0) & Q(current_rate_ml_per_h__gte=0),
                name="record_rates_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True) | Q(stopped_at__gte=F("started_at")),
                name="record_stop_after_start",
            ),
            models.CheckConstraint(
                condition=Q(signed_off_at__isnull=True) | Q(completed_at__isnull=False),
                name="record_signoff_after_completion",
            ),
        ]

    def __str__(self):
        return f"Infusion record for {self.session}"

    @property
    def is_completed(self):
        return self.completed_at is not None

    @property
    def is_signed_off(self):
        return self.signed_off_at is not None


class RateChangeKind(models.TextChoices):
    START = "start", "Started"
    RATE = "rate", "Rate changed"
    PAUSE = "pause", "Paused"
    RESUME = "resume", "Resumed"
    STOP = "stop", "Stopped"


class RateChange(models.Model):
    """Every change to the running infusion, including its start, pauses and stop (rate 0)."""

    session = models.ForeignKey(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="rate_changes"
    )
    kind = models.CharField(max_length=10, choices=RateChangeKind.choices, default=RateChangeKind.RATE)
    changed_at = models.DateTimeField("time")
    rate_ml_per_h = models.DecimalField(
        "rate (mL/h)", max_digits=7, decimal_places=1, validators=[MinValueValidator(0)]
    )
    reason = models.CharField(max_length=200, blank=True)
    # A rate above the soft limit (protocols.dosing.judge_rate) carries the nurse's reason for it.
    above_soft_limit = models.BooleanField("above the soft limit", default=False)
    soft_limit_reason = models.CharField("reason for a rate above the soft limit", max_length=200, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(table_name="infusion_sessions_historicalratechange")

    class Meta:
        db_table = "infusion_sessions_ratechange"  # kept from before the app split
        triggers = [locked_record_trigger()]
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_ml_per_h__gte=0), name="ratechange_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(above_soft_limit=False) | ~Q(soft_limit_reason=""),
                name="ratechange_soft_limit_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[RateChangeKind.START, RateChangeKind.RESUME]) | ~Q(reason=""),
                name="ratechange_reason_required",
            ),
        ]
        indexes = [models.Index(fields=["session", "changed_at"], name="ratechange_session_time")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.rate_ml_per_h} mL/h at {uk_time(self.changed_at)}"


class ACVPU(models.TextChoices):
    ALERT = "A", "Alert"
    CONFUSION = "C", "New confusion"
    VOICE = "V", "Responds to voice"
    PAIN = "P", "Responds to pain"
    UNRESPONSIVE = "U", "Unresponsive"


class POSS(models.TextChoices):
    ASLEEP = "S", "S - asleep, easily roused"
    AWAKE = "1", "1 - awake and alert"
    SLIGHTLY_DROWSY = "2", "2 - slightly drowsy, easily roused"
    FREQUENTLY_DROWSY = "3", "3 - frequently drowsy, drifts off"
    SOMNOLENT = "4", "4 - somnolent, minimal or no response"


# The measured values; an amendment may change any of these (and EVENT_FIELDS of an adverse event).
VITAL_FIELDS = (
    "systolic",
    "diastolic",
    "heart_rate",
    "respiratory_rate",
    "spo2",
    "on_oxygen",
    "temperature",
    "acvpu",
    "sedation",
    "pain",
)


class VitalSigns(models.Model):
    """One set of observations, scored with NEWS2 whenever it is saved."""

    session = models.ForeignKey(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="vital_signs"
    )
    observed_at = models.DateTimeField("time")
    systolic = models.PositiveSmallIntegerField(
        "systolic BP (mmHg)", validators=_range_validators("systolic")
    )
    diastolic = models.PositiveSmallIntegerField(
        "diastolic BP (mmHg)", validators=_range_validators("diastolic")
    )
    heart_rate = models.PositiveSmallIntegerField(
        "heart rate (/min)", validators=_range_validators("heart_rate")
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        "respiratory rate (/min)", validators=_range_validators("respiratory_rate")
    )
    spo2 = models.PositiveSmallIntegerField("SpO2 (%)", validators=_range_validators("spo2"))
    spo2_scale2 = models.BooleanField("SpO2 scale 2", default=False, editable=False)
    on_oxygen = models.BooleanField("on oxygen", default=False)
    temperature = models.DecimalField(
        "temperature (°C)", max_digits=3, decimal_places=1, validators=_range_validators("temperature")
    )
    acvpu = models.CharField("ACVPU", max_length=1, choices=ACVPU.choices, default=ACVPU.ALERT)
    sedation = models.CharField("sedation (POSS)", max_length=1, choices=POSS.choices, default=POSS.AWAKE)
    pain = models.PositiveSmallIntegerField("pain (0-10)", validators=_range_validators("pain"))

    # NEWS2, computed in save(): the total, each parameter's score and the response band.
    news2_total = models.PositiveSmallIntegerField("NEWS2", editable=False, default=0)
    news2_respiration = models.PositiveSmallIntegerField(editable=False, default=0)
    news2_spo2 = models.PositiveSmallIntegerField(editable=False, default=0)
    news2_air_or_oxygen = models.PositiveSmallIntegerField(editable=False, default=0)
    news2_systolic = models.PositiveSmallIntegerField(editable=False, default=0)
    news2_pulse = models.PositiveSmallIntegerField(editable=False, default=0)
    news2_consciousness = models.PositiveSmallIntegerField(editable=False, default=0)
    news2_temperature = models.PositiveSmallIntegerField(editable=False, default=0)
    news2_band = models.CharField(max_length=12, choices=Band.CHOICES, default=Band.LOW, editable=False)
    alert_level = models.PositiveSmallIntegerField(
        choices=AlertLevel.CHOICES, default=AlertLevel.NONE, editable=False
    )

    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(table_name="infusion_sessions_historicalvitalsigns")

    class Meta:
        db_table = "infusion_sessions_vitalsigns"  # kept from before the app split
        triggers = [locked_record_trigger()]
        ordering = ["observed_at", "id"]
        verbose_name = "vital signs"
        verbose_name_plural = "vital signs"
        constraints = [
            *(_range_constraint(name) for name in RANGES),
            models.CheckConstraint(
                condition=Q(diastolic__lt=F("systolic")), name="vitals_diastolic_below_systolic"
            ),
            models.CheckConstraint(condition=Q(acvpu__in=ACVPU.values), name="vitals_acvpu_valid"),
            models.CheckConstraint(condition=Q(sedation__in=POSS.values), name="vitals_sedation_valid"),
            models.CheckConstraint(condition=Q(news2_total__lte=20), name="vitals_news2_total_in_range"),
        ]
        indexes = [models.Index(fields=["session", "observed_at"], name="vitals_session_time")]

    def __str__(self):
        return f"Observations at {uk_time(self.observed_at)}: NEWS2 {self.news2_total}"

    def save(self, *args, **kwargs):
        result = self.compute_news2()
        self.news2_total = result.total
        self.news2_respiration = result.respiration
        self.news2_spo2 = result.spo2
        self.news2_air_or_oxygen = result.air_or_oxygen
        self.news2_systolic = result.systolic
        self.news2_pulse = result.pulse
        self.news2_consciousness = result.consciousness
        self.news2_temperature = result.temperature
        self.news2_band = result.band
        self.alert_level = result.alert_level
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.systolic is not None and self.diastolic is not None and self.diastolic >= self.systolic:
            raise ValidationError({"diastolic": "Diastolic must be below systolic."})

    def compute_news2(self) -> news2.News2:
        return news2.score(
            respiratory_rate=self.respiratory_rate,
            spo2=self.spo2,
            on_oxygen=self.on_oxygen,
            systolic=self.systolic,
            pulse=self.heart_rate,
            acvpu=self.acvpu,
            temperature=self.temperature,
            spo2_scale2=self.spo2_scale2,
            sedation=self.sedation,
        )

    @property
    def news2_response(self):
        return Band.RESPONSE[self.news2_band]

    @property
    def sedation_unacceptable(self):
        return self.sedation in news2.POSS_UNACCEPTABLE

    @property
    def red_parameters(self):
        """The parameters that score 3 on their own, by label."""
        labels = {
            "news2_respiration": "respiration rate",
            "news2_spo2": "SpO2",
            "news2_systolic": "systolic BP",
            "news2_pulse": "pulse",
            "news2_consciousness": "consciousness",
            "news2_temperature": "temperature",
        }
        return [label for name, label in labels.items() if getattr(self, name) == 3]


class AdverseEventType(models.TextChoices):
    PERIORAL_TINGLING = "perioral_tingling", "Perioral tingling"
    DIZZINESS = "dizziness", "Dizziness"
    HALLUCINATIONS = "hallucinations", "Hallucinations"
    NAUSEA = "nausea", "Nausea"
    HYPOTENSION = "hypotension", "Hypotension"
    HYPERTENSION = "hypertension", "Hypertension"
    ARRHYTHMIA = "arrhythmia", "Arrhythmia"
    ALLERGIC_REACTION = "allergic_reaction", "Allergic reaction"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEventAction(models.TextChoices):
    RATE_REDUCED = "rate_reduced", "Rate reduced"
    PAUSED = "paused", "Infusion paused"
    STOPPED = "stopped", "Infusion stopped"
    MEDICATION_GIVEN = "medication_given", "Medication given"
    NONE = "none", "None"


class AdverseEvent(models.Model):
    session = models.ForeignKey(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="adverse_events"
    )
    occurred_at = models.DateTimeField("time")
    event_type = models.CharField("event", max_length=20, choices=AdverseEventType.choices)
    other_text = models.CharField("describe the event", max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    action_taken = models.CharField(max_length=20, choices=AdverseEventAction.choices)
    notes = models.TextField(blank=True, help_text="Medication given, who was told, outcome.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(table_name="infusion_sessions_historicaladverseevent")

    class Meta:
        db_table = "infusion_sessions_adverseevent"  # kept from before the app split
        triggers = [locked_record_trigger()]
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(event_type=AdverseEventType.OTHER) | ~Q(other_text=""),
                name="adverseevent_other_needs_text",
            ),
            models.CheckConstraint(
                condition=Q(event_type__in=AdverseEventType.values), name="adverseevent_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="adverseevent_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(action_taken__in=AdverseEventAction.values), name="adverseevent_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.get_severity_display().lower()}) at {uk_time(self.occurred_at)}"

    def clean(self):
        super().clean()
        if self.event_type == AdverseEventType.OTHER and not self.other_text.strip():
            raise ValidationError({"other_text": "Describe the event when the type is 'Other'."})

    @property
    def label(self):
        if self.event_type == AdverseEventType.OTHER:
            return self.other_text
        return self.get_event_type_display()


EVENT_FIELDS = ("event_type", "other_text", "severity", "action_taken", "notes")

# What an amendment may change on a rate change: its time, its rate (start, rate, resume) and its reason.
RATE_CHANGE_FIELDS = ("changed_at", "rate_ml_per_h", "reason")
RATE_KINDS = (RateChangeKind.START, RateChangeKind.RATE, RateChangeKind.RESUME)


class Amendment(models.Model):
    """A correction to a locked (completed or signed-off) record: the reason, who and when.

    The changed row's own history (django-simple-history) keeps the original and amended values;
    this row ties the change to its reason so that the record can be printed without digging.
    """

    session = models.ForeignKey(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="amendments"
    )
    vital_signs = models.ForeignKey(
        VitalSigns, on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    rate_change = models.ForeignKey(
        RateChange, on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    field_name = models.CharField(max_length=40)
    field_label = models.CharField(max_length=80)
    old_value = models.TextField()
    new_value = models.TextField()
    reason = models.TextField()
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "infusion_sessions_amendment"  # kept from before the app split
        ordering = ["amended_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="amendment_reason_required"),
            models.CheckConstraint(  # exactly one of the three targets
                condition=Q(vital_signs__isnull=False, adverse_event__isnull=True, rate_change__isnull=True)
                | Q(vital_signs__isnull=True, adverse_event__isnull=False, rate_change__isnull=True)
                | Q(vital_signs__isnull=True, adverse_event__isnull=True, rate_change__isnull=False),
                name="amendment_one_target",
            ),
        ]

    def __str__(self):
        return f"{self.field_label}: {self.old_value} -> {self.new_value}"

    @property
    def target(self):
        return self.vital_signs or self.adverse_event or self.rate_change

    @property
    def target_label(self):
        if self.vital_signs_id:
            return f"Observation at {uk_time(self.vital_signs.observed_at)}"
        if self.rate_change_id:
            change = self.rate_change
            return f"Infusion {change.get_kind_display().lower()} at {uk_time(change.changed_at)}"
        return f"Adverse event at {uk_time(self.adverse_event.occurred_at)}"


class Addendum(models.Model):
    """A note added to a locked record after the fact (a phone call the next day, a result that came
    back late). It changes no charted value and is never edited or deleted: a wrong addendum is
    followed by another one that says so."""

    session = models.ForeignKey(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="addenda"
    )
    text = models.TextField(max_length=2000)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "infusion_sessions_addendum"  # kept from before the app split
        ordering = ["added_at", "id"]
        verbose_name_plural = "addenda"
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="addendum_text_required")]

    def __str__(self):
        return f"Addendum to session {self.session_id} at {uk_datetime(self.added_at)}"


__all__ = [
    "ACVPU",
    "Addendum",
    "POSS",
    "RANGES",
    "EVENT_FIELDS",
    "RATE_CHANGE_FIELDS",
    "RATE_KINDS",
    "VITAL_FIELDS",
    "AdverseEvent",
    "AdverseEventAction",
    "AdverseEventType",
    "Amendment",
    "DoseVerdict",
    "InfusionRecord",
    "InfusionState",
    "RateChange",
    "RateChangeKind",
    "Severity",
    "VitalSigns",
]


# --- NEWS2 escalation (issue 12, item 4) ---------------------------------------------------------


class EscalationAction(models.TextChoices):
    RATE_REDUCED = "rate_reduced", "Rate reduced"
    PAUSED = "paused", "Infusion paused"
    STOPPED = "stopped", "Infusion stopped"
    DOCTOR_REVIEW = "doctor_review", "Doctor review"
    EMERGENCY_TEAM = "emergency_team", "Emergency team called"


class Escalation(models.Model):
    """What the nurse did about a NEWS2 alert: who was informed, when, the action and the outcome.

    An entry answers one alerting observation and covers the alert episode it belongs to (see
    records/escalation_rules.py); completion and sign-off are refused while an episode has none.
    Written through records/escalation.py, which keeps it to open or completed (not signed-off) records."""

    session = models.ForeignKey(
        "infusion_sessions.InfusionSession", on_delete=models.PROTECT, related_name="escalations"
    )
    vital_signs = models.ForeignKey(
        VitalSigns, on_delete=models.PROTECT, related_name="escalations", verbose_name="alert"
    )
    informed = models.CharField(
        "who was informed",
        max_length=120,
        error_messages={"blank": "Say who was informed (name and role)."},
    )
    informed_at = models.DateTimeField("informed at", error_messages={"null": "Enter the time."})
    action = models.CharField(
        max_length=20,
        choices=EscalationAction.choices,
        error_messages={"blank": "Choose the action taken."},
    )
    outcome = models.TextField(max_length=1000, error_messages={"blank": "Record the outcome."})
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(table_name="infusion_sessions_historicalescalation")

    class Meta:
        db_table = "infusion_sessions_escalation"  # kept from before the app split
        ordering = ["informed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=EscalationAction.values), name="escalation_action_valid"
            ),
            models.CheckConstraint(condition=~Q(informed=""), name="escalation_informed_required"),
            models.CheckConstraint(condition=~Q(outcome=""), name="escalation_outcome_required"),
        ]
        indexes = [models.Index(fields=["session", "informed_at"], name="escalation_session_time")]

    def __str__(self):
        return f"Escalation at {uk_time(self.informed_at)}: {self.get_action_display()}"


__all__ += ["Escalation", "EscalationAction"]

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

POSITIVE = MinValueValidator(Decimal("0.001"), "Must be greater than zero.")
AT_LEAST_ONE = MinValueValidator(1, "Must be at least 1.")
# A heavy adult for the "would the hard limit pass the absolute maximum?" warning on mg/kg versions.
REFERENCE_MAX_WEIGHT_KG = Decimal("150")


class ProtocolFamily(models.Model):
    """A drug family (lidocaine, ketamine, ...). The clinical content lives in its versions."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    # Patients per nurse for this family (ketamine needs 1:2).
    nurse_ratio = models.PositiveSmallIntegerField("patients per nurse", default=3)
    # Contraindication checklist: a list of strings, used by the eligibility assessment.
    contraindications = models.JSONField(default=list, blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]
        verbose_name_plural = "protocol families"
        permissions = [
            ("manage_protocols", "Can edit the protocol library and mark versions verified"),
        ]

    def __str__(self):
        return self.name


class Protocol(models.Model):
    """One protocol within a family (the bisphosphonate family has zoledronic acid and pamidronate)."""

    family = models.ForeignKey(ProtocolFamily, on_delete=models.PROTECT, related_name="protocols")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family__display_order", "name"]

    def __str__(self):
        return self.name

    def current_version(self):
        return self.versions.filter(is_current=True).first()


class DoseBasis(models.TextChoices):
    MG_PER_KG = "mg_per_kg", "mg/kg"
    MG_PER_KG_PER_HOUR = "mg_per_kg_per_h", "mg/kg/h"
    FIXED_MG = "fixed_mg", "fixed mg"


# What an admin may change when making a new version (everything clinical except identity), in the
# order the new-version form shows it.
EDITABLE_FIELDS = (
    "name",
    "drug",
    "concentration_mg_per_ml",
    "dose_basis",
    "default_dose",
    "soft_limit",
    "hard_limit",
    "absolute_max_mg",
    "max_rate_mg_per_hour",
    "max_rate_ml_per_hour",
    "infusion_minutes",
    "min_infusion_minutes",
    "diluent",
    "diluent_volume_ml",
    "setup_minutes",
    "observation_minutes",
    "observation_interval_minutes",
    "alert_observation_interval_minutes",
    "requires_ecg",
    "monitoring",
    "contraindications",
    "course_sessions",
    "course_interval_days",
    "note",
)

# The clinical content of a version: never changed once saved (a change is a new version).
CLINICAL_FIELDS = ("protocol_id", "version", *EDITABLE_FIELDS, "is_example")


class ProtocolVersion(models.Model):
    """One version of a protocol. A version is never edited once saved: an edit is a new version.

    Only the status fields (is_current, verified_at, verified_by) change after creation; save()
    refuses anything else, so a session or prescription always points at what was prescribed.
    """

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=120, help_text="e.g. 'Lidocaine 5 mg/kg over 60 min'")
    drug = models.CharField(max_length=100)
    concentration_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)",
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[POSITIVE],
    )
    dose_basis = models.CharField(max_length=20, choices=DoseBasis.choices)
    # Doses: mg/kg, mg/kg/h or mg according to dose_basis (magnesium's grams are stored as mg).
    default_dose = models.DecimalField(max_digits=8, decimal_places=3, validators=[POSITIVE])
    soft_limit = models.DecimalField(max_digits=8, decimal_places=3, validators=[POSITIVE])
    hard_limit = models.DecimalField(max_digits=8, decimal_places=3, validators=[POSITIVE])
    absolute_max_mg = models.DecimalField(
        "absolute maximum per session (mg)", max_digits=9, decimal_places=2, validators=[POSITIVE]
    )
    max_rate_mg_per_hour = models.DecimalField(
        "maximum rate (mg/h)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[POSITIVE],
        help_text="Leave empty when the drug has no rate limit (pamidronate: 60 mg/h).",
    )
    max_rate_ml_per_hour = models.DecimalField(
        "maximum pump rate (mL/h)",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[POSITIVE],
        help_text="Leave empty when only the mg/h, dose and duration limits apply.",
    )
    infusion_minutes = models.PositiveIntegerField("infusion duration (min)", validators=[AT_LEAST_ONE])
    min_infusion_minutes = models.PositiveIntegerField(
        "minimum infusion duration (min)",
        null=True,
        blank=True,
        validators=[AT_LEAST_ONE],
        help_text="The bag may never run faster than this (zoledronic acid: 15 min). Empty: no minimum "
        "beyond the other limits. Running faster than the planned duration always needs a reason.",
    )
    diluent = models.CharField(max_length=100, default="NaCl 0.9%")
    diluent_volume_ml = models.PositiveIntegerField("diluent volume (mL)", validators=[AT_LEAST_ONE])
    setup_minutes = models.PositiveIntegerField("setup (min)", default=15)
    observation_minutes = models.PositiveIntegerField("post-infusion observation (min)", default=30)
    observation_interval_minutes = models.PositiveIntegerField(
        "observations every (min)", default=15, validators=[AT_LEAST_ONE]
    )
    # Issue 12: after a NEWS2 alert the next observation falls due sooner, until NEWS2 falls again.
    alert_observation_interval_minutes = models.PositiveIntegerField(
        "observations every (min) during a NEWS2 alert",
        default=5,
        validators=[AT_LEAST_ONE],
        help_text="Used from an alert (NEWS2 5+, a 3 in one parameter, POSS 3-4) until NEWS2 falls below it.",
    )
    requires_ecg = models.BooleanField("ECG monitoring required", default=False)
    monitoring = models.TextField("required monitoring", blank=True)
    contraindications = models.TextField(
        blank=True, help_text="Version-specific notes; the family's checklist is used for eligibility."
    )
    course_sessions = models.PositiveSmallIntegerField(
        "sessions per course", default=1, validators=[AT_LEAST_ONE]
    )
    course_interval_days = models.PositiveSmallIntegerField(
        "days between sessions", default=1, validators=[AT_LEAST_ONE]
    )
    note = models.TextField("protocol note", blank=True)
    is_current = models.BooleanField(default=True)
    is_example = models.BooleanField(
        "example defaults: verify locally",
        default=False,
        help_text="Seeded example values. Shown with a warning until a clinic admin verifies them.",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol__family__display_order", "protocol__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "version"], name="protocol_version_unique"),
            models.UniqueConstraint(
                fields=["protocol"],
                condition=models.Q(is_current=True),
                name="one_current_version_per_protocol",
            ),
            models.CheckConstraint(
                condition=models.Q(soft_limit__lte=models.F("hard_limit")), name="soft_le_hard"
            ),
            models.CheckConstraint(
                condition=models.Q(infusion_minutes__gt=0), name="infusion_minutes_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(diluent_volume_ml__gt=0), name="diluent_volume_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(default_dose__gt=0, soft_limit__gt=0, absolute_max_mg__gt=0),
                name="doses_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(default_dose__lte=models.F("hard_limit")), name="default_le_hard"
            ),
            models.CheckConstraint(
                condition=~models.Q(dose_basis="fixed_mg")
                | models.Q(hard_limit__lte=models.F("absolute_max_mg")),
                name="fixed_hard_le_absolute_max",
            ),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values(*CLINICAL_FIELDS).first()
            if stored is not None:
                changed = [f for f in CLINICAL_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise ValidationError(
                        "A protocol version is never edited: create a new version instead "
                        f"(changed: {', '.join(changed)})."
                    )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("protocols:version_detail", args=[self.pk])

    def clean(self):
        errors = {}
        soft, hard, default = self.soft_limit, self.hard_limit, self.default_dose
        unit = DoseBasis(self.dose_basis).label if self.dose_basis in DoseBasis.values else ""
        if soft is not None and hard is not None and soft > hard:
            errors["soft_limit"] = (
                f"The soft limit ({soft.normalize():f} {unit}) must not be above the hard limit ({hard.normalize():f} {unit})."
            )
        if default is not None and hard is not None and default > hard:
            errors["default_dose"] = "The default dose must not be above the hard limit."
        if (
            self.dose_basis == DoseBasis.FIXED_MG
            and hard is not None
            and self.absolute_max_mg is not None
            and hard > self.absolute_max_mg
        ):
            errors["hard_limit"] = (
                f"For a fixed dose the hard limit ({hard.normalize():f} mg) must not be above the "
                f"absolute maximum ({self.absolute_max_mg.normalize():f} mg)."
            )
        if (
            self.dose_basis == DoseBasis.FIXED_MG
            and self.max_rate_mg_per_hour
            and hard is not None
            and self.infusion_minutes
            and "hard_limit" not in errors
        ):
            rate = hard / (Decimal(self.infusion_minutes) / 60)
            if rate > self.max_rate_mg_per_hour:
                needed = -(-hard * 60 // self.max_rate_mg_per_hour)
                errors["infusion_minutes"] = (
                    f"At the hard limit ({hard.normalize():f} mg) this runs at {rate.quantize(Decimal('0.1'))} mg/h, "
                    f"above the maximum rate of {self.max_rate_mg_per_hour.normalize():f} mg/h: "
                    f"make the infusion at least {needed} minutes."
                )
        if (
            self.min_infusion_minutes
            and self.infusion_minutes
            and self.min_infusion_minutes > self.infusion_minutes
        ):
            errors["min_infusion_minutes"] = (
                f"The minimum duration ({self.min_infusion_minutes} min) must not be longer than the "
                f"planned infusion ({self.infusion_minutes} min)."
            )
        if (
            self.alert_observation_interval_minutes
            and self.observation_interval_minutes
            and self.alert_observation_interval_minutes > self.observation_interval_minutes
        ):
            errors["alert_observation_interval_minutes"] = (
                f"During an alert observations fall due sooner, not later: at most every "
                f"{self.observation_interval_minutes} min (the usual interval)."
            )
        if errors:
            raise ValidationError(errors)

    def warnings(self) -> list[str]:
        """Checks that are not errors: shown to the admin who creates the version."""
        found = []
        if self.dose_basis == DoseBasis.MG_PER_KG and self.hard_limit and self.absolute_max_mg:
            at_heavy = self.hard_limit * REFERENCE_MAX_WEIGHT_KG
            if at_heavy > self.absolute_max_mg:
                found.append(
                    f"At the hard limit a {REFERENCE_MAX_WEIGHT_KG} kg patient would get {at_heavy.normalize():f} mg, "
                    f"above the absolute maximum: such doses are capped at {self.absolute_max_mg.normalize():f} mg."
                )
        if self.dose_basis == DoseBasis.MG_PER_KG_PER_HOUR and self.hard_limit and self.infusion_minutes:
            at_heavy = self.hard_limit * REFERENCE_MAX_WEIGHT_KG * Decimal(self.infusion_minutes) / 60
            if at_heavy > self.absolute_max_mg:
                found.append(
                    f"At the hard limit a {REFERENCE_MAX_WEIGHT_KG} kg patient would get {at_heavy.normalize():f} mg "
                    f"over the infusion, above the absolute maximum: such doses are capped at "
                    f"{self.absolute_max_mg.normalize():f} mg."
                )
        return found

    @property
    def family(self):
        return self.protocol.family

    @property
    def unit(self) -> str:
        return DoseBasis(self.dose_basis).label

    @property
    def is_weight_based(self) -> bool:
        return self.dose_basis in (DoseBasis.MG_PER_KG, DoseBasis.MG_PER_KG_PER_HOUR)

    @property
    def chair_minutes(self) -> int:
        return self.setup_minutes + self.infusion_minutes + self.observation_minutes

    @property
    def chair_time(self) -> timedelta:
        return timedelta(minutes=self.chair_minutes)

    @property
    def needs_verification(self) -> bool:
        return self.is_example and self.verified_at is None

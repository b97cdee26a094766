from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse


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
            ("prescribe", "Can choose a protocol and dose for a patient"),
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


class ProtocolVersion(models.Model):
    """One version of a protocol. A version a session has used is never edited: edit = new version."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=120, help_text="e.g. 'Lidocaine 5 mg/kg over 60 min'")
    drug = models.CharField(max_length=100)
    concentration_mg_per_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=8, decimal_places=3, null=True, blank=True
    )
    dose_basis = models.CharField(max_length=20, choices=DoseBasis.choices)
    # Doses: mg/kg, mg/kg/h or mg according to dose_basis (magnesium's grams are stored as mg).
    default_dose = models.DecimalField(max_digits=8, decimal_places=3)
    soft_limit = models.DecimalField(max_digits=8, decimal_places=3)
    hard_limit = models.DecimalField(max_digits=8, decimal_places=3)
    absolute_max_mg = models.DecimalField("absolute maximum per session (mg)", max_digits=9, decimal_places=2)
    max_rate_mg_per_hour = models.DecimalField(
        "maximum rate (mg/h)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    infusion_minutes = models.PositiveIntegerField("infusion duration (min)")
    diluent = models.CharField(max_length=100, default="NaCl 0.9%")
    diluent_volume_ml = models.PositiveIntegerField("diluent volume (mL)")
    setup_minutes = models.PositiveIntegerField("setup (min)", default=15)
    observation_minutes = models.PositiveIntegerField("post-infusion observation (min)", default=30)
    observation_interval_minutes = models.PositiveIntegerField("observations every (min)", default=15)
    requires_ecg = models.BooleanField("ECG monitoring required", default=False)
    monitoring = models.TextField("required monitoring", blank=True)
    contraindications = models.TextField(blank=True)
    course_sessions = models.PositiveSmallIntegerField("sessions per course", default=1)
    course_interval_days = models.PositiveSmallIntegerField("days between sessions", default=1)
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
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def get_absolute_url(self):
        return reverse("protocols:version_detail", args=[self.pk])

    @property
    def family(self):
        return self.protocol.family

    @property
    def chair_minutes(self) -> int:
        return self.setup_minutes + self.infusion_minutes + self.observation_minutes

    @property
    def chair_time(self) -> timedelta:
        return timedelta(minutes=self.chair_minutes)

    @property
    def needs_verification(self) -> bool:
        return self.is_example and self.verified_at is None

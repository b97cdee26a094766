from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from infusion_clinic.dates import uk_date

from .letters import ReferralLetterField, referral_letter_path, validate_referral_letter
from .phones import PhoneNumberField
from .validators import (
    format_nhs_number,
    normalise_nhs_number,
    normalise_postcode,
    validate_gp_ods_code,
    validate_nhs_number,
    validate_postcode,
)


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "O", "Other"
    UNKNOWN = "U", "Not known"


class Patient(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    nhs_number = models.CharField(
        "NHS number",
        max_length=10,
        blank=True,
        default="",
        validators=[validate_nhs_number],
        help_text="Optional for private patients. 10 digits; spaces are ignored.",
    )
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[validate_postcode])
    phone = PhoneNumberField(
        "phone",
        max_length=20,
        blank=True,
        help_text="A UK number, e.g. 07700 900123, or an international one starting with +.",
    )
    email = models.EmailField(blank=True)
    consent_sms = models.BooleanField("consents to SMS reminders", default=False)
    consent_email = models.BooleanField("consents to email reminders", default=False)
    gp_practice_name = models.CharField("GP practice", max_length=200, blank=True)
    gp_practice_ods = models.CharField(
        "GP practice ODS code", max_length=6, blank=True, validators=[validate_gp_ods_code]
    )
    allergies = models.TextField(blank=True)
    notes = models.TextField("clinical notes", blank=True)
    news2_spo2_scale2 = models.BooleanField(
        "NEWS2 SpO2 scale 2",
        default=False,
        help_text="Only for a prescribed target of 88-92% (hypercapnic respiratory failure), set by a clinician.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            # 10 ASCII digits, stored without spaces; [0-9], not \d, which matches other scripts' digits.
            models.CheckConstraint(
                condition=models.Q(nhs_number="") | models.Q(nhs_number__regex=r"\A[0-9]{10}\Z"),
                name="patient_nhs_number_ten_ascii_digits",
            ),
            models.UniqueConstraint(
                fields=["nhs_number"],
                condition=~models.Q(nhs_number=""),
                name="patient_nhs_number_unique_when_present",
                violation_error_message="A patient with this NHS number is already registered.",
            ),
        ]
        indexes = [
            # The patient search box and picker (patients/selectors.py: search_patients), by a date of
            # birth and by the first digits of an NHS number (LIKE '943%': the unique index cannot serve
            # a prefix under a non-C collation; varchar_pattern_ops can). Migration 0011 says more.
            models.Index(fields=["date_of_birth"], name="patient_date_of_birth"),
            models.Index(fields=["nhs_number"], opclasses=["varchar_pattern_ops"], name="patient_nhs_prefix"),
        ]
        permissions = [("view_clinical", "Can see labs and clinical notes")]

    def __str__(self):
        return f"{self.last_name.upper()}, {self.first_name}"

    def get_absolute_url(self):
        return reverse("patients:patient_detail", args=[self.pk])

    def clean(self):
        self.nhs_number = normalise_nhs_number(self.nhs_number)
        self.postcode = normalise_postcode(self.postcode) if self.postcode else ""
        self.gp_practice_ods = (self.gp_practice_ods or "").strip().upper()
        errors = {}
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        # The partial unique constraint reports a clash without a field; say it next to the field.
        if (
            self.nhs_number
            and Patient.objects.filter(nhs_number=self.nhs_number).exclude(pk=self.pk).exists()
        ):
            errors["nhs_number"] = "A patient with this NHS number is already registered."
        if errors:
            raise ValidationError(errors)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def nhs_number_display(self):
        return format_nhs_number(self.nhs_number)

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class WeightRecord(models.Model):
    """A dated weight (and height). Doses never guess a weight: they use a recorded one."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="weights")
    recorded_on = models.DateField()
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(20), MaxValueValidator(300)],
    )
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(250)],
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_on", "-id"]
        get_latest_by = ["recorded_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__gte=20, weight_kg__lte=300), name="weight_in_adult_range"
            ),
        ]

    def __str__(self):
        return f"{self.weight_kg} kg on {uk_date(self.recorded_on)}"


class Condition(models.TextChoices):
    NEUROPATHIC = "neuropathic", "Neuropathic pain"
    CRPS = "crps", "CRPS"
    FIBROMYALGIA = "fibromyalgia", "Fibromyalgia"
    CHRONIC_MIGRAINE = "chronic_migraine", "Chronic migraine"
    CANCER_BONE = "cancer_bone", "Cancer-related bone pain"
    FBSS = "fbss", "Failed back surgery syndrome"
    DIABETIC_NEUROPATHY = "diabetic_neuropathy", "Diabetic neuropathy"
    OTHER = "other", "Other"


class FundingRoute(models.TextChoices):
    NHS = "nhs", "NHS"
    SELF_PAY = "self_pay", "Private self-pay"
    INSURED = "insured", "Insured"


class ReferralSource(models.TextChoices):
    GP = "gp", "GP practice"
    SELF = "self", "Self-referral"


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    AWAITING_ASSESSMENT = "awaiting_assessment", "Awaiting assessment"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    IN_TREATMENT = "in_treatment", "In treatment"
    DISCHARGED = "discharged", "Discharged"


# Waiting for first treatment: these make up the waiting list by default.
OPEN_STATUSES = (
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.AWAITING_ASSESSMENT,
    ReferralStatus.ACCEPTED,
)


class Referral(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=10, choices=ReferralSource.choices, default=ReferralSource.GP)
    gp_practice_name = models.CharField("referring GP practice", max_length=200, blank=True)
    gp_practice_ods = models.CharField(
        "referring practice ODS code", max_length=6, blank=True, validators=[validate_gp_ods_code]
    )
    received_on = models.DateField()
    condition = models.CharField(max_length=30, choices=Condition.choices)
    condition_other = models.CharField("other condition", max_length=200, blank=True)
    prior_treatments = models.TextField(blank=True)
    letter_text = models.TextField("referral letter", blank=True)
    letter_file = ReferralLetterField(
        "referral letter (upload)",
        upload_to=referral_letter_path,
        validators=[validate_referral_letter],
        blank=True,
    )
    funding_route = models.CharField(max_length=10, choices=FundingRoute.choices, default=FundingRoute.NHS)
    insurer = models.ForeignKey(
        "billing.Insurer", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    policy_number = models.CharField(max_length=50, blank=True)
    preauth_number = models.CharField("pre-authorisation number", max_length=50, blank=True)
    commissioner = models.ForeignKey(
        "billing.Commissioner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="The Integrated Care Board that funds NHS care.",
    )
    status = models.CharField(max_length=30, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The NHS 18-week referral-to-treatment clock: it starts at received_on and stops here.
    rtt_stopped_on = models.DateField("RTT clock stopped on", null=True, blank=True)
    rtt_stop_reason = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["received_on", "id"]
        permissions = [("triage_referral", "Can triage referrals and decide eligibility")]
        indexes = [models.Index(fields=["status", "received_on"], name="referral_status_received")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(funding_route="insured") | models.Q(insurer__isnull=False),
                name="referral_insured_has_insurer",
                violation_error_message="An insured referral needs the insurer.",
            ),
            models.CheckConstraint(
                condition=models.Q(rtt_stopped_on__isnull=True)
                | models.Q(rtt_stopped_on__gte=models.F("received_on")),
                name="referral_rtt_stop_after_start",
                violation_error_message="The RTT clock cannot stop before the referral was received.",
            ),
        ]

    def __str__(self):
        return f"Referral {self.pk}: {self.patient} ({self.get_condition_display()})"

    def get_absolute_url(self):
        return reverse("patients:referral_detail", args=[self.pk])

    def clean(self):
        errors = {}
        self.gp_practice_ods = (self.gp_practice_ods or "").strip().upper()
        if self.received_on and self.received_on > timezone.localdate():
            errors["received_on"] = "The received date cannot be in the future."
        if self.source == ReferralSource.GP and not self.gp_practice_name:
            errors["gp_practice_name"] = "Enter the referring GP practice (or choose self-referral)."
        if self.condition == Condition.OTHER and not self.condition_other:
            errors["condition_other"] = "Describe the condition when you choose 'Other'."
        if self.funding_route == FundingRoute.NHS and not self.commissioner_id:
            errors["commissioner"] = "An NHS referral needs the commissioner (the ICB that funds it)."
        if self.funding_route == FundingRoute.INSURED:
            if not self.insurer_id:
                errors["insurer"] = "An insured referral needs the insurer."
            if not self.policy_number:
                errors["policy_number"] = "An insured referral needs the policy number."
        if errors:
            raise ValidationError(errors)

    @property
    def is_nhs(self) -> bool:
        return self.funding_route == FundingRoute.NHS

    @property
    def is_open(self) -> bool:
        """Still waiting for treatment (the RTT clock, for NHS referrals, is running)."""
        return self.status in OPEN_STATUSES


class ReferralEvent(models.Model):
    """One step of the referral status machine: the timeline."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=30, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=ReferralStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_status__in=ReferralStatus.values), name="referralevent_to_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(from_status="") | models.Q(from_status__in=ReferralStatus.values),
                name="referralevent_from_status_valid",
            ),
        ]
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_status or 'new'} -> {self.to_status}"


class EcgResult(models.TextChoices):
    NOT_DONE = "not_done", "Not done"
    NORMAL = "normal", "Normal"
    ABNORMAL = "abnormal", "Abnormal"


class Pregnancy(models.TextChoices):
    NOT_APPLICABLE = "na", "Not applicable"
    NOT_PREGNANT = "not_pregnant", "Not pregnant (confirmed)"
    PREGNANT = "pregnant", "Pregnant or breastfeeding"


class EligibilityDecision(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    DECLINED = "declined", "Declined"


class EligibilityAssessment(models.Model):
    """A specialist's decision for one protocol family; it lapses (see patients.eligibility)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility_assessments")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="eligibility_assessments"
    )
    protocol_family = models.ForeignKey(
        "protocols.ProtocolFamily", on_delete=models.PROTECT, related_name="+"
    )
    assessed_on = models.DateField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(300)],
    )
    egfr = models.PositiveSmallIntegerField(
        "eGFR (mL/min/1.73m²)", null=True, blank=True, validators=[MaxValueValidator(200)]
    )
    corrected_calcium = models.DecimalField(
        "corrected calcium (mmol/L)",
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    ecg_result = models.CharField("ECG", max_length=10, choices=EcgResult.choices, default=EcgResult.NOT_DONE)
    qtc_ms = models.PositiveSmallIntegerField(
        "QTc (ms)", null=True, blank=True, validators=[MinValueValidator(300), MaxValueValidator(700)]
    )
    pregnancy = models.CharField(max_length=15, choices=Pregnancy.choices, default=Pregnancy.NOT_APPLICABLE)
    # {contraindication text: True when present} for the family's checklist at the time.
    checklist = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=10, choices=EligibilityDecision.choices)
    reasons = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision="eligible") | ~models.Q(reasons=""),
                name="eligibility_declined_has_reasons",
                violation_error_message="Give the reasons when the decision is declined.",
            ),
            models.CheckConstraint(
                condition=models.Q(egfr__isnull=True) | models.Q(egfr__gte=0, egfr__lte=200),
                name="eligibility_egfr_range",
            ),
            models.CheckConstraint(
                condition=models.Q(corrected_calcium__isnull=True)
                | models.Q(corrected_calcium__gte=1, corrected_calcium__lte=4),
                name="eligibility_calcium_range",
            ),
            models.CheckConstraint(
                condition=models.Q(qtc_ms__isnull=True) | models.Q(qtc_ms__gte=300, qtc_ms__lte=700),
                name="eligibility_qtc_range",
            ),
            models.CheckConstraint(
                condition=models.Q(weight_kg__isnull=True) | models.Q(weight_kg__gte=20, weight_kg__lte=300),
                name="eligibility_weight_range",
            ),
        ]

    def __str__(self):
        return f"{self.patient} / {self.protocol_family}: {self.get_decision_display()}"


class Verdict(models.TextChoices):
    WITHIN_LIMITS = "ok", "Within limits"
    OVER_SOFT_LIMIT = "soft", "Over the soft limit (reason recorded)"


class Prescription(models.Model):
    """A specialist's choice of protocol version and dose for a patient.

    Never edited: prescribing again for the same family replaces it (the old one becomes inactive).
    The figures are stored as calculated at prescribing, with the weight record they used.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="prescriptions"
    )
    family = models.ForeignKey(
        "protocols.ProtocolFamily", on_delete=models.PROTECT, related_name="prescriptions"
    )
    protocol_version = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="prescriptions"
    )
    weight_record = models.ForeignKey(
        WeightRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriptions",
        help_text="The weight the dose was calculated from; empty for fixed doses.",
    )
    basis_dose = models.DecimalField("dose (version unit)", max_digits=8, decimal_places=3)
    dose_mg = models.DecimalField("dose (mg)", max_digits=9, decimal_places=1)
    volume_ml = models.DecimalField("volume (mL)", max_digits=7, decimal_places=1)
    rate_ml_per_h = models.DecimalField("rate (mL/h)", max_digits=7, decimal_places=1)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    soft_limit_reason = models.TextField("reason for a dose over the soft limit", blank=True)
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prescribed_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords(table_name="protocols_historicalprescription")

    class Meta:
        db_table = "protocols_prescription"  # kept from before the move from protocols
        ordering = ["-prescribed_at", "-id"]
        permissions = [("prescribe", "Can choose a protocol and dose for a patient")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(verdict="soft") | ~models.Q(soft_limit_reason=""),
                name="prescription_soft_needs_reason",
                violation_error_message="A dose over the soft limit needs a recorded reason.",
            ),
            models.CheckConstraint(
                condition=models.Q(verdict__in=["ok", "soft"]), name="prescription_verdict_allowed"
            ),
            models.CheckConstraint(condition=models.Q(dose_mg__gt=0), name="prescription_dose_positive"),
            models.UniqueConstraint(
                fields=["patient", "family"],
                condition=models.Q(is_active=True),
                name="one_active_prescription_per_family",
            ),
        ]
        indexes = [models.Index(fields=["patient", "is_active"], name="prescription_patient_active")]

    def __str__(self):
        return f"{self.protocol_version.name}: {self.dose_mg} mg for {self.patient}"

    @property
    def requires_reason(self) -> bool:
        return self.verdict == Verdict.OVER_SOFT_LIMIT

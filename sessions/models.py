from datetime import UTC, timedelta

from django.conf import settings
from django.db import models
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from simple_history.models import HistoricalRecords

from infusion_clinic.dates import uk_date, uk_datetime, uk_time


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    address = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_chairs", "Can manage locations, chairs, hours, closures and the rota")]

    def __str__(self):
        return self.name


class Chair(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(max_length=50, help_text="e.g. 'Bay 1 Chair 3'")
    is_active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["location__name", "display_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="chair_name_unique_per_location")
        ]

    def __str__(self):
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="opens_before_closes"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {uk_time(self.opens)}-{uk_time(self.closes)}"


class Closure(models.Model):
    """A day (or days) the location is closed: bank holidays, training days."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__lte=models.F("ends_on")), name="closure_dates_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.reason} ({uk_date(self.starts_on)})"


class NurseShift(models.Model):
    """The rota: how many infusion nurses are on duty at a location during a time band of a day."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="nurse_shifts")
    date = models.DateField()
    starts = models.TimeField()
    ends = models.TimeField()
    nurses = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["date", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="shift_starts_before_ends"
            ),
        ]

    def __str__(self):
        return f"{uk_date(self.date)} {uk_time(self.starts)}-{uk_time(self.ends)}: {self.nurses} nurse(s)"


class Course(models.Model):
    """A course of sessions booked from a protocol's course template. Sessions stay independent rows."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="courses")
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="courses"
    )
    protocol_version = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Course {self.pk}: {self.patient} / {self.protocol_version}"


class SessionStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    SIGNED_OFF = "signed_off", "Signed off"
    CANCELLED = "cancelled", "Cancelled"
    DID_NOT_ATTEND = "dna", "Did not attend"
    RESCHEDULED = "rescheduled", "Rescheduled"


# Statuses whose session holds its chair and its patient's time.
ACTIVE_STATUSES = (
    SessionStatus.BOOKED,
    SessionStatus.CHECKED_IN,
    SessionStatus.IN_PROGRESS,
    SessionStatus.COMPLETED,
    SessionStatus.SIGNED_OFF,
)


# The longest a session may hold its chair. Booking refuses a session that does not fit inside one
# opening-hours band of one day (sessions/slots.py: slot_problems), so none is longer than the longest
# UK day (25 hours, the autumn clock change); the constraint `session_within_max_duration` holds it in
# the database for any other path (the admin, a script). It is what lets an overlap query bound `start`
# from below: see `overlapping` and docs/performance.md#bounded-overlap.
MAX_SESSION_DURATION = timedelta(hours=25)


class InfusionSessionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def overlapping(self, start, end=None):
        """Sessions whose [start, end) overlaps [start, end) (open-ended when `end` is None).

        The one overlap test of every read (day board, slot finder, booking checks): besides
        `start < end and end > start` it bounds `start` from below by MAX_SESSION_DURATION, which the
        overlap implies, so that the (chair, start), (patient, start) and (start) indexes read only
        the sessions near the period instead of every session before its end."""
        # In UTC: an aware datetime minus a timedelta is wall-clock arithmetic in its own zone, an
        # hour short of the real bound the day after the spring clock change.
        earliest = start.astimezone(UTC) - MAX_SESSION_DURATION
        qs = self.filter(end__gt=start, start__gt=earliest)
        if end is not None:
            qs = qs.filter(start__lt=end)
        return qs

    def occupying(self, *, start, end, chair=None, patient=None):
        """Active sessions that overlap [start, end) on the chair and/or for the patient."""
        qs = self.active().overlapping(start, end)
        if chair is not None:
            qs = qs.filter(chair=chair)
        if patient is not None:
            qs = qs.filter(patient=patient)
        return qs


class InfusionSession(models.Model):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="infusion_sessions"
    )
    referral = models.ForeignKey(
        "patients.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="infusion_sessions"
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    sequence = models.PositiveSmallIntegerField("session number in course", default=1)
    protocol_version = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="infusion_sessions"
    )
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="sessions")
    # The chair is held from start (setup begins) to end (post-infusion observation ends).
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    late_cancellation = models.BooleanField(default=False)
    rescheduled_to = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_from"
    )
    history = HistoricalRecords()

    objects = InfusionSessionQuerySet.as_manager()

    class Meta:
        ordering = ["start", "chair"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="session_start_before_end"
            ),
            # end - start, not start + 25 hours: an interval of timestamps is absolute, whereas adding
            # "1 day 1 hour" to one would depend on the database session's time zone.
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    models.ExpressionWrapper(
                        models.F("end") - models.F("start"), output_field=models.DurationField()
                    ),
                    models.Value(MAX_SESSION_DURATION, output_field=models.DurationField()),
                ),
                name="session_within_max_duration",
                violation_error_message="A session cannot hold its chair for more than 25 hours.",
            ),
        ]
        # Why each index, and what EXPLAIN showed: docs/performance.md#indexes.
        indexes = [
            models.Index(fields=["chair", "start"], name="session_chair_start"),
            models.Index(fields=["patient", "start"], name="session_patient_start"),
            # Reports over a period and the day's sessions at every location (no chair or patient).
            models.Index(fields=["start"], name="session_start"),
            # Queues and cards by status: awaiting sign-off, today's arrivals, reminders due.
            models.Index(fields=["status", "start"], name="session_status_start"),
        ]
        permissions = [
            ("book_session", "Can book, move and cancel sessions"),
            ("checkin_session", "Can check a patient in"),
            ("chart_session", "Can chart vitals, rate changes and adverse events"),
            ("complete_session", "Can complete a session"),
            ("signoff_session", "Can sign off a session record"),
            ("amend_session", "Can amend a signed-off session record"),
        ]

    def __str__(self):
        return f"{self.patient} on {self.chair} at {uk_datetime(self.start)}"

    def get_absolute_url(self):
        return reverse("infusion_sessions:session_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

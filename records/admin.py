"""Admin views of the session record: read-only. Clinical records change only through the services
in records/services.py (which refuse writes on a locked record); the admin shows them and their history."""

from django.contrib import admin

from infusion_clinic.admin_site import ReadOnlyAdmin, ReadOnlyHistoryAdmin

from .models import (
    Addendum,
    AdverseEvent,
    Amendment,
    Escalation,
    InfusionRecord,
    RateChange,
    VitalSigns,
)


@admin.register(InfusionRecord)
class InfusionRecordAdmin(ReadOnlyHistoryAdmin):
    list_display = ("session", "dose_mg", "state", "started_at", "completed_at", "signed_off_at")
    list_filter = ("state",)
    list_select_related = ("session__patient", "session__chair")


@admin.register(VitalSigns)
class VitalSignsAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "session",
        "observed_at",
        "systolic",
        "diastolic",
        "heart_rate",
        "spo2",
        "news2_total",
        "news2_band",
    )
    list_filter = ("news2_band", "alert_level")
    list_select_related = ("session__patient", "session__chair")
    date_hierarchy = "observed_at"


@admin.register(RateChange)
class RateChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ("session", "kind", "changed_at", "rate_ml_per_h", "reason", "changed_by")
    list_select_related = ("session__patient", "session__chair", "changed_by")


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyHistoryAdmin):
    list_display = ("session", "occurred_at", "event_type", "severity", "action_taken", "recorded_by")
    list_filter = ("event_type", "severity")
    list_select_related = ("session__patient", "session__chair", "recorded_by")


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyAdmin):
    list_display = ("session", "field_label", "old_value", "new_value", "amended_by", "amended_at")
    list_select_related = ("session__patient", "session__chair", "amended_by")


@admin.register(Addendum)
class AddendumAdmin(ReadOnlyAdmin):
    list_display = ("session", "added_by", "added_at")
    list_select_related = ("session__patient", "session__chair", "added_by")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("session", "informed_at", "informed", "action", "recorded_by")
    list_filter = ("action",)
    list_select_related = ("session__patient", "session__chair", "recorded_by")

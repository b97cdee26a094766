from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from infusion_clinic.admin_site import ReadOnlyHistoryAdmin

from .models import EligibilityAssessment, Patient, Prescription, Referral, ReferralEvent, WeightRecord


class WeightRecordInline(admin.TabularInline):
    model = WeightRecord
    extra = 0
    fields = ("recorded_on", "weight_kg", "height_cm", "recorded_by")
    raw_id_fields = ("recorded_by",)


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "date_of_birth", "nhs_number", "postcode", "gp_practice_name")
    search_fields = ("first_name", "last_name", "nhs_number")
    list_filter = ("sex", "consent_sms", "consent_email")
    inlines = [WeightRecordInline]


class ReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "at", "by", "note")

    def has_add_permission(self, request, obj=None):
        return False  # the timeline is written by the status services only


@admin.register(Referral)
class ReferralAdmin(SimpleHistoryAdmin):
    list_display = ("patient", "received_on", "condition", "funding_route", "status", "rtt_stopped_on")
    list_filter = ("status", "funding_route", "condition", "source")
    search_fields = ("patient__last_name", "patient__nhs_number", "policy_number")
    list_select_related = ("patient",)
    raw_id_fields = ("patient", "created_by")
    # Status and the RTT stop move only through patients.services, which writes the timeline.
    readonly_fields = ("status", "status_changed_at", "rtt_stopped_on", "rtt_stop_reason")
    inlines = [ReferralEventInline]


@admin.register(EligibilityAssessment)
class EligibilityAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ("patient", "protocol_family", "decision", "assessed_on", "assessed_by")
    list_filter = ("decision", "protocol_family")
    list_select_related = ("patient", "protocol_family", "assessed_by")
    search_fields = ("patient__last_name", "patient__nhs_number")
    raw_id_fields = ("patient", "referral", "assessed_by")


@admin.register(Prescription)
class PrescriptionAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "patient",
        "protocol_version",
        "dose_mg",
        "verdict",
        "prescribed_by",
        "prescribed_at",
        "is_active",
    ]
    list_filter = ["verdict", "is_active", "family"]
    raw_id_fields = ["patient", "referral", "weight_record", "protocol_version"]

"""Admin for follow-up (imported from patients/admin.py)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import DiaryPrompt, OutcomeReview, PainDiaryEntry, ReminderLog, ReminderTemplate


@admin.register(PainDiaryEntry)
class PainDiaryEntryAdmin(SimpleHistoryAdmin):
    list_display = (
        "patient",
        "recorded_at",
        "pain_now",
        "pain_average",
        "pain_worst",
        "source",
        "reviewed_at",
    )
    list_filter = ("source", ("reviewed_at", admin.EmptyFieldListFilter))
    search_fields = ("patient__last_name", "patient__nhs_number")
    raw_id_fields = ("patient", "prompt", "entered_by", "reviewed_by")


@admin.register(DiaryPrompt)
class DiaryPromptAdmin(admin.ModelAdmin):
    list_display = ("patient", "prompted_on", "channel", "status", "created_by")
    list_filter = ("status", "channel")
    raw_id_fields = ("patient", "created_by")
    readonly_fields = ("token",)


@admin.register(OutcomeReview)
class OutcomeReviewAdmin(SimpleHistoryAdmin):
    list_display = ("patient", "course", "offset_days", "due_on", "status", "percent_reduction", "decision")
    list_filter = ("status", "decision", "offset_days")
    search_fields = ("patient__last_name", "patient__nhs_number")
    raw_id_fields = ("patient", "course", "completed_by")


@admin.register(ReminderTemplate)
class ReminderTemplateAdmin(SimpleHistoryAdmin):
    list_display = ("channel", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ("session", "kind", "channel", "status", "attempts", "claimed_at", "sent_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("recipient", "session__patient__last_name")
    raw_id_fields = ("session", "retried_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

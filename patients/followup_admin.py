"""Admin for follow-up (imported from patients/admin.py)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .followup_models import DiaryPrompt, OutcomeReview, PainDiaryEntry


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

"""Admin for reminders (imported from sessions/admin.py). The log is read-only: it is the guard."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .reminder_models import ReminderLog, ReminderTemplate


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

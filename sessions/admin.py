"""Django admin for the scheduling set-up. The clinic's own pages (Chairs & rota) are the way in for
clinic admins; the Django admin is for superusers only (infusion_clinic/admin_site.py)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Chair, Closure, Course, InfusionSession, Location, NurseShift, OpeningHours

MANAGE = "infusion_sessions.manage_chairs"


class ManageChairsAdmin(admin.ModelAdmin):
    def _may(self, request):
        return request.user.has_perm(MANAGE)

    def has_view_permission(self, request, obj=None):
        return self._may(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request)

    def has_delete_permission(self, request, obj=None):
        return self._may(request)

    def has_module_permission(self, request):
        return self._may(request) or super().has_module_permission(request)


class ChairInline(admin.TabularInline):
    model = Chair
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Location)
class LocationAdmin(ManageChairsAdmin):
    list_display = ["name", "is_active"]
    inlines = [ChairInline, OpeningHoursInline]


@admin.register(Chair)
class ChairAdmin(ManageChairsAdmin):
    list_display = ["name", "location", "display_order", "is_active"]
    list_filter = ["location", "is_active"]


@admin.register(OpeningHours)
class OpeningHoursAdmin(ManageChairsAdmin):
    list_display = ["location", "weekday", "opens", "closes"]
    list_filter = ["location"]


@admin.register(Closure)
class ClosureAdmin(ManageChairsAdmin):
    list_display = ["location", "starts_on", "ends_on", "reason"]
    list_filter = ["location"]
    date_hierarchy = "starts_on"


@admin.register(NurseShift)
class NurseShiftAdmin(ManageChairsAdmin):
    list_display = ["location", "date", "starts", "ends", "nurses"]
    list_filter = ["location"]
    date_hierarchy = "date"


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["pk", "patient", "protocol_version", "created_at"]
    raw_id_fields = ["patient", "referral"]


@admin.register(InfusionSession)
class InfusionSessionAdmin(SimpleHistoryAdmin):
    list_display = ["start", "patient", "chair", "protocol_version", "status"]
    list_filter = ["status", "chair__location"]
    date_hierarchy = "start"
    raw_id_fields = ["patient", "referral", "course", "rescheduled_to"]
    list_select_related = ["patient", "chair", "protocol_version"]

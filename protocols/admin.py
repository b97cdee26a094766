from django.contrib import admin

from infusion_clinic.admin_site import ReadOnlyHistoryAdmin

from .models import Protocol, ProtocolFamily, ProtocolVersion


@admin.register(ProtocolFamily)
class ProtocolFamilyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "nurse_ratio", "display_order"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "family", "slug", "is_active"]
    list_filter = ["family", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ReadOnlyHistoryAdmin):
    """Read-only: a version is never edited. New versions and verification happen on the clinic pages."""

    list_display = ["name", "protocol", "version", "dose_basis", "is_current", "is_example", "verified_at"]
    list_filter = ["protocol__family", "is_current", "is_example"]
    search_fields = ["name", "drug"]

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .forms import PriceListForm
from .models import Commissioner, Insurer, Invoice, InvoiceLine, Package, PreAuthorisation, PriceList


@admin.register(Commissioner)
class CommissionerAdmin(admin.ModelAdmin):
    list_display = ["name", "ods_code", "is_active"]
    search_fields = ["name", "ods_code"]


@admin.register(Insurer)
class InsurerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "is_active"]
    search_fields = ["name"]


@admin.register(PriceList)
class PriceListAdmin(SimpleHistoryAdmin):
    list_display = PriceListForm.Meta.fields
    list_filter = ["protocol_family", "funding_route"]


@admin.register(Package)
class PackageAdmin(SimpleHistoryAdmin):
    list_display = ["name", "protocol_family", "funding_route", "sessions_included", "price", "is_active"]


@admin.register(PreAuthorisation)
class PreAuthorisationAdmin(SimpleHistoryAdmin):
    list_display = ["preauth_number", "insurer", "patient", "sessions_authorised", "valid_from", "valid_to"]
    search_fields = ["preauth_number", "policy_number", "patient__last_name"]
    raw_id_fields = ["referral", "patient"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "description",
        "service_date",
        "quantity",
        "unit_price",
        "amount",
        "session",
        "price_list",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(SimpleHistoryAdmin):
    """Read-only here: invoices change only through the billing services (numbering, credit notes)."""

    list_display = ["__str__", "patient", "funding_route", "status", "total", "issued_on"]
    list_filter = ["status", "kind", "funding_route"]
    search_fields = ["number", "patient__last_name"]
    inlines = [InvoiceLineInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

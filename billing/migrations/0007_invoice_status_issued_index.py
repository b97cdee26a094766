"""invoice_status_issued (status, issued_on): the invoice list filtered by status and the unpaid
invoices by their issue date (docs/performance.md#indexes). CREATE INDEX CONCURRENTLY on PostgreSQL,
plain elsewhere (infusion_clinic/migration_operations.py); hence atomic = False."""

from django.db import migrations, models

from infusion_clinic.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("billing", "0006_invoice_status_checks_and_issued_lines_trigger"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="invoice",
            index=models.Index(fields=["status", "issued_on"], name="invoice_status_issued"),
        ),
    ]

"""Indexes for the patient search box and the booking page's patient picker (docs/performance.md#indexes).

`search_patients` (patients/selectors.py) finds a patient by a date of birth (`date_of_birth = ...`) or by
the first digits of an NHS number (`nhs_number LIKE '943%'`); names use the trigram indexes of 0003.

- patient_date_of_birth: an equality on the date. Measured on 20,000 patients: a sequential scan of the
  table (0.96 ms) became an index scan (0.03 ms).
- patient_nhs_prefix (varchar_pattern_ops): under a linguistic collation (en-GB, as a managed
  PostgreSQL usually has) a btree index cannot serve LIKE 'prefix%', so the unique NHS number index
  does not help and every row is read; with the pattern operator class the planner uses a bitmap
  index scan (0.21 ms to 0.05 ms on 20,000; a prefix nobody has no longer reads the whole table).

CREATE INDEX CONCURRENTLY on PostgreSQL (infusion_clinic/migration_operations.py), hence atomic = False;
on SQLite a plain index, and the operator class is ignored.
"""

from django.db import migrations, models

from infusion_clinic.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("patients", "0010_prescriptions_moved_from_protocols"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="patient",
            index=models.Index(fields=["date_of_birth"], name="patient_date_of_birth"),
        ),
        AddIndexConcurrently(
            model_name="patient",
            index=models.Index(fields=["nhs_number"], name="patient_nhs_prefix", opclasses=["varchar_pattern_ops"]),
        ),
    ]

"""Indexes for the reads that filter sessions by time or status (docs/performance.md#indexes).

- session_start (start): the reports over a period (utilisation, attendance, adverse events, NHS
  activity) and the day's sessions across every location (dashboard cards, reminders due) filter on
  `start` alone; the (chair, start) and (patient, start) indexes cannot serve them. On 98,568
  sessions (12 chairs, 10 years) the utilisation report's one-year query went from a sequential scan
  of every session to an index range scan of the year's 8,780.
- session_status_start (status, start): the queues and cards that filter by status first: records
  awaiting sign-off (status = completed), today's arrivals (booked, today), the nurses' in-progress
  card (checked in / in progress, today), reminders due (booked, the next 48 hours). EXPLAIN: an
  index scan of the matching rows instead of a sequential scan.

CREATE INDEX CONCURRENTLY on PostgreSQL (no write lock while a clinic's years of sessions are
indexed); a plain index elsewhere (infusion_clinic/migration_operations.py). Hence atomic = False.
"""

from django.db import migrations, models

from infusion_clinic.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("infusion_sessions", "0016_session_max_duration_check"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="infusionsession",
            index=models.Index(fields=["start"], name="session_start"),
        ),
        AddIndexConcurrently(
            model_name="infusionsession",
            index=models.Index(fields=["status", "start"], name="session_status_start"),
        ),
    ]

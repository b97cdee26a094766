"""Indexes for the follow-up queues (docs/performance.md#indexes).

- outcome_status_due (status, due_on): the outcome review queue, reviews due by a date, overdue
  first (`followup.outcomes.reviews_due`), and the specialists' card (due, overdue or this week).
- outcome_status_completed (status, completed_at): the queue's recently completed reviews (newest
  20) and the outcomes report (completed in a period). On 20,000 reviews EXPLAIN showed a sequential
  scan and a sort of all 18,928 completed reviews to keep 20; with the index, a backward index scan
  that stops at 20.
- diary_unreviewed_recorded (patient, recorded_at) WHERE reviewed_at IS NULL: replaces
  diary_unreviewed (patient only). The diary review queue and the specialists' card read only the
  unreviewed entries, per patient and oldest first; the index holds just those rows (1% of 128,000
  entries in the scale dataset) with their times, so neither scans the reviewed history.

CREATE / DROP INDEX CONCURRENTLY on PostgreSQL, plain elsewhere
(infusion_clinic/migration_operations.py); hence atomic = False. The new diary index is built
before the old one is dropped, so the queue is never without one.
"""

from django.db import migrations, models

from infusion_clinic.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("followup", "0002_diary_link_message"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="outcomereview",
            index=models.Index(fields=["status", "due_on"], name="outcome_status_due"),
        ),
        AddIndexConcurrently(
            model_name="outcomereview",
            index=models.Index(fields=["status", "completed_at"], name="outcome_status_completed"),
        ),
        AddIndexConcurrently(
            model_name="paindiaryentry",
            index=models.Index(
                condition=models.Q(("reviewed_at__isnull", True)),
                fields=["patient", "recorded_at"],
                name="diary_unreviewed_recorded",
            ),
        ),
        RemoveIndexConcurrently(
            model_name="paindiaryentry",
            name="diary_unreviewed",
        ),
    ]

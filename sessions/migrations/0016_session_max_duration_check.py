"""A session holds its chair for at most 25 hours (the longest UK day), in the database too.

Booking already refuses a session that does not fit inside one opening-hours band of one day; the
constraint holds it for every other path (the admin, a script), because the overlap queries bound
`start` from below by this duration (sessions/models.py: MAX_SESSION_DURATION,
docs/performance.md#bounded-overlap). Written as `end - start <= 25 hours`: the difference of two
timestamps is absolute, whereas `start + interval '1 day 1 hour'` would depend on the database
session's time zone. Checking the existing rows is one pass over the table.
"""

import datetime

import django.db.models.expressions
import django.db.models.lookups
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("infusion_sessions", "0015_reminders_move_to_followup"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="infusionsession",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    models.ExpressionWrapper(
                        django.db.models.expressions.CombinedExpression(models.F("end"), "-", models.F("start")),
                        output_field=models.DurationField(),
                    ),
                    models.Value(datetime.timedelta(days=1, seconds=3600), output_field=models.DurationField()),
                ),
                name="session_within_max_duration",
                violation_error_message="A session cannot hold its chair for more than 25 hours.",
            ),
        ),
    ]

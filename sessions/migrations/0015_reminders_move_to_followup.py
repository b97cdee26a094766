
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('infusion_sessions', '0014_session_record_moves_to_records'),
    ]

    operations = [
        # Reminders move to the followup app: their tables stay (db_table), only the state moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='reminderlog',
                    name='retried_by',
                ),
                migrations.RemoveField(
                    model_name='reminderlog',
                    name='session',
                ),
                migrations.RemoveField(
                    model_name='remindertemplate',
                    name='updated_by',
                ),
                migrations.DeleteModel(
                    name='HistoricalReminderTemplate',
                ),
                migrations.DeleteModel(
                    name='ReminderLog',
                ),
                migrations.DeleteModel(
                    name='ReminderTemplate',
                ),
            ],
            database_operations=[],
        ),
    ]


from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0007_diary_link_revocation_and_one_entry_a_day'),
    ]

    operations = [
        # Pain diaries and outcome reviews move to the followup app: tables stay, only the state moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='paindiaryentry',
                    name='prompt',
                ),
                migrations.RemoveField(
                    model_name='historicalpaindiaryentry',
                    name='prompt',
                ),
                migrations.RemoveField(
                    model_name='historicaloutcomereview',
                    name='completed_by',
                ),
                migrations.RemoveField(
                    model_name='historicaloutcomereview',
                    name='course',
                ),
                migrations.RemoveField(
                    model_name='historicaloutcomereview',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicaloutcomereview',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='historicalpaindiaryentry',
                    name='entered_by',
                ),
                migrations.RemoveField(
                    model_name='historicalpaindiaryentry',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalpaindiaryentry',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='historicalpaindiaryentry',
                    name='reviewed_by',
                ),
                migrations.RemoveField(
                    model_name='outcomereview',
                    name='completed_by',
                ),
                migrations.RemoveField(
                    model_name='outcomereview',
                    name='course',
                ),
                migrations.RemoveField(
                    model_name='outcomereview',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='paindiaryentry',
                    name='entered_by',
                ),
                migrations.RemoveField(
                    model_name='paindiaryentry',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='paindiaryentry',
                    name='reviewed_by',
                ),
                migrations.DeleteModel(
                    name='DiaryPrompt',
                ),
                migrations.DeleteModel(
                    name='HistoricalOutcomeReview',
                ),
                migrations.DeleteModel(
                    name='HistoricalPainDiaryEntry',
                ),
                migrations.DeleteModel(
                    name='OutcomeReview',
                ),
                migrations.DeleteModel(
                    name='PainDiaryEntry',
                ),
            ],
            database_operations=[],
        ),
    ]

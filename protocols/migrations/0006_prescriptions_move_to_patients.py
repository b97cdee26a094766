"""Prescriptions move to the patients app (patients/0010): their tables stay, only the state moves."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('protocols', '0005_alert_observation_interval'),
    ]

    operations = [
        # The prescription and its history leave the protocols app's state; the tables stay (db_table).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='prescription',
                    name='family',
                ),
                migrations.RemoveField(
                    model_name='prescription',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='prescription',
                    name='prescribed_by',
                ),
                migrations.RemoveField(
                    model_name='prescription',
                    name='protocol_version',
                ),
                migrations.RemoveField(
                    model_name='prescription',
                    name='referral',
                ),
                migrations.RemoveField(
                    model_name='prescription',
                    name='weight_record',
                ),
                migrations.DeleteModel(
                    name='HistoricalPrescription',
                ),
                migrations.DeleteModel(
                    name='Prescription',
                ),
            ],
            database_operations=[],
        ),
        # The permission to prescribe moves with the prescriptions (the same row; patients/0010 moves it).
        migrations.AlterModelOptions(
            name='protocolfamily',
            options={'ordering': ['display_order', 'name'], 'permissions': [('manage_protocols', 'Can edit the protocol library and mark versions verified')], 'verbose_name_plural': 'protocol families'},
        ),
    ]

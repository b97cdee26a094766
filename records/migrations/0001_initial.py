"""The session record, moved here from the sessions app with its tables, data, permissions and history."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


MOVED = [
    "infusionrecord",
    "historicalinfusionrecord",
    "ratechange",
    "historicalratechange",
    "vitalsigns",
    "historicalvitalsigns",
    "adverseevent",
    "historicaladverseevent",
    "amendment",
    "addendum",
    "escalation",
    "historicalescalation",
]


def _move(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types(apps, schema_editor):
    _move(apps, "infusion_sessions", "records")


def move_content_types_back(apps, schema_editor):
    _move(apps, "records", "infusion_sessions")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('infusion_sessions', '0014_session_record_moves_to_records'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist (created by infusion_sessions' migrations): only the model state is created.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AdverseEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('occurred_at', models.DateTimeField(verbose_name='time')),
                        ('event_type', models.CharField(choices=[('perioral_tingling', 'Perioral tingling'), ('dizziness', 'Dizziness'), ('hallucinations', 'Hallucinations'), ('nausea', 'Nausea'), ('hypotension', 'Hypotension'), ('hypertension', 'Hypertension'), ('arrhythmia', 'Arrhythmia'), ('allergic_reaction', 'Allergic reaction'), ('other', 'Other')], max_length=20, verbose_name='event')),
                        ('other_text', models.CharField(blank=True, max_length=200, verbose_name='describe the event')),
                        ('severity', models.CharField(choices=[('mild', 'Mild'), ('moderate', 'Moderate'), ('severe', 'Severe')], max_length=10)),
                        ('action_taken', models.CharField(choices=[('rate_reduced', 'Rate reduced'), ('paused', 'Infusion paused'), ('stopped', 'Infusion stopped'), ('medication_given', 'Medication given'), ('none', 'None')], max_length=20)),
                        ('notes', models.TextField(blank=True, help_text='Medication given, who was told, outcome.')),
                        ('recorded_at', models.DateTimeField(auto_now_add=True)),
                        ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='adverse_events', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'db_table': 'infusion_sessions_adverseevent',
                        'ordering': ['occurred_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalAdverseEvent',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('occurred_at', models.DateTimeField(verbose_name='time')),
                        ('event_type', models.CharField(choices=[('perioral_tingling', 'Perioral tingling'), ('dizziness', 'Dizziness'), ('hallucinations', 'Hallucinations'), ('nausea', 'Nausea'), ('hypotension', 'Hypotension'), ('hypertension', 'Hypertension'), ('arrhythmia', 'Arrhythmia'), ('allergic_reaction', 'Allergic reaction'), ('other', 'Other')], max_length=20, verbose_name='event')),
                        ('other_text', models.CharField(blank=True, max_length=200, verbose_name='describe the event')),
                        ('severity', models.CharField(choices=[('mild', 'Mild'), ('moderate', 'Moderate'), ('severe', 'Severe')], max_length=10)),
                        ('action_taken', models.CharField(choices=[('rate_reduced', 'Rate reduced'), ('paused', 'Infusion paused'), ('stopped', 'Infusion stopped'), ('medication_given', 'Medication given'), ('none', 'None')], max_length=20)),
                        ('notes', models.TextField(blank=True, help_text='Medication given, who was told, outcome.')),
                        ('recorded_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'verbose_name': 'historical adverse event',
                        'verbose_name_plural': 'historical adverse events',
                        'db_table': 'infusion_sessions_historicaladverseevent',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalInfusionRecord',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('weight_kg', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, verbose_name='weight used (kg)')),
                        ('basis_dose', models.DecimalField(blank=True, decimal_places=3, max_digits=8, null=True, verbose_name='prescribed dose')),
                        ('basis_unit', models.CharField(blank=True, help_text='mg/kg, mg/kg/h or mg', max_length=10)),
                        ('dose_mg', models.DecimalField(decimal_places=2, max_digits=9, verbose_name='dose (mg)')),
                        ('volume_ml', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='final volume (mL)')),
                        ('drug_volume_ml', models.DecimalField(blank=True, decimal_places=1, max_digits=7, null=True, verbose_name='drug volume drawn up (mL)')),
                        ('rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='starting rate (mL/h)')),
                        ('duration_minutes', models.PositiveIntegerField(verbose_name='planned duration (min)')),
                        ('dose_verdict', models.CharField(choices=[('ok', 'Within limits'), ('soft', 'Above the soft limit (reason recorded)')], default='ok', max_length=10)),
                        ('dose_reason', models.TextField(blank=True, verbose_name='reason for a dose above the soft limit')),
                        ('dose_messages', models.JSONField(blank=True, default=list)),
                        ('started_at', models.DateTimeField()),
                        ('state', models.CharField(choices=[('running', 'Running'), ('paused', 'Paused'), ('stopped', 'Stopped')], default='running', max_length=10)),
                        ('current_rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='current rate (mL/h)')),
                        ('stopped_at', models.DateTimeField(blank=True, null=True)),
                        ('stop_reason', models.CharField(blank=True, max_length=200)),
                        ('pump_volume_ml', models.DecimalField(blank=True, decimal_places=1, help_text='As the pump shows it at the stop; compared with the volume the record computes.', max_digits=7, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='volume infused by the pump (mL)')),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('completion_note', models.TextField(blank=True)),
                        ('signed_off_at', models.DateTimeField(blank=True, null=True)),
                        ('signoff_note', models.TextField(blank=True, verbose_name='sign-off note')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('completed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='infusion_sessions.infusionsession')),
                        ('signed_off_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('started_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical infusion record',
                        'verbose_name_plural': 'historical infusion records',
                        'db_table': 'infusion_sessions_historicalinfusionrecord',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalRateChange',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('start', 'Started'), ('rate', 'Rate changed'), ('pause', 'Paused'), ('resume', 'Resumed'), ('stop', 'Stopped')], default='rate', max_length=10)),
                        ('changed_at', models.DateTimeField(verbose_name='time')),
                        ('rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, validators=[django.core.validators.MinValueValidator(0)], verbose_name='rate (mL/h)')),
                        ('reason', models.CharField(blank=True, max_length=200)),
                        ('above_soft_limit', models.BooleanField(default=False, verbose_name='above the soft limit')),
                        ('soft_limit_reason', models.CharField(blank=True, max_length=200, verbose_name='reason for a rate above the soft limit')),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('changed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'verbose_name': 'historical rate change',
                        'verbose_name_plural': 'historical rate changes',
                        'db_table': 'infusion_sessions_historicalratechange',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalVitalSigns',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('observed_at', models.DateTimeField(verbose_name='time')),
                        ('systolic', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(40), django.core.validators.MaxValueValidator(300)], verbose_name='systolic BP (mmHg)')),
                        ('diastolic', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(200)], verbose_name='diastolic BP (mmHg)')),
                        ('heart_rate', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='heart rate (/min)')),
                        ('respiratory_rate', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(3), django.core.validators.MaxValueValidator(70)], verbose_name='respiratory rate (/min)')),
                        ('spo2', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(50), django.core.validators.MaxValueValidator(100)], verbose_name='SpO2 (%)')),
                        ('spo2_scale2', models.BooleanField(default=False, editable=False, verbose_name='SpO2 scale 2')),
                        ('on_oxygen', models.BooleanField(default=False, verbose_name='on oxygen')),
                        ('temperature', models.DecimalField(decimal_places=1, max_digits=3, validators=[django.core.validators.MinValueValidator(Decimal('30.0')), django.core.validators.MaxValueValidator(Decimal('45.0'))], verbose_name='temperature (°C)')),
                        ('acvpu', models.CharField(choices=[('A', 'Alert'), ('C', 'New confusion'), ('V', 'Responds to voice'), ('P', 'Responds to pain'), ('U', 'Unresponsive')], default='A', max_length=1, verbose_name='ACVPU')),
                        ('sedation', models.CharField(choices=[('S', 'S - asleep, easily roused'), ('1', '1 - awake and alert'), ('2', '2 - slightly drowsy, easily roused'), ('3', '3 - frequently drowsy, drifts off'), ('4', '4 - somnolent, minimal or no response')], default='1', max_length=1, verbose_name='sedation (POSS)')),
                        ('pain', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)], verbose_name='pain (0-10)')),
                        ('news2_total', models.PositiveSmallIntegerField(default=0, editable=False, verbose_name='NEWS2')),
                        ('news2_respiration', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_spo2', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_air_or_oxygen', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_systolic', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_pulse', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_consciousness', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_temperature', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_band', models.CharField(choices=[('low', 'Low'), ('low_medium', 'Low-medium'), ('medium', 'Medium'), ('high', 'High')], default='low', editable=False, max_length=12)),
                        ('alert_level', models.PositiveSmallIntegerField(choices=[(0, 'None'), (1, 'Alert'), (2, 'Urgent')], default=0, editable=False)),
                        ('recorded_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'verbose_name': 'historical vital signs',
                        'verbose_name_plural': 'historical vital signs',
                        'db_table': 'infusion_sessions_historicalvitalsigns',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='InfusionRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('weight_kg', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, verbose_name='weight used (kg)')),
                        ('basis_dose', models.DecimalField(blank=True, decimal_places=3, max_digits=8, null=True, verbose_name='prescribed dose')),
                        ('basis_unit', models.CharField(blank=True, help_text='mg/kg, mg/kg/h or mg', max_length=10)),
                        ('dose_mg', models.DecimalField(decimal_places=2, max_digits=9, verbose_name='dose (mg)')),
                        ('volume_ml', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='final volume (mL)')),
                        ('drug_volume_ml', models.DecimalField(blank=True, decimal_places=1, max_digits=7, null=True, verbose_name='drug volume drawn up (mL)')),
                        ('rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='starting rate (mL/h)')),
                        ('duration_minutes', models.PositiveIntegerField(verbose_name='planned duration (min)')),
                        ('dose_verdict', models.CharField(choices=[('ok', 'Within limits'), ('soft', 'Above the soft limit (reason recorded)')], default='ok', max_length=10)),
                        ('dose_reason', models.TextField(blank=True, verbose_name='reason for a dose above the soft limit')),
                        ('dose_messages', models.JSONField(blank=True, default=list)),
                        ('started_at', models.DateTimeField()),
                        ('state', models.CharField(choices=[('running', 'Running'), ('paused', 'Paused'), ('stopped', 'Stopped')], default='running', max_length=10)),
                        ('current_rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='current rate (mL/h)')),
                        ('stopped_at', models.DateTimeField(blank=True, null=True)),
                        ('stop_reason', models.CharField(blank=True, max_length=200)),
                        ('pump_volume_ml', models.DecimalField(blank=True, decimal_places=1, help_text='As the pump shows it at the stop; compared with the volume the record computes.', max_digits=7, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='volume infused by the pump (mL)')),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('completion_note', models.TextField(blank=True)),
                        ('signed_off_at', models.DateTimeField(blank=True, null=True)),
                        ('signoff_note', models.TextField(blank=True, verbose_name='sign-off note')),
                        ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='record', to='infusion_sessions.infusionsession')),
                        ('signed_off_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('started_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'infusion_sessions_infusionrecord',
                    },
                ),
                migrations.CreateModel(
                    name='RateChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('start', 'Started'), ('rate', 'Rate changed'), ('pause', 'Paused'), ('resume', 'Resumed'), ('stop', 'Stopped')], default='rate', max_length=10)),
                        ('changed_at', models.DateTimeField(verbose_name='time')),
                        ('rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, validators=[django.core.validators.MinValueValidator(0)], verbose_name='rate (mL/h)')),
                        ('reason', models.CharField(blank=True, max_length=200)),
                        ('above_soft_limit', models.BooleanField(default=False, verbose_name='above the soft limit')),
                        ('soft_limit_reason', models.CharField(blank=True, max_length=200, verbose_name='reason for a rate above the soft limit')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('changed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rate_changes', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'db_table': 'infusion_sessions_ratechange',
                        'ordering': ['changed_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='VitalSigns',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('observed_at', models.DateTimeField(verbose_name='time')),
                        ('systolic', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(40), django.core.validators.MaxValueValidator(300)], verbose_name='systolic BP (mmHg)')),
                        ('diastolic', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(200)], verbose_name='diastolic BP (mmHg)')),
                        ('heart_rate', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(250)], verbose_name='heart rate (/min)')),
                        ('respiratory_rate', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(3), django.core.validators.MaxValueValidator(70)], verbose_name='respiratory rate (/min)')),
                        ('spo2', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(50), django.core.validators.MaxValueValidator(100)], verbose_name='SpO2 (%)')),
                        ('spo2_scale2', models.BooleanField(default=False, editable=False, verbose_name='SpO2 scale 2')),
                        ('on_oxygen', models.BooleanField(default=False, verbose_name='on oxygen')),
                        ('temperature', models.DecimalField(decimal_places=1, max_digits=3, validators=[django.core.validators.MinValueValidator(Decimal('30.0')), django.core.validators.MaxValueValidator(Decimal('45.0'))], verbose_name='temperature (°C)')),
                        ('acvpu', models.CharField(choices=[('A', 'Alert'), ('C', 'New confusion'), ('V', 'Responds to voice'), ('P', 'Responds to pain'), ('U', 'Unresponsive')], default='A', max_length=1, verbose_name='ACVPU')),
                        ('sedation', models.CharField(choices=[('S', 'S - asleep, easily roused'), ('1', '1 - awake and alert'), ('2', '2 - slightly drowsy, easily roused'), ('3', '3 - frequently drowsy, drifts off'), ('4', '4 - somnolent, minimal or no response')], default='1', max_length=1, verbose_name='sedation (POSS)')),
                        ('pain', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)], verbose_name='pain (0-10)')),
                        ('news2_total', models.PositiveSmallIntegerField(default=0, editable=False, verbose_name='NEWS2')),
                        ('news2_respiration', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_spo2', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_air_or_oxygen', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_systolic', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_pulse', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_consciousness', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_temperature', models.PositiveSmallIntegerField(default=0, editable=False)),
                        ('news2_band', models.CharField(choices=[('low', 'Low'), ('low_medium', 'Low-medium'), ('medium', 'Medium'), ('high', 'High')], default='low', editable=False, max_length=12)),
                        ('alert_level', models.PositiveSmallIntegerField(choices=[(0, 'None'), (1, 'Alert'), (2, 'Urgent')], default=0, editable=False)),
                        ('recorded_at', models.DateTimeField(auto_now_add=True)),
                        ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='vital_signs', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'verbose_name': 'vital signs',
                        'verbose_name_plural': 'vital signs',
                        'db_table': 'infusion_sessions_vitalsigns',
                        'ordering': ['observed_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalEscalation',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('informed', models.CharField(error_messages={'blank': 'Say who was informed (name and role).'}, max_length=120, verbose_name='who was informed')),
                        ('informed_at', models.DateTimeField(error_messages={'null': 'Enter the time.'}, verbose_name='informed at')),
                        ('action', models.CharField(choices=[('rate_reduced', 'Rate reduced'), ('paused', 'Infusion paused'), ('stopped', 'Infusion stopped'), ('doctor_review', 'Doctor review'), ('emergency_team', 'Emergency team called')], error_messages={'blank': 'Choose the action taken.'}, max_length=20)),
                        ('outcome', models.TextField(error_messages={'blank': 'Record the outcome.'}, max_length=1000)),
                        ('recorded_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='infusion_sessions.infusionsession')),
                        ('vital_signs', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.vitalsigns', verbose_name='alert')),
                    ],
                    options={
                        'verbose_name': 'historical escalation',
                        'verbose_name_plural': 'historical escalations',
                        'db_table': 'infusion_sessions_historicalescalation',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Escalation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('informed', models.CharField(error_messages={'blank': 'Say who was informed (name and role).'}, max_length=120, verbose_name='who was informed')),
                        ('informed_at', models.DateTimeField(error_messages={'null': 'Enter the time.'}, verbose_name='informed at')),
                        ('action', models.CharField(choices=[('rate_reduced', 'Rate reduced'), ('paused', 'Infusion paused'), ('stopped', 'Infusion stopped'), ('doctor_review', 'Doctor review'), ('emergency_team', 'Emergency team called')], error_messages={'blank': 'Choose the action taken.'}, max_length=20)),
                        ('outcome', models.TextField(error_messages={'blank': 'Record the outcome.'}, max_length=1000)),
                        ('recorded_at', models.DateTimeField(auto_now_add=True)),
                        ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='escalations', to='infusion_sessions.infusionsession')),
                        ('vital_signs', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='escalations', to='records.vitalsigns', verbose_name='alert')),
                    ],
                    options={
                        'db_table': 'infusion_sessions_escalation',
                        'ordering': ['informed_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Amendment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('field_name', models.CharField(max_length=40)),
                        ('field_label', models.CharField(max_length=80)),
                        ('old_value', models.TextField()),
                        ('new_value', models.TextField()),
                        ('reason', models.TextField()),
                        ('amended_at', models.DateTimeField(auto_now_add=True)),
                        ('adverse_event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='amendments', to='records.adverseevent')),
                        ('amended_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='amendments', to='infusion_sessions.infusionsession')),
                        ('rate_change', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='amendments', to='records.ratechange')),
                        ('vital_signs', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='amendments', to='records.vitalsigns')),
                    ],
                    options={
                        'db_table': 'infusion_sessions_amendment',
                        'ordering': ['amended_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Addendum',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('text', models.TextField(max_length=2000)),
                        ('added_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='addenda', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'verbose_name_plural': 'addenda',
                        'db_table': 'infusion_sessions_addendum',
                        'ordering': ['added_at', 'id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('text', ''), _negated=True), name='addendum_text_required')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='adverseevent',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('event_type', 'other'), _negated=True), models.Q(('other_text', ''), _negated=True), _connector='OR'), name='adverseevent_other_needs_text'),
                ),
                migrations.AddConstraint(
                    model_name='adverseevent',
                    constraint=models.CheckConstraint(condition=models.Q(('event_type__in', ['perioral_tingling', 'dizziness', 'hallucinations', 'nausea', 'hypotension', 'hypertension', 'arrhythmia', 'allergic_reaction', 'other'])), name='adverseevent_type_valid'),
                ),
                migrations.AddConstraint(
                    model_name='adverseevent',
                    constraint=models.CheckConstraint(condition=models.Q(('severity__in', ['mild', 'moderate', 'severe'])), name='adverseevent_severity_valid'),
                ),
                migrations.AddConstraint(
                    model_name='adverseevent',
                    constraint=models.CheckConstraint(condition=models.Q(('action_taken__in', ['rate_reduced', 'paused', 'stopped', 'medication_given', 'none'])), name='adverseevent_action_valid'),
                ),
                migrations.AddConstraint(
                    model_name='infusionrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('state__in', ['running', 'paused', 'stopped'])), name='infusionrecord_state_valid'),
                ),
                migrations.AddConstraint(
                    model_name='infusionrecord',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('dose_verdict', 'soft'), _negated=True), models.Q(('dose_reason', ''), _negated=True), _connector='OR'), name='record_soft_dose_needs_reason'),
                ),
                migrations.AddConstraint(
                    model_name='infusionrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('dose_mg__gt', 0)), name='record_dose_positive'),
                ),
                migrations.AddConstraint(
                    model_name='infusionrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('rate_ml_per_h__gt', 0), ('current_rate_ml_per_h__gte', 0)), name='record_rates_not_negative'),
                ),
                migrations.AddConstraint(
                    model_name='infusionrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('stopped_at__isnull', True), ('stopped_at__gte', models.F('started_at')), _connector='OR'), name='record_stop_after_start'),
                ),
                migrations.AddConstraint(
                    model_name='infusionrecord',
                    constraint=models.CheckConstraint(condition=models.Q(('signed_off_at__isnull', True), ('completed_at__isnull', False), _connector='OR'), name='record_signoff_after_completion'),
                ),
                migrations.AddIndex(
                    model_name='ratechange',
                    index=models.Index(fields=['session', 'changed_at'], name='ratechange_session_time'),
                ),
                migrations.AddConstraint(
                    model_name='ratechange',
                    constraint=models.CheckConstraint(condition=models.Q(('rate_ml_per_h__gte', 0)), name='ratechange_rate_not_negative'),
                ),
                migrations.AddConstraint(
                    model_name='ratechange',
                    constraint=models.CheckConstraint(condition=models.Q(('above_soft_limit', False), models.Q(('soft_limit_reason', ''), _negated=True), _connector='OR'), name='ratechange_soft_limit_needs_reason'),
                ),
                migrations.AddConstraint(
                    model_name='ratechange',
                    constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['start', 'resume']), models.Q(('reason', ''), _negated=True), _connector='OR'), name='ratechange_reason_required'),
                ),
                migrations.AddIndex(
                    model_name='vitalsigns',
                    index=models.Index(fields=['session', 'observed_at'], name='vitals_session_time'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('systolic__gte', 40), ('systolic__lte', 300)), name='vitals_systolic_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('diastolic__gte', 20), ('diastolic__lte', 200)), name='vitals_diastolic_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('heart_rate__gte', 20), ('heart_rate__lte', 250)), name='vitals_heart_rate_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('respiratory_rate__gte', 3), ('respiratory_rate__lte', 70)), name='vitals_respiratory_rate_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('spo2__gte', 50), ('spo2__lte', 100)), name='vitals_spo2_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('temperature__gte', Decimal('30.0')), ('temperature__lte', Decimal('45.0'))), name='vitals_temperature_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('pain__gte', 0), ('pain__lte', 10)), name='vitals_pain_in_range'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('diastolic__lt', models.F('systolic'))), name='vitals_diastolic_below_systolic'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('acvpu__in', ['A', 'C', 'V', 'P', 'U'])), name='vitals_acvpu_valid'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('sedation__in', ['S', '1', '2', '3', '4'])), name='vitals_sedation_valid'),
                ),
                migrations.AddConstraint(
                    model_name='vitalsigns',
                    constraint=models.CheckConstraint(condition=models.Q(('news2_total__lte', 20)), name='vitals_news2_total_in_range'),
                ),
                migrations.AddIndex(
                    model_name='escalation',
                    index=models.Index(fields=['session', 'informed_at'], name='escalation_session_time'),
                ),
                migrations.AddConstraint(
                    model_name='escalation',
                    constraint=models.CheckConstraint(condition=models.Q(('action__in', ['rate_reduced', 'paused', 'stopped', 'doctor_review', 'emergency_team'])), name='escalation_action_valid'),
                ),
                migrations.AddConstraint(
                    model_name='escalation',
                    constraint=models.CheckConstraint(condition=models.Q(('informed', ''), _negated=True), name='escalation_informed_required'),
                ),
                migrations.AddConstraint(
                    model_name='escalation',
                    constraint=models.CheckConstraint(condition=models.Q(('outcome', ''), _negated=True), name='escalation_outcome_required'),
                ),
                migrations.AddConstraint(
                    model_name='amendment',
                    constraint=models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='amendment_reason_required'),
                ),
                migrations.AddConstraint(
                    model_name='amendment',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('adverse_event__isnull', True), ('rate_change__isnull', True), ('vital_signs__isnull', False)), models.Q(('adverse_event__isnull', False), ('rate_change__isnull', True), ('vital_signs__isnull', True)), models.Q(('adverse_event__isnull', True), ('rate_change__isnull', False), ('vital_signs__isnull', True)), _connector='OR'), name='amendment_one_target'),
                ),
            ],
            database_operations=[],
        ),
        # The triggers are installed again under this app's label (see infusion_sessions/0012).
        pgtrigger.migrations.AddTrigger(
            model_name='adverseevent',
            trigger=pgtrigger.compiler.Trigger(name='locked_record_read_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n            IF EXISTS (\n                SELECT 1 FROM infusion_sessions_infusionsession s\n                WHERE s.id = OLD.session_id AND s.status IN ('completed', 'signed_off')\n            ) THEN\n                RAISE EXCEPTION 'The record of session % is locked: % rows change only by an amendment.',\n                    OLD.session_id, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';\n            END IF;\n            RETURN COALESCE(NEW, OLD);\n        ", hash='00f43cd76882deab9ccfe2dd5c46bb1509927675', operation='UPDATE OR DELETE', pgid='pgtrigger_locked_record_read_only_eda27', table='infusion_sessions_adverseevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ratechange',
            trigger=pgtrigger.compiler.Trigger(name='locked_record_read_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n            IF EXISTS (\n                SELECT 1 FROM infusion_sessions_infusionsession s\n                WHERE s.id = OLD.session_id AND s.status IN ('completed', 'signed_off')\n            ) THEN\n                RAISE EXCEPTION 'The record of session % is locked: % rows change only by an amendment.',\n                    OLD.session_id, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';\n            END IF;\n            RETURN COALESCE(NEW, OLD);\n        ", hash='1d71dd0efda658a07017853ad0b7b1c7daa4b500', operation='UPDATE OR DELETE', pgid='pgtrigger_locked_record_read_only_6452b', table='infusion_sessions_ratechange', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='vitalsigns',
            trigger=pgtrigger.compiler.Trigger(name='locked_record_read_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="\n            IF EXISTS (\n                SELECT 1 FROM infusion_sessions_infusionsession s\n                WHERE s.id = OLD.session_id AND s.status IN ('completed', 'signed_off')\n            ) THEN\n                RAISE EXCEPTION 'The record of session % is locked: % rows change only by an amendment.',\n                    OLD.session_id, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';\n            END IF;\n            RETURN COALESCE(NEW, OLD);\n        ", hash='e5872e130067be6214e2ded8aa38efee8d7bd821', operation='UPDATE OR DELETE', pgid='pgtrigger_locked_record_read_only_fb86d', table='infusion_sessions_vitalsigns', when='BEFORE')),
        ),
        # Content types (and so the model permissions, history and admin log) follow the models.
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

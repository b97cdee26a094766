"""Follow-up (pain diaries, outcome reviews, reminders), moved here from patients and sessions with its
tables, data, permissions and history."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import followup.models
import simple_history.models
import uuid
from django.conf import settings
from django.db import migrations, models


MOVED = {
    "patients": ["paindiaryentry", "historicalpaindiaryentry", "diaryprompt", "outcomereview", "historicaloutcomereview"],
    "infusion_sessions": ["remindertemplate", "historicalremindertemplate", "reminderlog"],
}


def _move(apps, *, back=False):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for source, models in MOVED.items():
        old, new = ("followup", source) if back else (source, "followup")
        for model in models:
            if not ContentType.objects.filter(app_label=new, model=model).exists():
                ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def move_content_types(apps, schema_editor):
    _move(apps)


def move_content_types_back(apps, schema_editor):
    _move(apps, back=True)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('infusion_sessions', '0015_reminders_move_to_followup'),
        ('patients', '0008_followup_moves_to_followup'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist (created by the patients and sessions apps): only the state is created.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DiaryPrompt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('prompted_on', models.DateField(default=django.utils.timezone.localdate)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('channel', models.CharField(blank=True, max_length=10)),
                        ('status', models.CharField(choices=[('pending', 'Link created'), ('sent', 'Sent'), ('failed', 'Failed'), ('handed_out', 'Link given by staff')], default='pending', max_length=12)),
                        ('last_error', models.TextField(blank=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='diary_prompts', to='patients.patient')),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'patients_diaryprompt',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalOutcomeReview',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('offset_days', models.PositiveSmallIntegerField(verbose_name='days after the last session')),
                        ('due_on', models.DateField()),
                        ('status', models.CharField(choices=[('due', 'Due'), ('completed', 'Completed')], default='due', max_length=10)),
                        ('current_pain', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='average pain now (0-10)')),
                        ('pgic', models.PositiveSmallIntegerField(blank=True, choices=[(1, 'Very much improved'), (2, 'Much improved'), (3, 'Minimally improved'), (4, 'No change'), (5, 'Minimally worse'), (6, 'Much worse'), (7, 'Very much worse')], null=True, verbose_name="patient's global impression of change")),
                        ('baseline_pain', models.DecimalField(blank=True, decimal_places=2, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)], verbose_name='baseline pain')),
                        ('baseline_source', models.CharField(blank=True, choices=[('diary', 'Pain diary, 7 days before the course'), ('assessment', 'Assessment score entered by the reviewer'), ('none', 'No baseline recorded')], max_length=12)),
                        ('baseline_entries', models.PositiveSmallIntegerField(default=0, verbose_name='diary entries in the baseline')),
                        ('percent_reduction', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True, verbose_name='reduction from baseline (%)')),
                        ('responder_30', models.BooleanField(blank=True, null=True, verbose_name='responder at 30% (moderate benefit)')),
                        ('responder_50', models.BooleanField(blank=True, null=True, verbose_name='responder at 50% (substantial benefit)')),
                        ('decision', models.CharField(blank=True, choices=[('repeat', 'Repeat the course'), ('change', 'Change protocol'), ('discharge', 'Discharge to GP'), ('continue', 'Continue follow-up (no change yet)')], max_length=10)),
                        ('notes', models.TextField(blank=True, verbose_name='notes for the GP letter')),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('completed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('course', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='infusion_sessions.course')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                    ],
                    options={
                        'verbose_name': 'historical outcome review',
                        'verbose_name_plural': 'historical outcome reviews',
                        'db_table': 'patients_historicaloutcomereview',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalPainDiaryEntry',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('pain_now', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='pain right now')),
                        ('pain_average', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='average pain in the last 24 hours')),
                        ('pain_worst', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='worst pain in the last 24 hours')),
                        ('sleep', models.CharField(choices=[('good', 'Slept well'), ('disturbed', 'Woke a few times with pain'), ('poor', 'Slept poorly'), ('none', 'Hardly slept')], max_length=10, verbose_name="last night's sleep")),
                        ('rescue_medication', models.BooleanField(default=False, verbose_name='took extra (rescue) pain medication')),
                        ('rescue_medication_detail', models.CharField(blank=True, max_length=200, verbose_name='which medication and how much')),
                        ('activity', models.CharField(choices=[('normal', 'My usual activities'), ('reduced', 'Fewer activities than usual'), ('minimal', 'Mostly resting'), ('bed', 'In bed or a chair most of the day')], max_length=10, verbose_name='activity today')),
                        ('notes', models.TextField(blank=True, max_length=2000, verbose_name='anything else')),
                        ('source', models.CharField(choices=[('patient', 'Patient (diary link)'), ('staff', "Staff, on the patient's behalf")], default='patient', max_length=10)),
                        ('link_day', models.DateField(blank=True, editable=False, null=True)),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                        ('review_comment', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('entered_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                        ('prompt', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='followup.diaryprompt')),
                        ('reviewed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical pain diary entry',
                        'verbose_name_plural': 'historical pain diary entries',
                        'db_table': 'patients_historicalpaindiaryentry',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalReminderTemplate',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS')], db_index=True, max_length=10)),
                        ('subject', models.CharField(blank=True, help_text='Email only. Placeholders as in the message.', max_length=200, validators=[followup.models.validate_reminder_template])),
                        ('body', models.TextField(validators=[followup.models.validate_reminder_template], verbose_name='message')),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('updated_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical reminder template',
                        'verbose_name_plural': 'historical reminder templates',
                        'db_table': 'infusion_sessions_historicalremindertemplate',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='OutcomeReview',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('offset_days', models.PositiveSmallIntegerField(verbose_name='days after the last session')),
                        ('due_on', models.DateField()),
                        ('status', models.CharField(choices=[('due', 'Due'), ('completed', 'Completed')], default='due', max_length=10)),
                        ('current_pain', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='average pain now (0-10)')),
                        ('pgic', models.PositiveSmallIntegerField(blank=True, choices=[(1, 'Very much improved'), (2, 'Much improved'), (3, 'Minimally improved'), (4, 'No change'), (5, 'Minimally worse'), (6, 'Much worse'), (7, 'Very much worse')], null=True, verbose_name="patient's global impression of change")),
                        ('baseline_pain', models.DecimalField(blank=True, decimal_places=2, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)], verbose_name='baseline pain')),
                        ('baseline_source', models.CharField(blank=True, choices=[('diary', 'Pain diary, 7 days before the course'), ('assessment', 'Assessment score entered by the reviewer'), ('none', 'No baseline recorded')], max_length=12)),
                        ('baseline_entries', models.PositiveSmallIntegerField(default=0, verbose_name='diary entries in the baseline')),
                        ('percent_reduction', models.DecimalField(blank=True, decimal_places=1, max_digits=6, null=True, verbose_name='reduction from baseline (%)')),
                        ('responder_30', models.BooleanField(blank=True, null=True, verbose_name='responder at 30% (moderate benefit)')),
                        ('responder_50', models.BooleanField(blank=True, null=True, verbose_name='responder at 50% (substantial benefit)')),
                        ('decision', models.CharField(blank=True, choices=[('repeat', 'Repeat the course'), ('change', 'Change protocol'), ('discharge', 'Discharge to GP'), ('continue', 'Continue follow-up (no change yet)')], max_length=10)),
                        ('notes', models.TextField(blank=True, verbose_name='notes for the GP letter')),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('course', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outcome_reviews', to='infusion_sessions.course')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outcome_reviews', to='patients.patient')),
                    ],
                    options={
                        'db_table': 'patients_outcomereview',
                        'ordering': ['due_on', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='PainDiaryEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('pain_now', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='pain right now')),
                        ('pain_average', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='average pain in the last 24 hours')),
                        ('pain_worst', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0, 'Pain is scored 0 to 10.'), django.core.validators.MaxValueValidator(10, 'Pain is scored 0 to 10.')], verbose_name='worst pain in the last 24 hours')),
                        ('sleep', models.CharField(choices=[('good', 'Slept well'), ('disturbed', 'Woke a few times with pain'), ('poor', 'Slept poorly'), ('none', 'Hardly slept')], max_length=10, verbose_name="last night's sleep")),
                        ('rescue_medication', models.BooleanField(default=False, verbose_name='took extra (rescue) pain medication')),
                        ('rescue_medication_detail', models.CharField(blank=True, max_length=200, verbose_name='which medication and how much')),
                        ('activity', models.CharField(choices=[('normal', 'My usual activities'), ('reduced', 'Fewer activities than usual'), ('minimal', 'Mostly resting'), ('bed', 'In bed or a chair most of the day')], max_length=10, verbose_name='activity today')),
                        ('notes', models.TextField(blank=True, max_length=2000, verbose_name='anything else')),
                        ('source', models.CharField(choices=[('patient', 'Patient (diary link)'), ('staff', "Staff, on the patient's behalf")], default='patient', max_length=10)),
                        ('link_day', models.DateField(blank=True, editable=False, null=True)),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                        ('review_comment', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='diary_entries', to='patients.patient')),
                        ('prompt', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='entries', to='followup.diaryprompt')),
                        ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'pain diary entries',
                        'db_table': 'patients_paindiaryentry',
                        'ordering': ['recorded_at', 'id'],
                        'permissions': [('review_paindiary', 'Can review pain diaries')],
                    },
                ),
                migrations.CreateModel(
                    name='ReminderLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(help_text='The lead time, e.g. "48h".', max_length=10)),
                        ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS')], max_length=10)),
                        ('status', models.CharField(choices=[('pending', 'Claimed, waiting to send'), ('sending', 'Sending'), ('retrying', 'Failed, will retry'), ('sent', 'Sent'), ('failed', 'Failed'), ('unknown', 'Outcome unknown'), ('skipped', 'Not sent')], default='pending', max_length=10)),
                        ('recipient', models.CharField(blank=True, max_length=254)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('claimed_at', models.DateTimeField()),
                        ('attempted_at', models.DateTimeField(blank=True, null=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('provider_id', models.CharField(blank=True, max_length=100, verbose_name='provider message id')),
                        ('last_error', models.TextField(blank=True)),
                        ('retried_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='infusion_sessions.infusionsession')),
                    ],
                    options={
                        'db_table': 'infusion_sessions_reminderlog',
                        'ordering': ['-claimed_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ReminderTemplate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('email', 'Email'), ('sms', 'SMS')], max_length=10, unique=True)),
                        ('subject', models.CharField(blank=True, help_text='Email only. Placeholders as in the message.', max_length=200, validators=[followup.models.validate_reminder_template])),
                        ('body', models.TextField(validators=[followup.models.validate_reminder_template], verbose_name='message')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'infusion_sessions_remindertemplate',
                        'ordering': ['channel'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='diaryprompt',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'sent', 'failed', 'handed_out'])), name='diaryprompt_status_valid'),
                ),
                migrations.AddConstraint(
                    model_name='diaryprompt',
                    constraint=models.UniqueConstraint(condition=models.Q(('created_by__isnull', True)), fields=('patient', 'prompted_on'), name='diary_prompt_once_a_day'),
                ),
                migrations.AddConstraint(
                    model_name='outcomereview',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['due', 'completed'])), name='outcomereview_status_valid'),
                ),
                migrations.AddConstraint(
                    model_name='outcomereview',
                    constraint=models.UniqueConstraint(fields=('course', 'offset_days'), name='outcome_review_once_per_offset'),
                ),
                migrations.AddConstraint(
                    model_name='outcomereview',
                    constraint=models.CheckConstraint(condition=models.Q(('current_pain__isnull', True), models.Q(('current_pain__gte', 0), ('current_pain__lte', 10)), _connector='OR'), name='outcome_current_pain_0_10'),
                ),
                migrations.AddConstraint(
                    model_name='outcomereview',
                    constraint=models.CheckConstraint(condition=models.Q(('pgic__isnull', True), models.Q(('pgic__gte', 1), ('pgic__lte', 7)), _connector='OR'), name='outcome_pgic_1_7'),
                ),
                migrations.AddConstraint(
                    model_name='outcomereview',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), _negated=True), models.Q(('completed_at__isnull', False), ('completed_by__isnull', False), ('current_pain__isnull', False), ('pgic__isnull', False), models.Q(('decision', ''), _negated=True)), _connector='OR'), name='outcome_completed_is_complete'),
                ),
                migrations.AddIndex(
                    model_name='paindiaryentry',
                    index=models.Index(fields=['patient', 'recorded_at'], name='diary_patient_recorded'),
                ),
                migrations.AddIndex(
                    model_name='paindiaryentry',
                    index=models.Index(condition=models.Q(('reviewed_at__isnull', True)), fields=['patient'], name='diary_unreviewed'),
                ),
                migrations.AddConstraint(
                    model_name='paindiaryentry',
                    constraint=models.CheckConstraint(condition=models.Q(('pain_now__gte', 0), ('pain_now__lte', 10)), name='diary_pain_now_0_10'),
                ),
                migrations.AddConstraint(
                    model_name='paindiaryentry',
                    constraint=models.CheckConstraint(condition=models.Q(('pain_average__gte', 0), ('pain_average__lte', 10)), name='diary_pain_average_0_10'),
                ),
                migrations.AddConstraint(
                    model_name='paindiaryentry',
                    constraint=models.CheckConstraint(condition=models.Q(('pain_worst__gte', 0), ('pain_worst__lte', 10)), name='diary_pain_worst_0_10'),
                ),
                migrations.AddConstraint(
                    model_name='paindiaryentry',
                    constraint=models.CheckConstraint(condition=models.Q(('reviewed_at__isnull', True), ('reviewed_by__isnull', False), _connector='OR'), name='diary_review_has_reviewer'),
                ),
                migrations.AddConstraint(
                    model_name='paindiaryentry',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('source', 'staff'), _negated=True), ('entered_by__isnull', False), _connector='OR'), name='diary_staff_entry_has_author'),
                ),
                migrations.AddConstraint(
                    model_name='paindiaryentry',
                    constraint=models.UniqueConstraint(fields=('prompt', 'link_day'), name='diary_link_one_entry_a_day', violation_error_message="Today's diary has already been filled in through this link."),
                ),
                migrations.AddIndex(
                    model_name='reminderlog',
                    index=models.Index(fields=['status', 'claimed_at'], name='reminder_status_claimed'),
                ),
                migrations.AddConstraint(
                    model_name='reminderlog',
                    constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'sending', 'retrying', 'sent', 'failed', 'unknown', 'skipped'])), name='reminderlog_status_valid'),
                ),
                migrations.AddConstraint(
                    model_name='reminderlog',
                    constraint=models.UniqueConstraint(fields=('session', 'kind', 'channel'), name='reminder_once_per_session_kind_channel', violation_error_message='This reminder has already been claimed.'),
                ),
                migrations.AddConstraint(
                    model_name='reminderlog',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', False), _connector='OR'), name='reminder_sent_has_sent_at'),
                ),
            ],
            database_operations=[],
        ),
        # Content types (and so permissions, history and the admin log) follow the models.
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

"""Prescriptions, moved here from the protocols app with their tables, data, history, content types and
permissions (the permission to prescribe included)."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


MOVED = ["prescription", "historicalprescription"]


def _move(apps, *, back=False):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old, new = ("patients", "protocols") if back else ("protocols", "patients")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
    # "prescribe" was a permission of the protocol family and is now the prescription's: the same row
    # changes content type, so the groups and users that hold it keep it. (On a new database the roles
    # migration may have made it before the prescription had a content type: that is made here.)
    source, target = (("protocols", "prescription"), ("protocols", "protocolfamily")) if back else (
        ("protocols", "protocolfamily"),
        ("patients", "prescription"),
    )
    permission = Permission.objects.filter(
        content_type__app_label=source[0], content_type__model=source[1], codename="prescribe"
    ).first()
    if permission is None:
        return
    target_type, _ = ContentType.objects.get_or_create(app_label=target[0], model=target[1])
    if not Permission.objects.filter(content_type=target_type, codename="prescribe").exists():
        permission.content_type = target_type
        permission.save(update_fields=["content_type"])


def move_content_types(apps, schema_editor):
    _move(apps)


def move_content_types_back(apps, schema_editor):
    _move(apps, back=True)


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0009_phone_numbers_e164'),
        ('protocols', '0006_prescriptions_move_to_patients'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist (created by the protocols app): only the state is created.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalPrescription',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('basis_dose', models.DecimalField(decimal_places=3, max_digits=8, verbose_name='dose (version unit)')),
                        ('dose_mg', models.DecimalField(decimal_places=1, max_digits=9, verbose_name='dose (mg)')),
                        ('volume_ml', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='volume (mL)')),
                        ('rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='rate (mL/h)')),
                        ('verdict', models.CharField(choices=[('ok', 'Within limits'), ('soft', 'Over the soft limit (reason recorded)')], max_length=10)),
                        ('soft_limit_reason', models.TextField(blank=True, verbose_name='reason for a dose over the soft limit')),
                        ('prescribed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('is_active', models.BooleanField(default=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('family', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='protocols.protocolfamily')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient')),
                        ('prescribed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('protocol_version', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='protocols.protocolversion')),
                        ('referral', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.referral')),
                        ('weight_record', models.ForeignKey(blank=True, db_constraint=False, help_text='The weight the dose was calculated from; empty for fixed doses.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.weightrecord')),
                    ],
                    options={
                        'verbose_name': 'historical prescription',
                        'verbose_name_plural': 'historical prescriptions',
                        'db_table': 'protocols_historicalprescription',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Prescription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('basis_dose', models.DecimalField(decimal_places=3, max_digits=8, verbose_name='dose (version unit)')),
                        ('dose_mg', models.DecimalField(decimal_places=1, max_digits=9, verbose_name='dose (mg)')),
                        ('volume_ml', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='volume (mL)')),
                        ('rate_ml_per_h', models.DecimalField(decimal_places=1, max_digits=7, verbose_name='rate (mL/h)')),
                        ('verdict', models.CharField(choices=[('ok', 'Within limits'), ('soft', 'Over the soft limit (reason recorded)')], max_length=10)),
                        ('soft_limit_reason', models.TextField(blank=True, verbose_name='reason for a dose over the soft limit')),
                        ('prescribed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('is_active', models.BooleanField(default=True)),
                        ('family', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='prescriptions', to='protocols.protocolfamily')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='prescriptions', to='patients.patient')),
                        ('prescribed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('protocol_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='prescriptions', to='protocols.protocolversion')),
                        ('referral', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='prescriptions', to='patients.referral')),
                        ('weight_record', models.ForeignKey(blank=True, help_text='The weight the dose was calculated from; empty for fixed doses.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='prescriptions', to='patients.weightrecord')),
                    ],
                    options={
                        'db_table': 'protocols_prescription',
                        'ordering': ['-prescribed_at', '-id'],
                        'permissions': [('prescribe', 'Can choose a protocol and dose for a patient')],
                        'indexes': [models.Index(fields=['patient', 'is_active'], name='prescription_patient_active')],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('verdict', 'soft'), _negated=True), models.Q(('soft_limit_reason', ''), _negated=True), _connector='OR'), name='prescription_soft_needs_reason', violation_error_message='A dose over the soft limit needs a recorded reason.'), models.CheckConstraint(condition=models.Q(('verdict__in', ['ok', 'soft'])), name='prescription_verdict_allowed'), models.CheckConstraint(condition=models.Q(('dose_mg__gt', 0)), name='prescription_dose_positive'), models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('patient', 'family'), name='one_active_prescription_per_family')],
                    },
                ),
            ],
            database_operations=[],
        ),
        # Content types (and so permissions, history and the admin log) follow the models.
        migrations.RunPython(move_content_types, move_content_types_back),
    ]

"""Patients' phone numbers are stored as E.164 (+447700900123) and read by django-phonenumber-field.

Each stored number is read with the rule the form now uses (patients/phones.py). A value that cannot be
read as a phone number is kept exactly as it was typed, never lost: the patient's page flags it, the
form asks for a correction on the next save and SMS refuses it. The migration lists those patients' ids
(not their numbers) so that reception can correct them. The history rows keep the text as typed then:
they are read through the same field, so the history page shows them in the same format.

Backwards, UK numbers go back to the national format the old validator accepted ("07700 900123");
an international number, which the old validator refused, stays in E.164.
"""

import sys

from django.db import migrations

import patients.phones


def to_e164(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    unreadable = []
    for pk, phone in Patient.objects.exclude(phone="").values_list("pk", "phone").order_by("pk"):
        number = patients.phones.to_phone(phone)
        if not number.is_valid():
            unreadable.append(pk)
        elif number.as_e164 != phone:
            Patient.objects.filter(pk=pk).update(phone=number.as_e164)
    if unreadable:
        sys.stdout.write(
            f"\n  {len(unreadable)} patient phone number(s) could not be read and were kept as typed "
            f"(flagged on the patient's page); patient ids: {', '.join(map(str, unreadable))}\n"
        )


def to_national(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    for pk, phone in Patient.objects.filter(phone__startswith="+44").values_list("pk", "phone"):
        number = patients.phones.to_phone(phone)
        if number.is_valid():
            Patient.objects.filter(pk=pk).update(phone=number.as_national)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0008_followup_moves_to_followup"),
    ]

    # The data step runs while the column is still a CharField in the migration state (forwards before
    # the AlterField, backwards after it), so the values it writes are stored exactly as given.
    operations = [
        migrations.RunPython(to_e164, to_national),
        migrations.AlterField(
            model_name="historicalpatient",
            name="phone",
            field=patients.phones.PhoneNumberField(
                blank=True,
                help_text="A UK number, e.g. 07700 900123, or an international one starting with +.",
                max_length=20,
                region=None,
                verbose_name="phone",
            ),
        ),
        migrations.AlterField(
            model_name="patient",
            name="phone",
            field=patients.phones.PhoneNumberField(
                blank=True,
                help_text="A UK number, e.g. 07700 900123, or an international one starting with +.",
                max_length=20,
                region=None,
                verbose_name="phone",
            ),
        ),
    ]

"""A fresh clinic gets the five example protocol families on migrate.

The figures: docs/clinical-reference.md#protocol-defaults.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from protocols.seed import seed_protocol_library

    seed_protocol_library(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("protocols", "0002_prescriptions_and_limits")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

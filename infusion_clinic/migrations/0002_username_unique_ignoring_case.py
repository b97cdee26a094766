"""Usernames are unique whatever their letter case ("NEvans" and "nevans" are one person), enforced by the
database too, so that two admins adding the same person at the same moment cannot both succeed. An
expression index works on PostgreSQL and SQLite alike."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("infusion_clinic", "0001_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE UNIQUE INDEX auth_user_username_upper_uniq ON auth_user (UPPER(username));",
            reverse_sql="DROP INDEX auth_user_username_upper_uniq;",
        )
    ]

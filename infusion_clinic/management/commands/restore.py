import subprocess

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from infusion_clinic.backup import restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder into an empty PostgreSQL database (createdb it first) and the letter "
        "storage. The database is DATABASE_URL's unless --database-url names another."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="the backup folder (make backup's output)")
        parser.add_argument("--database-url", help="restore into this database instead")

    def handle(self, *args, **options):
        if options["database_url"]:
            target = environ.Env.db_url_config(options["database_url"])
        else:
            target = connections["default"].settings_dict
        try:
            result = restore(source=options["source"], database_settings=target)
        except (ImproperlyConfigured, subprocess.CalledProcessError, FileNotFoundError) as exc:
            raise CommandError(f"Restore failed: {exc}") from exc
        self.stdout.write(f"Restored the database {target['NAME']} and {result['files']} stored files.")

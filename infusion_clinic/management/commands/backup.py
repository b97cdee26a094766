from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand

from infusion_clinic.backup import backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format) and the letter storage into a folder."

    def add_arguments(self, parser):
        parser.add_argument("--to", help="folder to write (default backups/<date-time>)")

    def handle(self, *args, **options):
        to = Path(options["to"] or f"backups/{datetime.now():%Y%m%d-%H%M%S}")
        result = backup(to=to)
        self.stdout.write(
            f"Backed up the database to {result['database']} and {result['files']} stored files to {result['storage']}."
        )

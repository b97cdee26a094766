"""Seed the scale dataset (demo/scale.py): years of a busy unit, for the load benchmark (bench/).

python manage.py seed_scale --years 10 --seed 1
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.scale import Options, seed_scale
from patients.models import Patient


class Command(BaseCommand):
    help = "Create a large, deterministic dataset (default: 10 years, 20,000 patients, 12 chairs) in bulk."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=10, help="Years of history (default 10).")
        parser.add_argument("--patients", type=int, default=20_000, help="Patients (default 20,000).")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: the same seed gives the same data."
        )
        parser.add_argument("--chairs", type=int, default=12, help="Chairs in the unit (default 12).")
        parser.add_argument(
            "--per-day", type=int, default=30, help="Sessions a working day to aim for (default 30)."
        )
        parser.add_argument(
            "--password", default="scale-bench", help="Password of the scale-* users (default scale-bench)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Seed even though the database already holds patients."
        )

    def handle(self, *args, **options):
        if options["years"] < 1 or options["patients"] < 1 or options["chairs"] < 1 or options["per_day"] < 1:
            raise CommandError("--years, --patients, --chairs and --per-day must be at least 1.")
        existing = Patient.objects.count()
        if existing and not options["force"]:
            raise CommandError(
                f"This database already holds {existing:,} patients: seed_scale adds tens of thousands of "
                "made-up ones. Use an empty database, or --force to add them anyway."
            )
        started = time.monotonic()
        with transaction.atomic():
            result = seed_scale(
                Options(
                    years=options["years"],
                    patients=options["patients"],
                    seed=options["seed"],
                    chairs=options["chairs"],
                    per_day=options["per_day"],
                    password=options["password"],
                ),
                stream=self.stderr,
            )
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<16} {count:>9,}")
        self.stdout.write(
            f"Session {result.long_record_session_id} carries the long record "
            f"({200} observations). Users scale-reception, scale-nurse, scale-specialist, scale-admin."
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale dataset ready in {time.monotonic() - started:.0f} s (the deferred foreign keys checked at commit included)."
            )
        )

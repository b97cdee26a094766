"""Seed a believable demo clinic. Idempotent: running it again changes nothing that exists."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from demo import billing, bookings, day, followup, pathways, patients, protocols, records, sessions
from infusion_clinic.roles import CLINIC_ADMIN, NURSE, RECEPTION, SPECIALIST

# username, password, first name, last name, role. Listed in README.md; demo only.
DEMO_USERS = [
    ("reception", "reception-demo", "Rita", "Hughes", RECEPTION),
    ("nurse", "nurse-demo", "Nadia", "Okafor", NURSE),
    ("specialist", "specialist-demo", "Samuel", "Patel", SPECIALIST),
    ("admin", "admin-demo", "Alex", "Morgan", CLINIC_ADMIN),
]

# Each part of the demo seeds itself, in this order.
SEEDERS = [
    billing,
    protocols,
    sessions,
    patients,
    bookings,
    records,
    day,
    followup,
    pathways,  # last: referrals, sessions and invoices agree
]


class Command(BaseCommand):
    help = "Create the demo clinic: a user per role, chairs, hours, protocols and a few patients."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        User = get_user_model()
        for username, password, first, last, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
            )
            if created:
                user.set_password(password)
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[role] = user
        for seeder in SEEDERS:
            seeder.seed(users=users, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo clinic ready. Sign in at http://127.0.0.1:8000/ with:"))
        for username, password, _first, _last, role in DEMO_USERS:
            self.stdout.write(f"  {role:<16} {username:<11} password: {password}")
        if settings.MFA_REQUIRED_ROLES:
            self.stdout.write(
                f"Two-factor sign-in is on for {', '.join(settings.MFA_REQUIRED_ROLES)}: at the first sign-in "
                "each of them scans a QR code with an authenticator app. MFA_REQUIRED_ROLES= (empty) turns it off."
            )
        else:
            self.stdout.write("Two-factor sign-in is off (MFA_REQUIRED_ROLES is empty): passwords alone.")

from datetime import date, timedelta

from django.utils import timezone

from infusion_clinic.roles import RECEPTION

from .models import Patient, Sex, WeightRecord

# Fictional people; NHS numbers from the 999 test range, Ofcom drama phone numbers, example.org email.
DEMO_PATIENTS = [
    ("Margaret", "Thornton", date(1961, 3, 14), Sex.FEMALE, "9990000018", "07700 900101", 72.4, "M14 5TQ"),
    ("David", "Okonkwo", date(1975, 9, 2), Sex.MALE, "9990000026", "07700 900202", 88.0, "M20 2LN"),
    ("Priya", "Sharma", date(1983, 12, 21), Sex.FEMALE, "9990000034", "07700 900303", 61.5, "SK4 1AB"),
    ("Thomas", "Whitfield", date(1958, 6, 30), Sex.MALE, "", "07700 900404", 95.2, "WA14 2DT"),
    ("Eleanor", "Byrne", date(1990, 1, 8), Sex.FEMALE, "9990000042", "07700 900505", 58.0, "M15 4FN"),
]


def seed(*, users, stdout):
    recorder = users[RECEPTION]
    today = timezone.localdate()
    for first, last, dob, sex, nhs, phone, weight, postcode in DEMO_PATIENTS:
        patient, created = Patient.objects.get_or_create(
            first_name=first,
            last_name=last,
            date_of_birth=dob,
            defaults={
                "sex": sex,
                "nhs_number": nhs,
                "phone": phone,
                "email": f"{first.lower()}.{last.lower()}@example.org",
                "postcode": postcode,
                "address_line1": "1 Demo Street",
                "town": "Manchester",
                "consent_sms": True,
                "consent_email": True,
                "gp_practice_name": "Riverside Medical Practice",
                "gp_practice_ods": "P84001",
            },
        )
        if created:
            WeightRecord.objects.create(
                patient=patient,
                recorded_on=today - timedelta(days=14),
                weight_kg=weight,
                recorded_by=recorder,
            )

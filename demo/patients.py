from datetime import date, datetime, time, timedelta

from django.utils import timezone

from billing.models import Commissioner, Insurer, PreAuthorisation
from billing.services import save_preauthorisation
from infusion_clinic.roles import RECEPTION, SPECIALIST
from patients import services
from patients.models import EligibilityAssessment, Patient, Referral, ReferralStatus, Sex, WeightRecord
from protocols.models import ProtocolFamily


def _nhs_number(n: int) -> str:
    """An NHS number in the 999 test range with a valid Modulus 11 check digit (as tests/factories.py)."""
    stem = f"999{n:06d}"
    check = 11 - sum(int(d) * w for d, w in zip(stem, (10, 9, 8, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    check = 0 if check == 11 else check
    if check == 10:
        raise ValueError(f"{stem} has no valid check digit")
    return stem + str(check)


# Fictional people; NHS numbers from the 999 test range, Ofcom drama phone numbers, example.org email.
DEMO_PATIENTS = [
    ("Margaret", "Thornton", date(1961, 3, 14), Sex.FEMALE, "9990000018", "07700 900101", 72.4, "M14 5TQ"),
    ("David", "Okonkwo", date(1975, 9, 2), Sex.MALE, "9990000026", "07700 900202", 88.0, "M20 2LN"),
    ("Priya", "Sharma", date(1983, 12, 21), Sex.FEMALE, "9990000034", "07700 900303", 61.5, "SK4 1AB"),
    ("Thomas", "Whitfield", date(1958, 6, 30), Sex.MALE, "", "07700 900404", 95.2, "WA14 2DT"),
    ("Eleanor", "Byrne", date(1990, 1, 8), Sex.FEMALE, "9990000042", "07700 900505", 58.0, "M15 4FN"),
    ("Aisha", "Rahman", date(1979, 4, 17), Sex.FEMALE, _nhs_number(5), "07700 900606", 66.3, "M13 9PL"),
    ("George", "Ellis", date(1966, 11, 3), Sex.MALE, _nhs_number(6), "07700 900707", 81.7, "SK8 3HE"),
    ("Fiona", "MacLeod", date(1987, 7, 25), Sex.FEMALE, _nhs_number(7), "07700 900808", 69.1, "M32 0RS"),
    # Still waiting: no assessment and no sessions, so the waiting list and triage queue have someone.
    ("Harold", "Pearson", date(1952, 5, 19), Sex.MALE, _nhs_number(8), "07700 900909", 79.5, "M21 8UP"),
    ("Chloe", "Davies", date(1994, 2, 11), Sex.FEMALE, _nhs_number(9), "07700 900110", 63.0, "M16 7RX"),
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

    seed_referrals(users=users, stdout=stdout)
    seed_eligibility(users=users, stdout=stdout)


# (last name, received days ago, condition, funding, source, status, assessed days ago, note).
# Every patient with sessions (sessions/demo_*.py, demo/followup.py) has an accepted referral,
# assessed before the first session; the first infusion then moves it to "in treatment" and stops the
# RTT clock. Pearson and Davies are still waiting and have no sessions.
DEMO_REFERRALS = [
    (
        "Thornton",
        84,
        "fibromyalgia",
        "nhs",
        "gp",
        "accepted",
        28,
        "Widespread pain for 6 years; duloxetine and pregabalin not tolerated. Requests IV lidocaine.",
    ),
    (
        "Okonkwo",
        30,
        "crps",
        "insured",
        "self",
        "accepted",
        21,
        "CRPS type 1 of the right foot after an ankle fracture in 2024; physiotherapy and gabapentin tried.",
    ),
    (
        "Sharma",
        75,
        "chronic_migraine",
        "nhs",
        "gp",
        "accepted",
        42,
        "Chronic migraine, 18 headache days a month despite three preventives and botulinum toxin.",
    ),
    (
        "Whitfield",
        45,
        "fbss",
        "self_pay",
        "self",
        "accepted",
        38,
        "Failed back surgery syndrome after L4/5 fusion; asks about ketamine infusions.",
    ),
    (
        "Byrne",
        63,
        "neuropathic",
        "nhs",
        "gp",
        "accepted",
        14,
        "Post-herpetic neuralgia, left T6; amitriptyline and topical lidocaine helped a little.",
    ),
    (
        "Rahman",
        77,
        "fibromyalgia",
        "nhs",
        "gp",
        "accepted",
        40,
        "Fibromyalgia for 9 years; amitriptyline, duloxetine and graded exercise gave little relief.",
    ),
    (
        "Ellis",
        90,
        "neuropathic",
        "nhs",
        "gp",
        "accepted",
        24,
        "Painful diabetic neuropathy of both feet; pregabalin and capsaicin patches tried.",
    ),
    (
        "MacLeod",
        70,
        "fibromyalgia",
        "self_pay",
        "self",
        "accepted",
        40,
        "Fibromyalgia with poor sleep; naltrexone and duloxetine tried.",
    ),
    (
        "Pearson",
        118,
        "neuropathic",
        "nhs",
        "gp",
        "awaiting_assessment",
        None,
        "Post-stroke central pain, right arm; amitriptyline and gabapentin tried.",
    ),
    (
        "Davies",
        6,
        "chronic_migraine",
        "nhs",
        "gp",
        "received",
        None,
        "Chronic migraine since her teens; topiramate and propranolol tried.",
    ),
]

# The insurer's pre-authorisation for the insured demo referral: (last name, number, sessions).
DEMO_PREAUTHORISATIONS = [("Okonkwo", "BUP-PA-30817", 6)]


def _weekday(day: date) -> date:
    """The day itself on a weekday, else the Friday before: letters are registered, referrals triaged
    and patients assessed on working days."""
    return day - timedelta(days=max(day.weekday() - 4, 0))


def seed_referrals(*, users, stdout):
    reception, specialist = users[RECEPTION], users[SPECIALIST]
    today = timezone.localdate()
    commissioner, _ = Commissioner.objects.get_or_create(
        ods_code="QOP", defaults={"name": "NHS Greater Manchester Integrated Care Board"}
    )
    insurer, _ = Insurer.objects.get_or_create(name="Bupa")
    lidocaine = ProtocolFamily.objects.filter(slug="lidocaine").first()
    created = 0
    for last, days_ago, condition, funding, source, status, assessed_ago, letter in DEMO_REFERRALS:
        patient = Patient.objects.filter(last_name=last).first()
        if patient is None or Referral.objects.filter(patient=patient).exists():
            continue  # idempotent: a patient with a referral is left alone
        received = _weekday(today - timedelta(days=days_ago))
        assessed = _weekday(today - timedelta(days=assessed_ago)) if assessed_ago is not None else None
        fields = {
            "source": source,
            "received_on": received,
            "condition": condition,
            "letter_text": letter,
            "prior_treatments": letter.split(";")[-1].strip(),
            "funding_route": funding,
        }
        if source == "gp":
            fields.update(gp_practice_name="Riverside Medical Practice", gp_practice_ods="P84001")
        if funding == "nhs":
            fields["commissioner"] = commissioner
        if funding == "insured":
            fields.update(insurer=insurer, policy_number="BUP-4471-2290")
        referral = services.create_referral(patient=patient, created_by=reception, **fields)
        path = [ReferralStatus.TRIAGED, ReferralStatus.AWAITING_ASSESSMENT, ReferralStatus.ACCEPTED]
        steps = path[: path.index(status) + 1] if status in path else []
        for step in steps:
            if step == ReferralStatus.TRIAGED:
                services.triage_referral(
                    referral=referral, by=specialist, note="Suitable for infusion clinic."
                )
            elif step == ReferralStatus.AWAITING_ASSESSMENT:
                services.request_assessment(
                    referral=referral, by=specialist, note="Assessment clinic booked."
                )
            elif step == ReferralStatus.ACCEPTED and lidocaine is not None:
                services.record_eligibility(
                    patient=patient,
                    family=lidocaine,
                    by=specialist,
                    assessed_on=assessed,
                    weight_kg=patient.weights.order_by("-recorded_on")
                    .values_list("weight_kg", flat=True)
                    .first()
                    or 70,
                    decision="eligible",
                    ecg_result="normal",
                    qtc_ms=410,
                    egfr=88,
                    checklist={},
                    referral=referral,
                )
        # Spread the timeline over the weeks since receipt, so the demo reads like real history; an
        # accepted referral's last step falls on the day of the eligibility assessment.
        events = list(referral.events.order_by("at", "id"))
        for i, event in enumerate(events):
            if assessed_ago is not None and len(events) > 1:
                span = (assessed - received).days
                day = _weekday(received + timedelta(days=round(i * span / (len(events) - 1))))
            else:
                day = _weekday(min(received + timedelta(days=7 * i), today))
            event.at = timezone.make_aware(datetime.combine(day, time(9 + i, 15)))
            event.save(update_fields=["at"])
        if events:
            referral.status_changed_at = events[-1].at
            referral.save(update_fields=["status_changed_at"])
        created += 1
    seed_preauthorisations(users=users, stdout=stdout)
    if created:
        stdout.write(f"Patients: {created} demo referrals.")


def seed_preauthorisations(*, users, stdout):
    """Insured sessions are booked only against a current pre-authorisation (billing's service)."""
    today = timezone.localdate()
    for last, number, sessions in DEMO_PREAUTHORISATIONS:
        referral = (
            Referral.objects.filter(
                patient__last_name=last, patient__email__endswith="@example.org", funding_route="insured"
            )
            .order_by("-received_on", "-id")
            .first()
        )
        if referral is None or referral.insurer_id is None or referral.preauthorisations.exists():
            continue
        save_preauthorisation(
            preauth=PreAuthorisation(
                referral=referral,
                insurer_id=referral.insurer_id,
                policy_number=referral.policy_number or "BUP-4471-2290",
                preauth_number=number,
                sessions_authorised=sessions,
                valid_from=referral.received_on,
                valid_to=today + timedelta(days=180),
                created_by=users.get(RECEPTION),
            )
        )


# Further assessments: Whitfield's ketamine, and lidocaine for any demo patient whose referral did not
# reach "accepted" above (an older demo database), so that the bookings have patients the booking
# service accepts: (last name, family slug).
DEMO_ELIGIBILITY = [
    ("Thornton", "lidocaine"),
    ("Okonkwo", "lidocaine"),
    ("Sharma", "lidocaine"),
    ("Whitfield", "lidocaine"),
    ("Whitfield", "ketamine"),
]


def seed_eligibility(*, users, stdout):
    """Record eligible assessments through the real service; a family already assessed is skipped."""
    specialist = users[SPECIALIST]
    today = timezone.localdate()
    recorded = 0
    for last, slug in DEMO_ELIGIBILITY:
        patient = Patient.objects.filter(last_name=last, email__endswith="@example.org").first()
        family = ProtocolFamily.objects.filter(slug=slug).first()
        if patient is None or family is None:
            continue
        if EligibilityAssessment.objects.filter(patient=patient, protocol_family=family).exists():
            continue
        weight = patient.weights.order_by("-recorded_on", "-id").values_list("weight_kg", flat=True).first()
        services.record_eligibility(
            patient=patient,
            family=family,
            by=specialist,
            assessed_on=_weekday(today - timedelta(days=35)),
            weight_kg=weight or 70,
            decision="eligible",
            ecg_result="normal",
            qtc_ms=415,
            egfr=85,
            checklist={},
        )
        recorded += 1
    if recorded:
        stdout.write(f"Patients: {recorded} demo eligibility assessments.")

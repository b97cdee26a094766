"""The scale dataset: years of a busy infusion unit, generated from a seed and written in bulk.

`python manage.py seed_scale --years 10 --seed 1` (demo/management/commands/seed_scale.py). One
`random.Random(seed)` drives every choice, so the same seed, the same options and the same day give
the same rows. Dates are relative to today (the unit's history ends today, with a few weeks booked
ahead), so the pages a person opens every day have data on the day the dataset is made.

Speed: the rows bypass the services and go in with PostgreSQL's COPY, in an order the database
accepts them in:

- sessions never overlap on a chair or for a patient (the exclusion constraints): the planner keeps
  each chair's day and each patient's days;
- the charted rows (observations, rate changes, adverse events) are inserted, never updated, so the
  locked-record trigger (UPDATE/DELETE only) lets them in under a completed or signed-off session;
- invoices go in as drafts, their lines after them (the lines trigger refuses lines of an issued
  invoice), then one UPDATE issues them with their numbers; the invoice sequence is moved on;
- every alerting observation (NEWS2 alert or urgent) has its escalation entry, so no record is
  completed over an unanswered alert;
- the NEWS2 figures are scored with records.news2, as VitalSigns.save() does.

Not written: django-simple-history rows for the bulk rows (history starts at the next change), the
access audit, referral status events, diary prompts (diary entries come as from the patient without
a link) and package purchases.
"""

import io
import json
import random
import sys
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from billing.models import (
    Commissioner,
    Insurer,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    PreAuthorisation,
    PreAuthorisationUse,
)
from billing.services import SEQUENCE_NAME
from demo import billing as demo_billing
from followup.models import OutcomeReview, PainDiaryEntry, ReminderLog
from infusion_clinic.roles import CLINIC_ADMIN, NURSE, RECEPTION, SPECIALIST
from patients.models import EligibilityAssessment, Patient, Prescription, Referral, WeightRecord
from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library
from records import news2
from records.models import AdverseEvent, Escalation, InfusionRecord, RateChange, VitalSigns
from sessions.models import Chair, Closure, Course, InfusionSession, Location, NurseShift, OpeningHours

LONDON = ZoneInfo("Europe/London")
LOCATION = "Scale Infusion Unit"
OPENS, CLOSES = 8 * 60, 18 * 60  # minutes of the UK day
BOOKED_AHEAD_DAYS = 28
SIGN_OFF_LAG_DAYS = 10  # completed sessions older than this are signed off
REVIEW_LAG_DAYS = 14  # diary entries and outcome reviews older than this are dealt with
LONG_RECORD_OBSERVATIONS = 200
DIARY_ENTRIES_PER_SESSION = 1.85  # the issue's unit: 128,000 entries for 74,000 sessions

# username, role; password from --password. The benchmark signs in as these.
SCALE_USERS = [
    ("scale-reception", RECEPTION, "Rhiannon", "Price"),
    ("scale-nurse", NURSE, "Nia", "Evans"),
    ("scale-specialist", SPECIALIST, "Sunil", "Mehta"),
    ("scale-admin", CLINIC_ADMIN, "Ada", "Lovelace"),
    ("scale-nurse-2", NURSE, "Tom", "Baker"),
    ("scale-nurse-3", NURSE, "Grace", "Hopper"),
]

# family slug / version name start: share of patients, days between courses (low, high).
FAMILY_MIX = [
    ("Lidocaine", 0.38, (42, 84)),
    ("Ketamine", 0.17, (150, 300)),
    ("Magnesium", 0.12, (42, 90)),
    ("Pamidronate", 0.08, (120, 240)),
    ("Zoledronic", 0.05, (365, 400)),
    ("Methylprednisolone", 0.20, (120, 240)),
]
FUNDING_MIX = [("nhs", 0.71), ("self_pay", 0.18), ("insured", 0.11)]
CONDITIONS = [
    "neuropathic",
    "crps",
    "fibromyalgia",
    "chronic_migraine",
    "cancer_bone",
    "fbss",
    "diabetic_neuropathy",
]
FIRST_NAMES = (
    "Olivia Amelia Isla Ava Mia Grace Sophia Lily Freya Emily Ivy Ella Rosie Evie Florence Poppy Charlotte "
    "Willow Harper Sienna Oliver George Noah Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie "
    "Jack Charlie Theo Alfie Jacob Thomas Finley Arlo Margaret David Priya Eleanor Aisha Fiona Harold Chloe "
    "Susan Peter Gareth Bronwen Siobhan Declan Niamh Callum Morag Angus Rhys Carys Dylan Ffion Yusuf Zainab"
).split()
LAST_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright "
    "Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill "
    "Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker "
    "Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy "
    "Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman "
    "Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight "
    "Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Okafor Okonkwo Sharma MacLeod"
).split()
TOWNS = [
    ("Manchester", "M"),
    ("Stockport", "SK"),
    ("Salford", "M"),
    ("Oldham", "OL"),
    ("Bolton", "BL"),
    ("Wigan", "WN"),
]
PRACTICES = [(f"{name} Medical Practice", f"P84{n:03d}") for n, name in enumerate(LAST_NAMES[:40])]
DIARY_NOTES = ["", "", "", "", "Better after the infusion.", "Bad flare today.", "Slept a bit better."]


class Progress:
    """Plain progress lines on stderr: the step, its rows and the time so far."""

    def __init__(self, steps, stream=None):
        self.steps = steps
        self.done = 0
        self.started = clock.monotonic()
        self.stream = stream or sys.stderr

    def step(self, label, rows=None):
        self.done += 1
        elapsed = clock.monotonic() - self.started
        width = 24
        filled = round(width * self.done / self.steps)
        bar = "#" * filled + "." * (width - filled)
        count = f" {rows:,} rows" if rows is not None else ""
        self.stream.write(f"seed_scale [{bar}] {self.done}/{self.steps} {label}{count} ({elapsed:.1f} s)\n")
        self.stream.flush()


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Copier:
    """COPY rows of one model: the named columns from each tuple, every other column its model default
    (evaluated once: a constant such as '', False or []), NULL where the field is nullable."""

    FLUSH_ROWS = 50_000

    def __init__(self, model, columns):
        self.model = model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
        self.columns = list(columns)
        rest = [f for name, f in fields.items() if name not in columns]
        self.extra_columns = []
        extra_values = []
        for f in rest:
            if (f.null and not f.has_default()) or f.primary_key:
                continue  # NULL, or the serial id
            value = f.get_default()  # the default, or '' for a blank text field
            if isinstance(value, list | dict):
                value = json.dumps(value)
            if value is None and not f.null:
                raise ValueError(f"{model.__name__}.{f.attname} needs a value")
            self.extra_columns.append(f.column)
            extra_values.append(_copy_text(value))
        self.suffix = "".join("\t" + v for v in extra_values)
        names = [fields[c].column for c in self.columns] + self.extra_columns
        self.sql = (
            f"COPY {model._meta.db_table} ({', '.join(chr(34) + n + chr(34) for n in names)}) FROM STDIN"
        )
        self.buffer = []
        self.count = 0

    def add(self, row):
        self.buffer.append("\t".join(map(_copy_text, row)) + self.suffix)
        self.count += 1
        if len(self.buffer) >= self.FLUSH_ROWS:
            self.flush()

    def flush(self):
        if not self.buffer:
            return
        data = io.StringIO("\n".join(self.buffer) + "\n")
        with connection.cursor() as cursor:
            cursor.copy_expert(self.sql, data)
        self.buffer = []


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def _reset_sequences(models):
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )


def nhs_number(n: int) -> str | None:
    """An NHS number in the 999 test range with a valid Modulus 11 check digit, or None (no digit)."""
    stem = f"999{n:06d}"
    check = 11 - sum(int(d) * w for d, w in zip(stem, (10, 9, 8, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    check = 0 if check == 11 else check
    return None if check == 10 else stem + str(check)


def uk(day: date, minutes: int) -> datetime:
    """The aware datetime (UTC) of a UK wall-clock time on a day."""
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=LONDON)
    return local.astimezone(UTC)


@dataclass
class PatientPlan:
    id: int
    family: str
    funding: str
    weight: Decimal
    referral_id: int
    received_on: date
    waiting: bool
    consent_sms: bool
    phone: str
    email: str
    registered: datetime
    insurer: int | None
    commissioner: int | None
    practice: tuple
    condition: str
    # (course id, version, [session ids], first day, last day)
    courses: list = field(default_factory=list)
    first_session: date | None = None
    last_session: date | None = None
    preauth_id: int | None = None


@dataclass
class Options:
    years: int = 10
    patients: int = 20_000
    seed: int = 1
    chairs: int = 12
    per_day: int = 30
    password: str = "scale-bench"


@dataclass
class Result:
    counts: dict
    long_record_session_id: int | None
    seconds: float


def seed_scale(options: Options, *, stream=None) -> Result:
    started = clock.monotonic()
    rng = random.Random(options.seed)
    progress = Progress(steps=13, stream=stream)
    now = timezone.now()
    today = timezone.localdate()
    first_day = today - timedelta(days=round(options.years * 365.25))
    last_day = today + timedelta(days=BOOKED_AHEAD_DAYS)

    # pgtrigger's triggers ask current_setting('pgtrigger.ignore') inside an exception block, which
    # costs a subtransaction per row while the setting is missing (1.4 ms a row: minutes for the
    # invoice lines). An empty list, set for this transaction only, ignores no trigger: each still
    # runs and refuses what it refuses, without the subtransaction.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL pgtrigger.ignore = '{}'")

    # --- reference data: users, protocols, prices, the unit --------------------------------------
    User = get_user_model()
    password = make_password(options.password)
    users = {}
    for username, role, first, last in SCALE_USERS:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
        )
        user.password = password
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        users.setdefault(role, []).append(user.id)
    reception, specialist, admin = users[RECEPTION][0], users[SPECIALIST][0], users[CLINIC_ADMIN][0]
    nurses = users[NURSE]
    seed_protocol_library()
    demo_billing.seed(users={CLINIC_ADMIN: User.objects.get(pk=admin)}, stdout=io.StringIO())
    commissioners = list(Commissioner.objects.order_by("ods_code").values_list("id", flat=True))
    insurers = list(Insurer.objects.order_by("name").values_list("id", flat=True))
    versions = {}
    for version in ProtocolVersion.objects.filter(is_current=True).select_related("protocol__family"):
        for prefix, _share, _gap in FAMILY_MIX:
            if version.name.startswith(prefix):
                versions[prefix] = version
    mix = [(prefix, share, gap) for prefix, share, gap in FAMILY_MIX if prefix in versions]
    location, _ = Location.objects.get_or_create(name=LOCATION, defaults={"address": "Scale Road, M1 1AA"})
    chairs = []
    for i in range(options.chairs):
        chair, _ = Chair.objects.get_or_create(
            location=location, name=f"Chair {i + 1:02d}", defaults={"display_order": i}
        )
        chairs.append(chair.id)
    if not location.opening_hours.exists():
        OpeningHours.objects.bulk_create(
            OpeningHours(location=location, weekday=d, opens=time(8), closes=time(18)) for d in range(5)
        )
    closures = []
    for year in range(first_day.year, last_day.year + 1):
        christmas = date(year, 12, 25)
        closures.append((christmas, christmas + timedelta(days=1)))
        if not Closure.objects.filter(location=location, starts_on=christmas).exists():
            Closure.objects.create(
                location=location,
                starts_on=christmas,
                ends_on=christmas + timedelta(days=1),
                reason="Christmas and Boxing Day",
            )
    closed = {start + timedelta(days=i) for start, end in closures for i in range((end - start).days + 1)}

    def working(day):
        return day.weekday() < 5 and day not in closed

    working_days = [
        first_day + timedelta(days=i)
        for i in range((last_day - first_day).days + 1)
        if working(first_day + timedelta(days=i))
    ]
    shift_ids = _next_id(NurseShift)
    shifts = Copier(NurseShift, ["id", "location_id", "date", "starts", "ends", "nurses"])
    existing_shift_days = set(NurseShift.objects.filter(location=location).values_list("date", flat=True))
    for day in working_days:
        if day not in existing_shift_days:
            shifts.add((shift_ids, location.id, day, time(8), time(18), 6))
            shift_ids += 1
    shifts.flush()
    progress.step("reference data, users and the rota", shifts.count)

    # --- patients, referrals, assessments, weights, prescriptions --------------------------------
    span_days = (today - first_day).days
    target_sessions = len(working_days) * options.per_day
    per_patient = target_sessions / max(options.patients, 1)
    patient_id = _next_id(Patient)
    referral_id = _next_id(Referral)
    assessment_id = _next_id(EligibilityAssessment)
    weight_id = _next_id(WeightRecord)
    prescription_id = _next_id(Prescription)
    patients_copy = Copier(
        Patient,
        [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "nhs_number",
            "address_line1",
            "town",
            "postcode",
            "phone",
            "email",
            "consent_sms",
            "consent_email",
            "gp_practice_name",
            "gp_practice_ods",
            "created_at",
            "updated_at",
        ],
    )
    referrals_copy = Copier(
        Referral,
        [
            "id",
            "patient_id",
            "source",
            "gp_practice_name",
            "gp_practice_ods",
            "received_on",
            "condition",
            "funding_route",
            "insurer_id",
            "policy_number",
            "preauth_number",
            "commissioner_id",
            "status",
            "status_changed_at",
            "rtt_stopped_on",
            "rtt_stop_reason",
            "created_by_id",
            "created_at",
        ],
    )
    plans = []
    nhs_counter = 200_000
    waiting_share = 0.03
    for i in range(options.patients):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        sex = rng.choice("FFFMMU" if i % 50 else "O")
        born = date(rng.randint(1938, 2003), rng.randint(1, 12), rng.randint(1, 28))
        funding = rng.choices([f for f, _ in FUNDING_MIX], weights=[w for _, w in FUNDING_MIX])[0]
        number = ""
        if funding == "nhs" or rng.random() < 0.7:
            while True:
                nhs_counter += 1
                candidate = nhs_number(nhs_counter)
                if candidate:
                    number = candidate
                    break
        town, area = rng.choice(TOWNS)
        practice, ods = rng.choice(PRACTICES)
        family = rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]
        waiting = rng.random() < waiting_share
        if waiting:
            received = today - timedelta(days=rng.randint(1, 120))
        else:
            received = first_day + timedelta(days=rng.randint(-60, span_days))
        registered = uk(received, 9 * 60 + rng.randint(0, 480))
        consent_sms = rng.random() < 0.8
        patients_copy.add(
            (
                patient_id,
                first,
                last,
                born,
                sex,
                number,
                f"{rng.randint(1, 250)} {rng.choice(LAST_NAMES)} Road",
                town,
                f"{area}{rng.randint(1, 40)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                f"+447700900{rng.randint(0, 999):03d}",
                f"{first.lower()}.{last.lower()}.{patient_id}@example.org",
                consent_sms,
                rng.random() < 0.6,
                practice,
                ods,
                registered,
                registered,
            )
        )
        plan = PatientPlan(
            id=patient_id,
            family=family,
            funding=funding,
            weight=Decimal(rng.randint(480, 1150)) / 10,
            referral_id=referral_id,
            received_on=received,
            waiting=waiting,
            consent_sms=consent_sms,
            phone=f"+447700900{rng.randint(0, 999):03d}",
            email=f"{first.lower()}.{last.lower()}.{patient_id}@example.org",
            registered=registered,
            insurer=rng.choice(insurers) if funding == "insured" else None,
            commissioner=rng.choice(commissioners) if funding == "nhs" else None,
            practice=(practice, ods),
            condition=rng.choice(CONDITIONS),
        )
        plans.append(plan)
        patient_id += 1
        referral_id += 1
    patients_copy.flush()
    progress.step("patients", patients_copy.count)

    # --- courses: each patient's treatment window, then the sessions placed day by day ------------
    gaps = {prefix: gap for prefix, _share, gap in mix}
    wanted = []  # (desired first day, plan, version)
    for plan in plans:
        if plan.waiting:
            continue
        version = versions[plan.family]
        low, high = gaps[plan.family]
        per_course = version.course_sessions
        # The first course, then one every gap: per_course * (1 + window / mean gap) sessions.
        sessions_wanted = per_patient * rng.uniform(0.4, 1.8)
        window = (sessions_wanted / per_course - 1) * (low + high) / 2
        window = min(max(int(window), 0), span_days + BOOKED_AHEAD_DAYS)
        start = max(plan.received_on + timedelta(days=rng.randint(14, 70)), first_day)
        end = min(start + timedelta(days=window), last_day)
        day = start
        while day <= end:
            wanted.append((day, plan, version))
            day += timedelta(days=rng.randint(low, high))
    wanted.sort(key=lambda w: (w[0], w[1].id))

    chair_free = {}  # day -> [next free minute of each chair]
    day_load = {}  # day -> sessions placed
    patient_days = set()
    sessions = []  # (id, plan, version, course id, sequence, chair id, start, end)
    session_id = _next_id(InfusionSession)
    course_id = _next_id(Course)
    workday_index = {day: i for i, day in enumerate(working_days)}

    def next_working(day):
        while day <= last_day and day not in workday_index:
            day += timedelta(days=1)
        return day

    def place(day, plan, version):
        """The first working day from `day` with a chair free for the version: (day, chair, start)."""
        minutes = version.chair_minutes
        day = next_working(day)
        while day <= last_day:
            if (plan.id, day) not in patient_days:
                free = chair_free.setdefault(day, [OPENS + rng.choice((0, 0, 15, 30)) for _ in chairs])
                best = min(range(len(free)), key=lambda c: (free[c], c))
                start = free[best]
                if start + minutes <= CLOSES and day_load.get(day, 0) < options.per_day * 1.25:
                    free[best] = start + minutes + rng.choice((0, 15, 15, 30))
                    patient_days.add((plan.id, day))
                    return day, chairs[best], start
            day = next_working(day + timedelta(days=1))
        return None

    for first_wanted, plan, version in wanted:
        placed = []
        day = first_wanted
        for sequence in range(1, version.course_sessions + 1):
            spot = place(day, plan, version)
            if spot is None:
                break
            placed.append((sequence, *spot))
            day_load[spot[0]] = day_load.get(spot[0], 0) + 1
            day = spot[0] + timedelta(days=version.course_interval_days)
        if not placed:
            continue
        ids = []
        for sequence, day, chair, start in placed:
            sessions.append(
                (
                    session_id,
                    plan,
                    version,
                    course_id,
                    sequence,
                    chair,
                    uk(day, start),
                    uk(day, start + version.chair_minutes),
                )
            )
            ids.append(session_id)
            session_id += 1
        plan.courses.append((course_id, version, ids, placed[0][1], placed[-1][1]))
        plan.first_session = plan.first_session or placed[0][1]
        plan.last_session = placed[-1][1]
        course_id += 1

    # Referrals, assessments, weights and prescriptions, now that the first sessions are known.
    assessments = Copier(
        EligibilityAssessment,
        [
            "id",
            "patient_id",
            "referral_id",
            "protocol_family_id",
            "assessed_on",
            "assessed_by_id",
            "weight_kg",
            "ecg_result",
            "pregnancy",
            "decision",
            "created_at",
        ],
    )
    weights = Copier(
        WeightRecord, ["id", "patient_id", "recorded_on", "weight_kg", "recorded_by_id", "created_at"]
    )
    prescriptions = Copier(
        Prescription,
        [
            "id",
            "patient_id",
            "referral_id",
            "family_id",
            "protocol_version_id",
            "weight_record_id",
            "basis_dose",
            "dose_mg",
            "volume_ml",
            "rate_ml_per_h",
            "verdict",
            "prescribed_by_id",
            "prescribed_at",
            "is_active",
        ],
    )
    preauths = Copier(
        PreAuthorisation,
        [
            "id",
            "referral_id",
            "patient_id",
            "insurer_id",
            "policy_number",
            "preauth_number",
            "sessions_authorised",
            "valid_from",
            "valid_to",
            "created_by_id",
            "created_at",
        ],
    )
    preauth_id = _next_id(PreAuthorisation)
    figures = {}
    for plan in plans:
        version = versions[plan.family]
        figures[plan.id] = _dose(version, plan.weight)
        if plan.first_session:
            status = "in_treatment" if plan.last_session >= today - timedelta(days=120) else "discharged"
            assessed = max(plan.first_session - timedelta(days=rng.randint(3, 13)), plan.received_on)
            stopped = plan.first_session
            status_at = uk(plan.last_session if status == "discharged" else plan.first_session, 17 * 60)
        else:
            status = rng.choice(["received", "triaged", "awaiting_assessment", "accepted"])
            assessed = None
            stopped = None
            status_at = uk(plan.received_on, 12 * 60)
        policy = f"POL{plan.id:08d}" if plan.funding == "insured" else ""
        preauth = f"PA{plan.id:08d}" if plan.funding == "insured" else ""
        referrals_copy.add(
            (
                plan.referral_id,
                plan.id,
                "gp",
                plan.practice[0],
                plan.practice[1],
                plan.received_on,
                plan.condition,
                plan.funding,
                plan.insurer,
                policy,
                preauth,
                plan.commissioner,
                status,
                status_at,
                stopped,
                "First definitive treatment" if stopped else "",
                reception,
                plan.registered,
            )
        )
        if assessed is None:
            continue
        assessed_at = uk(assessed, 11 * 60)
        assessments.add(
            (
                assessment_id,
                plan.id,
                plan.referral_id,
                version.protocol.family_id,
                assessed,
                specialist,
                plan.weight,
                "normal" if version.requires_ecg else "not_done",
                "na",
                "eligible",
                assessed_at,
            )
        )
        weights.add((weight_id, plan.id, assessed, plan.weight, specialist, assessed_at))
        dose = figures[plan.id]
        prescriptions.add(
            (
                prescription_id,
                plan.id,
                plan.referral_id,
                version.protocol.family_id,
                version.id,
                weight_id,
                version.default_dose,
                dose["dose_mg"].quantize(Decimal("0.1")),
                dose["volume_ml"],
                dose["rate"],
                "ok",
                specialist,
                assessed_at,
                True,
            )
        )
        if plan.funding == "insured":
            plan.preauth_id = preauth_id
            preauths.add(
                (
                    preauth_id,
                    plan.referral_id,
                    plan.id,
                    plan.insurer,
                    policy,
                    preauth,
                    sum(len(c[2]) for c in plan.courses) + 2,
                    assessed,
                    plan.last_session + timedelta(days=60),
                    reception,
                    assessed_at,
                )
            )
            preauth_id += 1
        assessment_id += 1
        weight_id += 1
        prescription_id += 1
    for copier in (referrals_copy, assessments, weights, prescriptions, preauths):
        copier.flush()
    progress.step("referrals, assessments, weights, prescriptions", referrals_copy.count)

    courses_copy = Copier(
        Course, ["id", "patient_id", "referral_id", "protocol_version_id", "created_by_id", "created_at"]
    )
    for plan in plans:
        for cid, version, _ids, first_session, _last in plan.courses:
            booked = uk(first_session - timedelta(days=rng.randint(7, 21)), 10 * 60)
            courses_copy.add((cid, plan.id, plan.referral_id, version.id, reception, booked))
    courses_copy.flush()
    progress.step("courses", courses_copy.count)

    # --- sessions with their statuses ---------------------------------------------------------------
    sessions.sort(key=lambda s: s[0])
    session_copy = Copier(
        InfusionSession,
        [
            "id",
            "patient_id",
            "referral_id",
            "course_id",
            "sequence",
            "protocol_version_id",
            "chair_id",
            "start",
            "end",
            "status",
            "booked_by_id",
            "booked_at",
            "checked_in_at",
            "cancelled_at",
            "cancelled_by_id",
            "cancel_reason",
            "late_cancellation",
        ],
    )
    status_of = {}
    charted = []  # sessions with a record: (id, plan, version, start, end, status)
    today_start = uk(today, 0)
    for sid, plan, version, cid, sequence, chair, start, end in sessions:
        roll = rng.random()
        checked_in = cancelled_at = cancelled_by = None
        reason, late = "", False
        if start < today_start:
            if roll < 0.06:
                status = "cancelled"
            elif roll < 0.09:
                status = "dna"
            elif start.date() >= today - timedelta(days=SIGN_OFF_LAG_DAYS) and roll < 0.6:
                status = "completed"
            else:
                status = "signed_off"
        elif start.astimezone(LONDON).date() == today:
            if roll < 0.04:
                status = "cancelled"
            elif end <= now:
                status = "completed"
            elif start <= now:
                status = "in_progress"
            elif start <= now + timedelta(hours=1):
                status = "checked_in"
            else:
                status = "booked"
        else:
            status = "cancelled" if roll < 0.04 else "booked"
        if status == "cancelled":
            cancelled_at = start - timedelta(hours=rng.choice((2, 20, 50, 120)))
            cancelled_by = reception
            late = (start - cancelled_at) < timedelta(hours=48)
            reason = rng.choice(
                ["Patient unwell", "Transport fell through", "Work commitment", "Clinic request"]
            )
        if status in ("checked_in", "in_progress", "completed", "signed_off"):
            checked_in = start - timedelta(minutes=rng.randint(0, 15))
        booked_at = min(start - timedelta(days=rng.randint(7, 21)), now)
        session_copy.add(
            (
                sid,
                plan.id,
                plan.referral_id,
                cid,
                sequence,
                version.id,
                chair,
                start,
                end,
                status,
                reception,
                booked_at,
                checked_in,
                cancelled_at,
                cancelled_by,
                reason,
                late,
            )
        )
        status_of[sid] = status
        if status in ("in_progress", "completed", "signed_off"):
            charted.append((sid, plan, version, start, end, status))
    session_copy.flush()
    progress.step("sessions", session_copy.count)

    # --- the session records: infusion, rate changes, observations, alerts, escalations -------------
    long_record = None
    for sid, _plan, version, _start, _end, status in reversed(charted):
        if status == "signed_off" and version.infusion_minutes >= 120:
            long_record = sid
            break
    if long_record is None and charted:
        long_record = charted[0][0]
    records = Copier(
        InfusionRecord,
        [
            "session_id",
            "weight_kg",
            "basis_dose",
            "basis_unit",
            "dose_mg",
            "volume_ml",
            "drug_volume_ml",
            "rate_ml_per_h",
            "duration_minutes",
            "started_at",
            "started_by_id",
            "state",
            "current_rate_ml_per_h",
            "stopped_at",
            "stop_reason",
            "pump_volume_ml",
            "completed_at",
            "completed_by_id",
            "signed_off_at",
            "signed_off_by_id",
        ],
    )
    rates = Copier(
        RateChange,
        ["session_id", "kind", "changed_at", "rate_ml_per_h", "reason", "changed_by_id", "created_at"],
    )
    vital_id = _next_id(VitalSigns)
    vitals = Copier(
        VitalSigns,
        [
            "id",
            "session_id",
            "observed_at",
            "systolic",
            "diastolic",
            "heart_rate",
            "respiratory_rate",
            "spo2",
            "temperature",
            "sedation",
            "pain",
            "news2_total",
            "news2_respiration",
            "news2_spo2",
            "news2_air_or_oxygen",
            "news2_systolic",
            "news2_pulse",
            "news2_consciousness",
            "news2_temperature",
            "news2_band",
            "alert_level",
            "recorded_by_id",
            "recorded_at",
        ],
    )
    escalations = Copier(
        Escalation,
        [
            "session_id",
            "vital_signs_id",
            "informed",
            "informed_at",
            "action",
            "outcome",
            "recorded_by_id",
            "recorded_at",
        ],
    )
    events = Copier(
        AdverseEvent,
        [
            "session_id",
            "occurred_at",
            "event_type",
            "severity",
            "action_taken",
            "notes",
            "recorded_by_id",
            "recorded_at",
        ],
    )
    scores = {}
    completed_sessions = []  # (session id, plan, version, day) for invoices and reviews
    for sid, plan, version, start, end, status in charted:
        nurse = nurses[sid % len(nurses)]
        dose = figures[plan.id]
        started_at = start + timedelta(minutes=version.setup_minutes)
        stopped_at = started_at + timedelta(minutes=version.infusion_minutes)
        done = status in ("completed", "signed_off")
        completed_at = end if done else None
        signed_at = end + timedelta(days=rng.randint(1, 5)) if status == "signed_off" else None
        records.add(
            (
                sid,
                plan.weight if dose["basis_unit"] != "mg" else None,
                version.default_dose,
                dose["basis_unit"],
                dose["dose_mg"],
                dose["volume_ml"],
                dose["drug_volume_ml"],
                dose["rate"],
                version.infusion_minutes,
                started_at,
                nurse,
                "stopped" if done else "running",
                Decimal("0.0") if done else dose["rate"],
                stopped_at if done else None,
                "Infusion complete" if done else "",
                dose["volume_ml"] if done else None,
                completed_at,
                nurse if done else None,
                signed_at,
                specialist if signed_at else None,
            )
        )
        rates.add((sid, "start", started_at, dose["rate"], "", nurse, started_at))
        if done:
            rates.add((sid, "stop", stopped_at, Decimal("0.0"), "Infusion complete", nurse, stopped_at))
            completed_sessions.append((sid, plan, version, start))
        # Observations: a baseline, then every interval to the end of observation (or now).
        until = min(end, now)
        if sid == long_record:
            step = (end - start) / LONG_RECORD_OBSERVATIONS
            times = [start + step * i for i in range(LONG_RECORD_OBSERVATIONS)]
        else:
            times = []
            at = started_at - timedelta(minutes=5)
            while at <= until:
                times.append(at)
                at += timedelta(minutes=version.observation_interval_minutes)
        unwell = rng.random() < 0.03
        for n, at in enumerate(times):
            if unwell and n == len(times) // 2:
                values = (
                    rng.randint(88, 100),
                    rng.randint(50, 60),
                    rng.randint(112, 135),
                    rng.randint(21, 26),
                    rng.randint(92, 95),
                    Decimal(rng.randint(378, 390)) / 10,
                    rng.choice("1223"),
                )
            else:
                values = (
                    rng.randint(108, 142),
                    rng.randint(64, 86),
                    rng.randint(58, 92),
                    rng.randint(12, 18),
                    rng.randint(95, 99),
                    Decimal(rng.randint(362, 374)) / 10,
                    "1",
                )
            result = scores.get(values)
            if result is None:
                systolic, _dia, pulse, resp, spo2, temperature, sedation = values
                result = news2.score(
                    respiratory_rate=resp,
                    spo2=spo2,
                    on_oxygen=False,
                    systolic=systolic,
                    pulse=pulse,
                    acvpu="A",
                    temperature=temperature,
                    sedation=sedation,
                )
                scores[values] = result
            systolic, diastolic, pulse, resp, spo2, temperature, sedation = values
            vitals.add(
                (
                    vital_id,
                    sid,
                    at,
                    systolic,
                    diastolic,
                    pulse,
                    resp,
                    spo2,
                    temperature,
                    sedation,
                    rng.randint(1, 7),
                    result.total,
                    result.respiration,
                    result.spo2,
                    result.air_or_oxygen,
                    result.systolic,
                    result.pulse,
                    result.consciousness,
                    result.temperature,
                    result.band,
                    result.alert_level,
                    nurse,
                    at,
                )
            )
            if result.alert_level > news2.AlertLevel.NONE:
                informed = at + timedelta(minutes=3)
                escalations.add(
                    (
                        sid,
                        vital_id,
                        "Dr Mehta (pain specialist)",
                        informed,
                        "rate_reduced" if result.alert_level == news2.AlertLevel.ALERT else "doctor_review",
                        "Reviewed at the chair; observations settled within 30 minutes.",
                        nurse,
                        informed,
                    )
                )
            vital_id += 1
        if done and rng.random() < 0.02:
            at = started_at + timedelta(minutes=version.infusion_minutes // 2)
            events.add(
                (
                    sid,
                    at,
                    rng.choice(["nausea", "dizziness", "perioral_tingling"]),
                    "mild",
                    "none",
                    "Settled without treatment.",
                    nurse,
                    at,
                )
            )
    for copier in (records, rates):
        copier.flush()
    progress.step("infusion records and rate changes", records.count)
    vitals.flush()
    progress.step("observations (NEWS2 scored)", vitals.count)
    escalations.flush()
    events.flush()
    progress.step("escalations and adverse events", escalations.count + events.count)

    # --- follow-up: diaries, outcome reviews, reminders ---------------------------------------------
    diary = Copier(
        PainDiaryEntry,
        [
            "patient_id",
            "recorded_at",
            "pain_now",
            "pain_average",
            "pain_worst",
            "sleep",
            "rescue_medication",
            "activity",
            "notes",
            "source",
            "reviewed_at",
            "reviewed_by_id",
            "created_at",
        ],
    )
    reviews = Copier(
        OutcomeReview,
        [
            "patient_id",
            "course_id",
            "offset_days",
            "due_on",
            "status",
            "current_pain",
            "pgic",
            "baseline_pain",
            "baseline_source",
            "percent_reduction",
            "responder_30",
            "responder_50",
            "decision",
            "completed_at",
            "completed_by_id",
            "created_at",
        ],
    )
    offsets = (14, 42, 91)
    review_cutoff = today - timedelta(days=REVIEW_LAG_DAYS)
    # Some courses are followed with a diary (about 12 entries each): about 1.7 entries a session.
    n_courses = sum(len(plan.courses) for plan in plans)
    diary_share = min(1.0, DIARY_ENTRIES_PER_SESSION * len(sessions) / (12 * max(n_courses, 1)))
    for plan in plans:
        for cid, _version, ids, first_session, last_session in plan.courses:
            baseline = rng.randint(5, 8)
            # A week of baseline before the course and a diary every few days for six weeks after it.
            diary_days = []
            if rng.random() < diary_share:
                diary_days = [
                    first_session - timedelta(days=d) for d in range(7, 0, -1) if rng.random() < 0.6
                ]
                diary_days += [
                    last_session + timedelta(days=d) for d in range(2, 43, 3) if rng.random() < 0.55
                ]
            for n, day in enumerate(diary_days):
                recorded = uk(day, 19 * 60 + rng.randint(0, 150))
                if recorded > now:
                    break
                after = day > last_session
                average = max(0, min(10, baseline - (rng.randint(0, 4) if after else 0) + rng.randint(-1, 1)))
                pain_now = max(0, min(10, average + rng.randint(-1, 1)))
                worst = min(10, max(average, pain_now) + rng.randint(0, 2))
                reviewed = day < review_cutoff
                diary.add(
                    (
                        plan.id,
                        recorded,
                        pain_now,
                        average,
                        worst,
                        rng.choice(["good", "disturbed", "disturbed", "poor"]),
                        False,
                        rng.choice(["normal", "reduced", "reduced", "minimal"]),
                        DIARY_NOTES[n % len(DIARY_NOTES)],
                        "patient",
                        recorded + timedelta(days=2) if reviewed else None,
                        specialist if reviewed else None,
                        recorded,
                    )
                )
            if status_of.get(ids[-1]) not in ("completed", "signed_off"):
                continue
            for offset in offsets:
                due = last_session + timedelta(days=offset)
                created = uk(last_session, 17 * 60)
                if due < review_cutoff and rng.random() < 0.97:
                    pain = max(0, baseline - rng.randint(0, 5))
                    reduction = Decimal(100 * (baseline - pain) / baseline).quantize(Decimal("0.1"))
                    done_at = uk(due + timedelta(days=rng.randint(0, 5)), 14 * 60)
                    reviews.add(
                        (
                            plan.id,
                            cid,
                            offset,
                            due,
                            "completed",
                            pain,
                            rng.randint(1, 5),
                            Decimal(baseline),
                            "assessment",
                            reduction,
                            reduction >= 30,
                            reduction >= 50,
                            rng.choice(["repeat", "continue", "discharge", "repeat"]),
                            done_at,
                            specialist,
                            created,
                        )
                    )
                else:
                    reviews.add(
                        (
                            plan.id,
                            cid,
                            offset,
                            due,
                            "due",
                            None,
                            None,
                            None,
                            "",
                            None,
                            None,
                            None,
                            "",
                            None,
                            None,
                            created,
                        )
                    )
    diary.flush()
    progress.step("pain diary entries", diary.count)
    reviews.flush()
    progress.step("outcome reviews", reviews.count)

    reminders = Copier(
        ReminderLog,
        [
            "session_id",
            "kind",
            "channel",
            "status",
            "recipient",
            "attempts",
            "claimed_at",
            "attempted_at",
            "sent_at",
            "provider_id",
            "last_error",
        ],
    )
    for sid, plan, _version, _cid, _seq, _chair, start, _end in sessions:
        for hours in (48, 24):
            claimed = start - timedelta(hours=hours)
            if claimed > now:
                continue
            if status_of[sid] == "cancelled" and hours == 24 and rng.random() < 0.5:
                continue
            channel, recipient = ("sms", plan.phone) if plan.consent_sms else ("email", plan.email)
            failed = rng.random() < 0.02
            reminders.add(
                (
                    sid,
                    f"{hours}h",
                    channel,
                    "failed" if failed else "sent",
                    recipient,
                    5 if failed else 1,
                    claimed,
                    claimed + timedelta(seconds=20),
                    None if failed else claimed + timedelta(seconds=21),
                    "" if failed else f"SM{sid:09d}{hours}",
                    "Provider refused the number" if failed else "",
                )
            )
    reminders.flush()
    progress.step("reminder logs", reminders.count)

    # --- billing: an invoice per completed private session, pre-authorisation uses -----------------
    prices = {
        prefix: demo_billing.SESSION_PRICES.get(v.protocol.family.slug) for prefix, v in versions.items()
    }
    invoice_id = _next_id(Invoice)
    line_id = _next_id(InvoiceLine)
    invoices = Copier(
        Invoice,
        [
            "id",
            "kind",
            "status",
            "patient_id",
            "referral_id",
            "funding_route",
            "insurer_id",
            "policy_number",
            "preauth_number",
            "credit_for_id",
            "reason",
            "total",
            "created_at",
            "created_by_id",
        ],
    )
    lines = Copier(
        InvoiceLine,
        [
            "id",
            "invoice_id",
            "kind",
            "description",
            "service_date",
            "quantity",
            "unit_price",
            "amount",
            "session_id",
            "credited_line_id",
        ],
    )
    uses = Copier(PreAuthorisationUse, ["preauthorisation_id", "session_id", "used_at"])
    issue = []  # (invoice id, issued_on, paid_on, status) in issue order
    for sid, plan, version, start in completed_sessions:
        if plan.funding == "nhs":
            continue
        day = start.astimezone(LONDON).date()
        price_pair = prices.get(plan.family) or (Decimal("400.00"), Decimal("420.00"))
        price = price_pair[0] if plan.funding == "self_pay" else price_pair[1]
        created = start + timedelta(hours=6)
        if plan.funding == "insured":
            uses.add((plan.preauth_id, sid, created))
        invoices.add(
            (
                invoice_id,
                "invoice",
                "draft",
                plan.id,
                plan.referral_id,
                plan.funding,
                plan.insurer,
                f"POL{plan.id:08d}" if plan.insurer else "",
                f"PA{plan.id:08d}" if plan.insurer else "",
                None,
                "",
                price,
                created,
                admin,
            )
        )
        lines.add(
            (
                line_id,
                invoice_id,
                "session",
                f"{version.name}, {day:%d/%m/%Y}",
                day,
                1,
                price,
                price,
                sid,
                None,
            )
        )
        issued_on = day + timedelta(days=1)
        paid = issued_on < today - timedelta(days=30) and rng.random() < 0.95
        if issued_on <= today:
            issue.append(
                (invoice_id, issued_on, issued_on + timedelta(days=rng.randint(5, 28)) if paid else None)
            )
        invoice_paid = paid
        invoice_id += 1
        original_line = line_id
        line_id += 1
        if invoice_paid and rng.random() < 0.01:  # a credit note for a disputed charge
            invoices.add(
                (
                    invoice_id,
                    "credit_note",
                    "draft",
                    plan.id,
                    plan.referral_id,
                    plan.funding,
                    plan.insurer,
                    "",
                    "",
                    invoice_id - 1,
                    "Charged in error",
                    price,
                    created + timedelta(days=10),
                    admin,
                )
            )
            lines.add(
                (
                    line_id,
                    invoice_id,
                    "credit",
                    "Credit: charged in error",
                    day,
                    1,
                    price,
                    price,
                    None,
                    original_line,
                )
            )
            issue.append((invoice_id, issued_on + timedelta(days=10), None))
            invoice_id += 1
            line_id += 1
    invoices.flush()
    # The lines' trigger looks each line's invoice up: with statistics it uses the primary key
    # rather than scanning the invoices just copied (without them, 20,000 lines took minutes).
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Invoice._meta.db_table}")
    lines.flush()
    uses.flush()
    issue.sort(key=lambda row: (row[1], row[0]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_number FROM billing_invoicesequence WHERE name = %s", [SEQUENCE_NAME])
        row = cursor.fetchone()
        number = row[0] if row else 0
        buffer = io.StringIO()
        for invoice, issued_on, paid_on in issue:
            number += 1
            buffer.write(f"{invoice}\t{number}\t{issued_on}\t{paid_on or chr(92) + 'N'}\n")
        buffer.seek(0)
        cursor.execute("DROP TABLE IF EXISTS scale_issue")
        cursor.execute(
            "CREATE TEMP TABLE scale_issue (id integer, number integer, issued_on date, paid_on date) ON COMMIT DROP"
        )
        cursor.copy_expert("COPY scale_issue FROM STDIN", buffer)
        cursor.execute(
            "UPDATE billing_invoice i SET number = s.number, issued_on = s.issued_on, paid_on = s.paid_on, "
            "issued_by_id = %s, status = CASE WHEN s.paid_on IS NULL THEN 'issued' ELSE 'paid' END "
            "FROM scale_issue s WHERE i.id = s.id",
            [admin],
        )
    InvoiceSequence.objects.update_or_create(name=SEQUENCE_NAME, defaults={"last_number": number})
    progress.step("invoices, credit notes and pre-authorisation uses", invoices.count)

    touched = [
        NurseShift,
        Patient,
        Referral,
        EligibilityAssessment,
        WeightRecord,
        Prescription,
        PreAuthorisation,
        Course,
        InfusionSession,
        InfusionRecord,
        RateChange,
        VitalSigns,
        Escalation,
        AdverseEvent,
        PainDiaryEntry,
        OutcomeReview,
        ReminderLog,
        Invoice,
        InvoiceLine,
        PreAuthorisationUse,
    ]
    _reset_sequences(touched)
    with connection.cursor() as cursor:
        for model in touched:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    progress.step("sequences and statistics")
    counts = {
        "patients": patients_copy.count,
        "referrals": referrals_copy.count,
        "courses": courses_copy.count,
        "sessions": session_copy.count,
        "records": records.count,
        "observations": vitals.count,
        "escalations": escalations.count,
        "adverse events": events.count,
        "diary entries": diary.count,
        "outcome reviews": reviews.count,
        "reminder logs": reminders.count,
        "invoices": invoices.count,
    }
    return Result(counts=counts, long_record_session_id=long_record, seconds=clock.monotonic() - started)


def _dose(version, weight: Decimal) -> dict:
    """The figures of a session record for a patient's weight, as the dose calculator would give them
    for the version's default dose (protocols/dosing.py); a bench dataset needs plausible figures,
    not a second dose rule."""
    hours = Decimal(version.infusion_minutes) / 60
    if version.dose_basis == "mg_per_kg":
        dose, unit = version.default_dose * weight, "mg/kg"
    elif version.dose_basis == "mg_per_kg_per_h":
        dose, unit = version.default_dose * weight * hours, "mg/kg/h"
    else:
        dose, unit = version.default_dose, "mg"
    dose = min(dose, version.absolute_max_mg).quantize(Decimal("0.01"))
    drug_volume = None
    volume = Decimal(version.diluent_volume_ml)
    if version.concentration_mg_per_ml:
        drug_volume = (dose / version.concentration_mg_per_ml).quantize(Decimal("0.1"))
        volume += drug_volume
    volume = volume.quantize(Decimal("0.1"))
    rate = (volume / hours).quantize(Decimal("0.1"))
    return {
        "dose_mg": dose,
        "basis_unit": unit,
        "volume_ml": volume,
        "drug_volume_ml": drug_volume,
        "rate": rate,
    }

"""The protocol library a fresh clinic starts with: the example defaults in
docs/clinical-reference.md#protocol-defaults.

Every seeded version is flagged is_example ("example defaults: verify locally") and shows a banner
until a clinic admin marks it verified. seed_protocol_library() is idempotent: it creates what is
missing and changes nothing that exists, so a clinic's own edits (new versions) survive a re-run.

It is called by the data migration 0003_seed_protocol_library (with the migration's historical
models) and by demo/protocols.py. Tests that need the library call it themselves, because
transactional tests flush the migration's rows.
"""

from decimal import Decimal as D

FAMILIES = [
    {
        "slug": "lidocaine",
        "name": "Lidocaine",
        "nurse_ratio": 3,
        "display_order": 10,
        "contraindications": [
            "Allergy to amide local anaesthetics",
            "2nd or 3rd-degree heart block without a pacemaker",
            "Recent myocardial infarction",
            "Severe heart failure",
            "Severe hepatic impairment",
            "Uncontrolled epilepsy",
            "Taking class I antiarrhythmics",
        ],
    },
    {
        "slug": "ketamine",
        "name": "Ketamine",
        "nurse_ratio": 2,
        "display_order": 20,
        "contraindications": [
            "Uncontrolled hypertension",
            "History of psychosis",
            "Raised intracranial or intraocular pressure",
            "Severe cardiac disease",
            "Pregnancy",
            "Active substance misuse",
            "Severe hepatic impairment",
        ],
    },
    {
        "slug": "magnesium",
        "name": "Magnesium sulphate",
        "nurse_ratio": 3,
        "display_order": 30,
        "contraindications": [
            "eGFR below 30 mL/min/1.73m²",
            "Heart block",
            "Myasthenia gravis",
        ],
    },
    {
        "slug": "bisphosphonate",
        "name": "Bisphosphonate",
        "nurse_ratio": 3,
        "display_order": 40,
        "contraindications": [
            "eGFR below 35 mL/min/1.73m² (zoledronic acid) or below 30 (pamidronate)",
            "Corrected calcium below 2.20 mmol/L",
            "Pregnancy or breastfeeding",
            "Dental work pending (risk of osteonecrosis of the jaw)",
        ],
    },
    {
        "slug": "corticosteroid",
        "name": "Corticosteroid",
        "nurse_ratio": 3,
        "display_order": 50,
        "contraindications": [
            "Active infection",
            "Uncontrolled diabetes",
            "Active peptic ulcer",
            "Live vaccine in the last 4 weeks",
        ],
    },
]

# Each family's example checklist (docs/clinical-reference.md#eligibility), by family slug: seeded as
# the family's `contraindications`, and the eligibility form's fallback while a family's list is empty.
EXAMPLE_CONTRAINDICATIONS = {family["slug"]: family["contraindications"] for family in FAMILIES}

# family slug, protocol slug, protocol name, first version's fields.
PROTOCOLS = [
    (
        "lidocaine",
        "lidocaine",
        "Lidocaine",
        {
            "name": "Lidocaine 5 mg/kg over 60 min",
            "drug": "Lidocaine 1%",
            "concentration_mg_per_ml": D("10"),
            "dose_basis": "mg_per_kg",
            "default_dose": D("5"),
            "soft_limit": D("5"),
            "hard_limit": D("7"),
            "absolute_max_mg": D("500"),
            "infusion_minutes": 60,
            "diluent": "NaCl 0.9%",
            "diluent_volume_ml": 250,
            "observation_interval_minutes": 15,
            "observation_minutes": 30,
            "requires_ecg": True,
            "monitoring": "ECG and blood pressure",
            "course_sessions": 1,
            "course_interval_days": 28,
            "note": "One session; repeat after 4-12 weeks if it helped. Stop the infusion at signs of "
            "toxicity: tinnitus, metallic taste, perioral numbness, slurred speech.",
        },
    ),
    (
        "ketamine",
        "ketamine",
        "Ketamine",
        {
            "name": "Ketamine 0.3 mg/kg/h over 4 hours",
            "drug": "Ketamine",
            "concentration_mg_per_ml": D("10"),
            "dose_basis": "mg_per_kg_per_h",
            "default_dose": D("0.3"),
            "soft_limit": D("0.5"),
            "hard_limit": D("1.0"),
            "absolute_max_mg": D("300"),
            "infusion_minutes": 240,
            "diluent": "NaCl 0.9%",
            "diluent_volume_ml": 250,
            "observation_interval_minutes": 15,
            "observation_minutes": 60,
            "requires_ecg": False,
            "monitoring": "Continuous SpO2, blood pressure and sedation (POSS); nurse ratio 1:2",
            "course_sessions": 5,
            "course_interval_days": 1,
            "note": "Five consecutive days. Session dose = rate x weight x hours, capped by the absolute maximum.",
        },
    ),
    (
        "magnesium",
        "magnesium-sulphate",
        "Magnesium sulphate",
        {
            "name": "Magnesium sulphate 2 g over 30 min",
            "drug": "Magnesium sulphate 50%",
            "concentration_mg_per_ml": D("500"),
            "dose_basis": "fixed_mg",
            "default_dose": D("2000"),
            "soft_limit": D("3000"),
            "hard_limit": D("4000"),
            "absolute_max_mg": D("4000"),
            "infusion_minutes": 30,
            "diluent": "NaCl 0.9%",
            "diluent_volume_ml": 100,
            "observation_interval_minutes": 15,
            "observation_minutes": 30,
            "requires_ecg": False,
            "monitoring": "Blood pressure and tendon reflexes",
            "course_sessions": 1,
            "course_interval_days": 1,
            "note": "Doses in grams are stored in mg (2 g = 2000 mg).",
        },
    ),
    (
        "bisphosphonate",
        "zoledronic-acid",
        "Zoledronic acid",
        {
            "name": "Zoledronic acid 5 mg over 15 min",
            "drug": "Zoledronic acid",
            "concentration_mg_per_ml": None,
            "dose_basis": "fixed_mg",
            "default_dose": D("5"),
            "soft_limit": D("5"),
            "hard_limit": D("5"),
            "absolute_max_mg": D("5"),
            "infusion_minutes": 15,
            "diluent": "ready-to-use solution",
            "diluent_volume_ml": 100,
            "observation_interval_minutes": 15,
            "observation_minutes": 30,
            "requires_ecg": False,
            "monitoring": "Corrected calcium and eGFR before the dose",
            "contraindications": "eGFR below 35 mL/min/1.73m².",
            "course_sessions": 1,
            "course_interval_days": 365,
            "note": "Infuse over at least 15 minutes. One session, yearly.",
        },
    ),
    (
        "bisphosphonate",
        "pamidronate",
        "Pamidronate",
        {
            "name": "Pamidronate 60 mg over 2 hours",
            "drug": "Pamidronate disodium",
            "concentration_mg_per_ml": None,
            "dose_basis": "fixed_mg",
            "default_dose": D("60"),
            "soft_limit": D("60"),
            "hard_limit": D("90"),
            "absolute_max_mg": D("90"),
            "max_rate_mg_per_hour": D("60"),
            "infusion_minutes": 120,
            "diluent": "NaCl 0.9%",
            "diluent_volume_ml": 250,
            "observation_interval_minutes": 30,
            "observation_minutes": 30,
            "requires_ecg": False,
            "monitoring": "Corrected calcium and eGFR before the dose",
            "contraindications": "eGFR below 30 mL/min/1.73m².",
            "course_sessions": 3,
            "course_interval_days": 1,
            "note": "Three consecutive days. The rate must not exceed 60 mg/h.",
        },
    ),
    (
        "corticosteroid",
        "methylprednisolone",
        "Methylprednisolone",
        {
            "name": "Methylprednisolone 500 mg over 60 min",
            "drug": "Methylprednisolone sodium succinate",
            "concentration_mg_per_ml": None,
            "dose_basis": "fixed_mg",
            "default_dose": D("500"),
            "soft_limit": D("500"),
            "hard_limit": D("1000"),
            "absolute_max_mg": D("1000"),
            "infusion_minutes": 60,
            "diluent": "NaCl 0.9%",
            "diluent_volume_ml": 250,
            "observation_interval_minutes": 30,
            "observation_minutes": 30,
            "requires_ecg": False,
            "monitoring": "Blood pressure",
            "course_sessions": 3,
            "course_interval_days": 1,
            "note": "Three consecutive days.",
        },
    ),
]

SETUP_MINUTES = 15


# The pump's rate limits of the first example versions (example defaults, verified by each clinic;
# docs/clinical-reference.md#rate-limits): the bag never runs faster than the minimum duration.
# Lidocaine and magnesium never faster than written, methylprednisolone over at least 30 minutes,
# zoledronic acid over at least 15 minutes (renal toxicity); ketamine is held by its mg/kg/h limits
# and pamidronate by its 60 mg/h maximum, so neither needs a minimum. Added after the first seed
# (migration 0004), so kept apart from PROTOCOLS.
RATE_LIMITS = {
    "lidocaine": {"min_infusion_minutes": 60},
    "magnesium-sulphate": {"min_infusion_minutes": 30},
    "zoledronic-acid": {"min_infusion_minutes": 15},
    "methylprednisolone": {"min_infusion_minutes": 30},
}


def apply_rate_limits(ProtocolVersion) -> int:
    """Give the seeded example versions their rate limits (a data migration and the seed call this)."""
    updated = 0
    for slug, values in RATE_LIMITS.items():
        updated += ProtocolVersion.objects.filter(protocol__slug=slug, version=1, is_example=True).update(
            **values
        )
    return updated


def seed_protocol_library(*, apps=None) -> int:
    """Create the five families, their protocols and a first example version of each.

    Returns the number of versions created. `apps` is the migration's app registry when called
    from a data migration; otherwise the live models are used.
    """
    if apps is None:
        from .models import Protocol, ProtocolFamily, ProtocolVersion
    else:
        ProtocolFamily = apps.get_model("protocols", "ProtocolFamily")
        Protocol = apps.get_model("protocols", "Protocol")
        ProtocolVersion = apps.get_model("protocols", "ProtocolVersion")

    families = {}
    for data in FAMILIES:
        defaults = {k: v for k, v in data.items() if k != "slug"}
        families[data["slug"]], _ = ProtocolFamily.objects.get_or_create(slug=data["slug"], defaults=defaults)

    created = 0
    for family_slug, slug, name, fields in PROTOCOLS:
        protocol, _ = Protocol.objects.get_or_create(
            slug=slug, defaults={"family": families[family_slug], "name": name}
        )
        if ProtocolVersion.objects.filter(protocol=protocol).exists():
            continue
        ProtocolVersion.objects.create(
            protocol=protocol,
            version=1,
            setup_minutes=SETUP_MINUTES,
            is_current=True,
            is_example=True,
            **fields,
        )
        created += 1
    if any(f.name == "min_infusion_minutes" for f in ProtocolVersion._meta.get_fields()):
        apply_rate_limits(ProtocolVersion)
    return created

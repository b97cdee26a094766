"""The CapabilityStatement at /fhir/metadata: what this server reads and searches."""

from __future__ import annotations

from django.conf import settings

from .search import DEFAULT_COUNT, MAX_COUNT

DOCS = {
    "Patient": "The clinic's patients; identifier https://fhir.nhs.uk/Id/nhs-number|<NHS number>.",
    "ServiceRequest": "Referrals to the clinic (GP or self-referral).",
    "Appointment": "Infusion sessions (booked, attended, cancelled, did not attend).",
    "Observation": (
        "Charted vital signs (LOINC, UCUM), pain score and NEWS2 score (SNOMED CT); recorded body "
        "weights (LOINC 29463-7, kg)."
    ),
    "MedicationAdministration": "The dose actually given in an infusion, from the session record.",
}


def capability_statement(*, base: str, searches, now) -> dict:
    resources = []
    for resource_type, search in searches.items():
        resources.append(
            {
                "type": resource_type,
                "documentation": DOCS.get(resource_type, ""),
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [{"name": name, "type": kind} for name, kind in search.params.items()],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "id": "infusion-clinic",
        "status": "active",
        "date": now.date().isoformat(),
        "publisher": getattr(settings, "CLINIC_NAME", "Infusion Clinic"),
        "kind": "instance",
        "software": {"name": "Infusion Clinic"},
        "implementation": {"description": "Infusion Clinic FHIR R4 server (read and search)", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    f"Read-only. Searches page with _count (default {DEFAULT_COUNT}, at most {MAX_COUNT}) and "
                    "_offset; the Bundle's next and previous links carry them. Unknown parameters are refused "
                    "with 400 unless the request sends 'Prefer: handling=lenient'. Staff session sign-in, "
                    "with the same permissions as the clinic's pages."
                ),
                "security": {
                    "description": "The clinic's staff session (and its second factor where the role needs one)."
                },
                "resource": resources,
            }
        ],
    }

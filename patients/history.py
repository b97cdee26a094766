"""Who changed a patient's details, what and when, read from django-simple-history.

All history rows come in one query (with their users); the differences between consecutive rows are
worked out here, so the page costs the same whatever the number of changes. Fields that only clinical
staff may see (the clinical notes) are counted but their values hidden from other roles, as on the
patient page."""

from dataclasses import dataclass, field
from datetime import datetime

from infusion_clinic.dates import uk_date

from .models import Patient
from .validators import format_nhs_number

HIDDEN_FIELDS = {"id", "created_at", "updated_at"}
CLINICAL_FIELDS = {"notes"}  # allergies are safety information: every role sees them
HISTORY_LIMIT = 200


@dataclass
class FieldChange:
    label: str
    old: str
    new: str
    clinical: bool = False


@dataclass
class PatientChange:
    at: datetime
    by: object
    kind: str  # "created" or "changed"
    changes: list[FieldChange] = field(default_factory=list)
    hidden_changes: int = 0  # clinical fields changed whose values this role may not see


def _tracked_fields():
    return [f for f in Patient._meta.concrete_fields if f.name not in HIDDEN_FIELDS]


def _label(model_field) -> str:
    name = str(model_field.verbose_name)
    return name[:1].upper() + name[1:]  # "UK phone", "NHS number": keep the capitals


def _display(model_field, value) -> str:
    if value is None or value == "":
        return "(empty)"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if model_field.name == "nhs_number":
        return format_nhs_number(value)
    if hasattr(value, "strftime"):
        return uk_date(value)
    return str(value)


def patient_changes(*, patient, include_clinical: bool, limit: int = HISTORY_LIMIT) -> list[PatientChange]:
    """The patient's changes, newest first (at most `limit`)."""
    rows = list(
        Patient.history.filter(id=patient.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    rows.reverse()  # oldest first, so that each row is compared with the one before it
    fields = _tracked_fields()
    changes = []
    for index, row in enumerate(rows):
        if index == 0 and len(rows) > limit:
            continue  # only the baseline for the next row: older than the page shows
        previous = rows[index - 1] if index else None
        entry = PatientChange(
            at=row.history_date,
            by=row.history_user,
            kind="created" if row.history_type == "+" or previous is None else "changed",
        )
        if entry.kind == "changed":
            for model_field in fields:
                old, new = getattr(previous, model_field.attname), getattr(row, model_field.attname)
                if old == new:
                    continue
                clinical = model_field.name in CLINICAL_FIELDS
                if clinical and not include_clinical:
                    entry.hidden_changes += 1
                    continue
                entry.changes.append(
                    FieldChange(
                        label=_label(model_field),
                        old=_display(model_field, old),
                        new=_display(model_field, new),
                        clinical=clinical,
                    )
                )
            if not entry.changes and not entry.hidden_changes:
                continue  # saved with nothing changed
        changes.append(entry)
    changes.reverse()
    return changes

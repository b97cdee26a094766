"""Reads of the access audit, newest first."""

from .models import AccessEvent


def events_for_patient(*, patient_id: int):
    return AccessEvent.objects.filter(patient_id=patient_id).select_related("user", "content_type")


def events_for_user(*, user_id: int):
    return AccessEvent.objects.filter(user_id=user_id).select_related("content_type")


def patient_label(*, patient_id: int) -> str:
    """The patient's name as the audit last recorded it (the audit reads no patients table)."""
    label = (
        AccessEvent.objects.filter(patient_id=patient_id, kind="patient")
        .values_list("label", flat=True)
        .first()
    )
    return label or f"Patient {patient_id}"

from django import template

from sessions import hooks
from sessions.selectors import upcoming_sessions_for_patient

register = template.Library()


@register.simple_tag
def page_fragments(slot):
    """{% page_fragments "board_session" as fragments %}: the templates higher apps add to a slot of
    the scheduling pages (sessions/hooks.py), to {% include %} one by one."""
    return list(hooks.page_fragments.get(slot, ()))


@register.simple_tag
def upcoming_sessions_for(patient):
    """{% upcoming_sessions_for patient as sessions %}: the patient's coming sessions (one query)."""
    if patient is None or not getattr(patient, "pk", None):
        return []
    return upcoming_sessions_for_patient(patient=patient)


STATUS_CLASSES = {
    "booked": "status-booked",
    "checked_in": "status-checked-in",
    "in_progress": "status-in-progress",
    "completed": "status-completed",
    "signed_off": "status-signed-off",
    "cancelled": "status-cancelled",
    "dna": "status-dna",
    "rescheduled": "status-rescheduled",
}

BADGES = {
    "booked": "text-bg-primary",
    "checked_in": "text-bg-info",
    "in_progress": "text-bg-warning",
    "completed": "text-bg-success",
    "signed_off": "text-bg-dark",
    "cancelled": "text-bg-secondary",
    "dna": "text-bg-danger",
    "rescheduled": "text-bg-light border",
}


@register.filter
def status_class(status):
    return STATUS_CLASSES.get(status, "")


@register.filter
def status_badge(status):
    return BADGES.get(status, "text-bg-secondary")


@register.filter
def hhmm(minute):
    minute = int(minute)
    return f"{minute // 60:02d}:{minute % 60:02d}"

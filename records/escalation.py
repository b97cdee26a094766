"""Writes of NEWS2 escalation entries (issue 12, item 4).

An entry may be added while the record is open and after completion until sign-off (a specialist
refused sign-off adds the missing one); a signed-off record is read-only. Keyword-only, one
transaction, the session row locked first as every record write does, errors keyed by form field.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from sessions.models import SessionStatus

from .models import Escalation, VitalSigns
from .news2 import AlertLevel
from .services import LOCKED_MESSAGE, OPEN_STATUSES, _check_time, _lock

ESCALATION_STATUSES = (*OPEN_STATUSES, SessionStatus.COMPLETED)


def _ensure_escalation_allowed(session):
    if session.status in ESCALATION_STATUSES:
        return
    if session.status in LOCKED_MESSAGE:
        raise ValidationError({NON_FIELD_ERRORS: LOCKED_MESSAGE[session.status]})
    raise ValidationError(
        {
            NON_FIELD_ERRORS: f"This session is {session.get_status_display().lower()}: there is no alert to escalate."
        }
    )


@transaction.atomic
def record_escalation(
    *, session, by, vital_signs, informed: str, informed_at, action: str, outcome: str
) -> Escalation:
    """Record who was informed of an alert, when, the action taken and the outcome."""
    session = _lock(session)
    _ensure_escalation_allowed(session)
    if vital_signs is None:
        raise ValidationError({"vital_signs": "Choose the alert this escalation answers."})
    observation = VitalSigns.objects.filter(pk=vital_signs.pk, session=session).first()
    if observation is None:
        raise ValidationError({"vital_signs": "This observation belongs to another session."})
    if observation.alert_level < AlertLevel.ALERT:
        raise ValidationError({"vital_signs": "This observation raised no NEWS2 alert."})
    escalation = Escalation(
        session=session,
        vital_signs=observation,
        informed=(informed or "").strip(),
        informed_at=informed_at,
        action=action or "",
        outcome=(outcome or "").strip(),
        recorded_by=by,
    )
    escalation.full_clean()
    _check_time(
        "informed_at", informed_at, not_before=observation.observed_at, not_before_label="the observation"
    )
    escalation._history_user = by
    escalation.save()
    return escalation

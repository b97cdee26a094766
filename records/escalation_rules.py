"""Which NEWS2 alerts still need an escalation entry, and the refusal of completion and sign-off.

An alert episode is a run of observations at an alert level (NEWS2 5+, a 3 in one parameter, POSS
3-4), ended by an observation below the alert threshold. One escalation entry answers the episode up
to its own level: an alert escalated as "alert" and then worsening to "urgent" needs a new entry, an
urgent one escalated covers the alert readings around it. The rule is written once, as a queryset,
so that the record page, the services, the day board and the dashboard agree (and stay one query).
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from infusion_clinic.dates import uk_time

from .models import Escalation, VitalSigns
from .news2 import AlertLevel


def unescalated_alerts():
    """Alerting observations that no escalation entry of their episode answers, at their level or above."""
    # An observation below the alert threshold between the escalated observation and this one
    # (either way round in time) ends the episode: the entry does not reach across it.
    calm_between = VitalSigns.objects.filter(
        session=OuterRef(OuterRef("session")), alert_level=AlertLevel.NONE
    ).filter(
        Q(
            observed_at__gt=OuterRef("vital_signs__observed_at"),
            observed_at__lt=OuterRef(OuterRef("observed_at")),
        )
        | Q(
            observed_at__lt=OuterRef("vital_signs__observed_at"),
            observed_at__gt=OuterRef(OuterRef("observed_at")),
        )
    )
    covering = Escalation.objects.filter(
        session=OuterRef("session"), vital_signs__alert_level__gte=OuterRef("alert_level")
    ).filter(~Exists(calm_between))
    return VitalSigns.objects.filter(alert_level__gte=AlertLevel.ALERT).filter(~Exists(covering))


def unescalated_alerts_for(*, session) -> list[VitalSigns]:
    """One session's unescalated alerts, earliest first (one query)."""
    return list(unescalated_alerts().filter(session=session).order_by("observed_at", "id"))


def has_unescalated_alert():
    """An annotation for a queryset of sessions: True when one of its alerts has no escalation."""
    return Exists(unescalated_alerts().filter(session=OuterRef("pk")))


def escalation_url(session, vital_signs=None) -> str:
    url = reverse("records:session_record_escalation", args=[session.pk])
    return f"{url}?vitals={vital_signs.pk}" if vital_signs is not None else url


def ensure_alerts_escalated(*, session, doing: str):
    """Refuse `doing` ("completing", "signing off") while an alert has no escalation entry."""
    pending = unescalated_alerts_for(session=session)
    if not pending:
        return
    first = pending[0]
    level = "urgent alert" if first.alert_level >= AlertLevel.URGENT else "alert"
    more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
    raise ValidationError(
        {
            NON_FIELD_ERRORS: ValidationError(
                "The NEWS2 %(level)s at %(time)s%(more)s has no escalation entry: record who was informed, "
                "the action and the outcome before %(doing)s.",
                code="unescalated_alert",
                params={
                    "level": level,
                    "time": uk_time(first.observed_at),
                    "more": more,
                    "doing": doing,
                },
            )
        }
    )

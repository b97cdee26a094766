"""Appointment reminders, each delivered at most once.

The guard is the ReminderLog row, unique on (session, kind, channel):
1. claim: insert the row in its own transaction; an IntegrityError means another worker has it;
2. deliver: a conditional UPDATE (pending/retrying -> sending) lets one worker at a time try it,
   healthchecks-style: act only if one row changed;
3. mark sent only after the backend accepted the message; a failure records the error and leaves
   the row retrying (the task retries with backoff) or failed (permanent error, or out of retries).
A worker that dies while sending leaves the row "sending"; the sweep marks it failed with "outcome
unknown" instead of sending again, because a second message is worse than a missing one here.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template import Context, Engine
from django.utils import timezone

from .messaging import DeliveryError, send_email, send_sms
from .models import InfusionSession, SessionStatus
from .reminder_models import (
    DEFAULT_REMINDER_TEMPLATES,
    ReminderChannel,
    ReminderLog,
    ReminderStatus,
    ReminderTemplate,
)

logger = logging.getLogger(__name__)

# Only sessions still waiting for the patient get reminders.
REMINDABLE_STATUSES = (SessionStatus.BOOKED,)
# A claimed reminder nobody has touched for this long is dispatched again (its task was lost).
STALE_AFTER = timedelta(minutes=15)
# A reminder "sending" for this long belonged to a worker that died mid-send.
SENDING_GIVE_UP_AFTER = timedelta(minutes=30)

_engine = Engine(libraries={}, autoescape=False)


# --- due-time arithmetic -------------------------------------------------------------------------


def kind_for(lead_hours: int) -> str:
    return f"{lead_hours}h"


def applicable_lead(*, start: datetime, now: datetime, leads=None) -> int | None:
    """The one lead time (hours) whose reminder is due now, or None.

    It is the smallest lead at least as long as the time left: 30 h before a session the 48 h
    reminder is due, 20 h before it the 24 h one. A session booked 10 h ahead gets only the 24 h
    reminder rather than two at once, and a session that has started gets none.
    """
    leads = settings.REMINDER_LEAD_HOURS if leads is None else leads
    if start <= now:
        return None
    left = start - now
    fitting = [hours for hours in leads if timedelta(hours=hours) >= left]
    return min(fitting) if fitting else None


def parse_quiet_hours(value: str | None) -> tuple[time, time] | None:
    """'21:00-08:00' -> (time(21), time(8)); empty -> None (no quiet hours)."""
    if not value:
        return None
    try:
        start_text, end_text = value.split("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"SMS_QUIET_HOURS must look like 21:00-08:00, not {value!r}") from exc
    return (start, end) if start != end else None


def quiet_hours_end(moment: datetime, quiet=None) -> datetime | None:
    """If `moment` falls in the SMS quiet hours (UK time), the moment they end; otherwise None."""
    quiet = parse_quiet_hours(settings.SMS_QUIET_HOURS) if quiet is None else quiet
    if not quiet:
        return None
    start, end = quiet
    local = timezone.localtime(moment)
    clock = local.time()
    if start < end:  # e.g. 13:00-14:00, within one day
        inside = start <= clock < end
        end_date = local.date()
    else:  # e.g. 21:00-08:00, across midnight
        inside = clock >= start or clock < end
        end_date = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return timezone.make_aware(datetime.combine(end_date, end), timezone.get_default_timezone())


def sms_send_time(moment: datetime, quiet=None) -> datetime:
    """When an SMS due at `moment` may go: then, or when the quiet hours end."""
    return quiet_hours_end(moment, quiet) or moment


# --- wording ---------------------------------------------------------------------------------------


def reminder_context(session) -> dict:
    """Plain strings only: a clinic-edited template never reaches a model object."""
    local = timezone.localtime(session.start)
    return {
        "first_name": session.patient.first_name,
        "date": f"{local:%a} {local.day} {local:%b}",
        "time": f"{local:%H:%M}",
        "location": session.chair.location.name,
        "clinic_name": settings.CLINIC_NAME,
    }


def template_for(channel: str) -> dict:
    saved = ReminderTemplate.objects.filter(channel=channel).values("subject", "body").first()
    return saved or DEFAULT_REMINDER_TEMPLATES[channel]


def render_reminder(*, session, channel: str, template: dict | None = None) -> tuple[str, str]:
    template = template or template_for(channel)
    context = Context(reminder_context(session), autoescape=False)
    subject = _engine.from_string(template["subject"]).render(context).strip() if template["subject"] else ""
    body = _engine.from_string(template["body"]).render(context).strip()
    return " ".join(subject.split()), body


# --- claim, deliver, record ------------------------------------------------------------------------


def _recipient(patient, channel) -> str:
    return patient.email if channel == ReminderChannel.EMAIL else patient.phone


def _consented(patient, channel) -> bool:
    return patient.consent_email if channel == ReminderChannel.EMAIL else patient.consent_sms


def channels_for(patient) -> list[str]:
    return [c for c in (ReminderChannel.EMAIL, ReminderChannel.SMS) if _consented(patient, c)]


def claim_reminder(*, session, kind: str, channel: str, now: datetime) -> ReminderLog | None:
    """Insert the reminder's row; None when another worker (or an earlier run) already has it."""
    try:
        with transaction.atomic():
            return ReminderLog.objects.create(
                session=session,
                kind=kind,
                channel=channel,
                recipient=_recipient(session.patient, channel),
                status=ReminderStatus.PENDING,
                claimed_at=now,
            )
    except IntegrityError:
        return None


def _settle(log_id, **values):
    ReminderLog.objects.filter(pk=log_id).update(**values)


def deliver_reminder(*, log_id: int, now: datetime | None = None) -> ReminderLog | None:
    """Send one claimed reminder. Returns the settled row, or None when someone else holds it or it
    must wait (SMS in quiet hours). Raises DeliveryError when the task should retry later."""
    now = now or timezone.now()
    log = ReminderLog.objects.select_related("session__patient", "session__chair__location").get(pk=log_id)
    if log.channel == ReminderChannel.SMS and quiet_hours_end(now):
        return None  # the sweep dispatches it again once the quiet hours are over
    taken = ReminderLog.objects.filter(
        pk=log_id, status__in=(ReminderStatus.PENDING, ReminderStatus.RETRYING)
    ).update(status=ReminderStatus.SENDING, attempts=F("attempts") + 1, attempted_at=now)
    if not taken:
        return None
    log.attempts += 1
    session, patient = log.session, log.session.patient
    recipient = _recipient(patient, log.channel)

    skip_reason = ""
    if session.status not in REMINDABLE_STATUSES:
        skip_reason = f"The session is {session.get_status_display().lower()}."
    elif session.start <= now:
        skip_reason = "The session had already started."
    elif not _consented(patient, log.channel):
        skip_reason = f"The patient has not consented to {log.get_channel_display()} reminders."
    if skip_reason:
        _settle(log_id, status=ReminderStatus.SKIPPED, last_error=skip_reason, recipient=recipient)
        log.status, log.last_error = ReminderStatus.SKIPPED, skip_reason
        return log

    try:
        subject, body = render_reminder(session=session, channel=log.channel)
        if log.channel == ReminderChannel.EMAIL:
            provider_id = send_email(to=recipient, subject=subject, body=body)
        else:
            provider_id = send_sms(to=recipient, body=body)
    except DeliveryError as exc:
        give_up = exc.permanent or log.attempts > settings.REMINDER_MAX_RETRIES
        status = ReminderStatus.FAILED if give_up else ReminderStatus.RETRYING
        _settle(log_id, status=status, last_error=str(exc)[:2000], recipient=recipient)
        logger.warning("Reminder %s %s (attempt %s): %s", log_id, status, log.attempts, exc)
        log.status, log.last_error = status, str(exc)
        if give_up:
            return log
        raise
    except Exception as exc:  # a template or programming error: record it, never leave "sending"
        _settle(log_id, status=ReminderStatus.FAILED, last_error=f"Unexpected error: {exc}"[:2000])
        raise
    sent_at = timezone.now()
    _settle(
        log_id,
        status=ReminderStatus.SENT,
        sent_at=sent_at,
        provider_id=(provider_id or "")[:100],
        recipient=recipient,
        last_error="",
    )
    log.status, log.sent_at = ReminderStatus.SENT, sent_at
    return log


# --- the batch -------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    claimed: list[int] = field(default_factory=list)
    redispatched: list[int] = field(default_factory=list)
    deferred_sms: int = 0
    gave_up: int = 0

    def __str__(self):
        return (
            f"{len(self.claimed)} reminder(s) claimed, {len(self.redispatched)} dispatched again, "
            f"{self.deferred_sms} SMS waiting for the end of quiet hours, {self.gave_up} marked outcome unknown"
        )


def due_reminders(*, now: datetime):
    """(session, kind, channel) triples due now and not yet claimed. Two queries."""
    leads = settings.REMINDER_LEAD_HOURS
    if not leads:
        return []
    horizon = now + timedelta(hours=max(leads))
    window = Q(status__in=REMINDABLE_STATUSES, start__gt=now, start__lte=horizon)
    sessions = list(
        InfusionSession.objects.filter(window)
        .filter(Q(patient__consent_email=True) | Q(patient__consent_sms=True))
        .select_related("patient", "chair__location")
        .order_by("start", "pk")
    )
    claimed = set(
        ReminderLog.objects.filter(
            session__status__in=REMINDABLE_STATUSES, session__start__gt=now, session__start__lte=horizon
        ).values_list("session_id", "kind", "channel")
    )
    due = []
    for session in sessions:
        kind = kind_for(applicable_lead(start=session.start, now=now, leads=leads))
        for channel in channels_for(session.patient):
            if (session.pk, kind, channel) not in claimed:
                due.append((session, kind, channel))
    return due


def run_due_reminders(*, now: datetime | None = None, dispatch) -> BatchResult:
    """Claim every due reminder and hand each claimed row to `dispatch(log_id)` (a task's delay).

    Safe to run twice at once: a reminder is claimed by one run only.
    """
    now = now or timezone.now()
    result = BatchResult()
    quiet = bool(quiet_hours_end(now))

    # A worker that died mid-send: do not send again, let reception check and decide.
    result.gave_up = ReminderLog.objects.filter(
        status=ReminderStatus.SENDING, attempted_at__lt=now - SENDING_GIVE_UP_AFTER
    ).update(
        status=ReminderStatus.FAILED,
        last_error="Outcome unknown: the worker stopped while sending. Check with the patient before retrying.",
    )
    # Claimed rows whose task was lost, or retries whose task is gone: dispatch again.
    stale = ReminderLog.objects.annotate(touched=Coalesce("attempted_at", "claimed_at")).filter(
        status__in=(ReminderStatus.PENDING, ReminderStatus.RETRYING), touched__lt=now - STALE_AFTER
    )
    if quiet:
        stale = stale.exclude(channel=ReminderChannel.SMS)
    for log_id in stale.values_list("pk", flat=True):
        result.redispatched.append(log_id)
        dispatch(log_id)

    for session, kind, channel in due_reminders(now=now):
        if channel == ReminderChannel.SMS and quiet:
            result.deferred_sms += 1
            continue
        log = claim_reminder(session=session, kind=kind, channel=channel, now=now)
        if log is None:
            continue
        result.claimed.append(log.pk)
        dispatch(log.pk)
    return result


@transaction.atomic
def retry_failed_reminder(*, log: ReminderLog, user) -> ReminderLog:
    """Reception's retry: a failed reminder goes back to pending (then the caller dispatches it)."""
    from django.core.exceptions import ValidationError

    changed = ReminderLog.objects.filter(pk=log.pk, status=ReminderStatus.FAILED).update(
        status=ReminderStatus.PENDING, attempts=0, retried_by=user, claimed_at=timezone.now()
    )
    if not changed:
        raise ValidationError({"status": "Only a failed reminder can be retried; this one is not failed now."})
    log.refresh_from_db()
    return log

"""Appointment reminders, each delivered at most once.

The guard is the ReminderLog row, unique on (session, kind, channel):
1. claim: insert the rows in a transaction of their own; a unique-constraint conflict (INSERT ...
   ON CONFLICT DO NOTHING RETURNING id: the set form of catching IntegrityError) means another
   worker or an earlier run has that reminder;
2. take: a conditional UPDATE (pending/retrying -> sending, under SELECT ... FOR UPDATE SKIP
   LOCKED) lets exactly one worker try it, healthchecks-style: act only on the rows you changed;
3. mark sent only after the backend accepted the message; a failure records the error and leaves
   the row retrying (the Celery task retries with backoff) or failed (permanent error, or out of
   retries). Each outcome is written as soon as that message is settled (its own commit), so a
   database error later in a chunk loses nothing already sent.
A message that went out with no answer (a provider read timeout) is "unknown", never resent by a
retry: reception sees it beside the failures and decides. Every attempt at one reminder carries the
same idempotency key (`idempotency_key`, from the log's id), so a deliberate retry is recognisable.
A worker that dies while sending leaves rows "sending"; the sweep marks them "unknown" instead of
sending again, because a second message is worse than a missing one here.
The batch claims and takes in chunks of CHUNK_SIZE (one commit each) so that 10,000 reminders need
far fewer commits than three per reminder.
"""

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template import Context, Engine
from django.utils import timezone

from infusion_clinic.dates import uk_format, uk_time
from sessions.models import InfusionSession, SessionStatus

from .messaging import AmbiguousDelivery, DeliveryError, send_email, send_sms
from .models import (
    DEFAULT_REMINDER_TEMPLATES,
    ReminderChannel,
    ReminderLog,
    ReminderStatus,
    ReminderTemplate,
)

logger = logging.getLogger(__name__)

# Only sessions still waiting for the patient get reminders.
REMINDABLE_STATUSES = (SessionStatus.BOOKED,)
# What reception may send again from the failed-deliveries page.
RETRYABLE_BY_STAFF = (ReminderStatus.FAILED, ReminderStatus.UNKNOWN)
# A claimed reminder nobody has touched for this long is dispatched again (its task was lost).
STALE_AFTER = timedelta(minutes=15)
# Reminders claimed and taken together (one commit each); outcomes are recorded one by one as sent.
CHUNK_SIZE = 25
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
        "date": uk_format(local, "weekday_day_month"),
        "time": uk_time(local),
        "location": session.chair.location.name,
        "clinic_name": settings.CLINIC_NAME,
    }


@functools.lru_cache(maxsize=32)
def _compiled(text: str):
    return _engine.from_string(text)


def template_for(channel: str) -> dict:
    saved = ReminderTemplate.objects.filter(channel=channel).values("subject", "body").first()
    return saved or DEFAULT_REMINDER_TEMPLATES[channel]


def render_reminder(*, session, channel: str, template: dict | None = None) -> tuple[str, str]:
    template = template or template_for(channel)
    context = Context(reminder_context(session), autoescape=False)
    subject = _compiled(template["subject"]).render(context).strip() if template["subject"] else ""
    body = _compiled(template["body"]).render(context).strip()
    return " ".join(subject.split()), body


# --- claim, deliver, record ------------------------------------------------------------------------


def _recipient(patient, channel) -> str:
    # The phone as pages show it ("07700 900123"); send_sms reads it again with the form's rule.
    return patient.email if channel == ReminderChannel.EMAIL else str(patient.phone)


def _consented(patient, channel) -> bool:
    return patient.consent_email if channel == ReminderChannel.EMAIL else patient.consent_sms


def channels_for(patient) -> list[str]:
    return [c for c in (ReminderChannel.EMAIL, ReminderChannel.SMS) if _consented(patient, c)]


def claim_reminders(*, due, now: datetime) -> list[int]:
    """Insert the rows for `due` [(session, kind, channel)] in one transaction of its own and return
    the ids this run claimed. A row that already exists (another worker, an earlier run) conflicts
    on the unique constraint and is left out: ON CONFLICT DO NOTHING is the set form of catching
    the IntegrityError, and costs one commit per chunk instead of one per reminder."""
    if not due:
        return []
    table = connection.ops.quote_name(ReminderLog._meta.db_table)
    rows, params = [], []
    for session, kind, channel in due:
        rows.append("(%s, %s, %s, %s, %s, 0, %s, '', '')")
        params += [
            session.pk,
            kind,
            channel,
            _recipient(session.patient, channel),
            ReminderStatus.PENDING,
            now,
        ]
    sql = (
        f"INSERT INTO {table} (session_id, kind, channel, recipient, status, attempts, claimed_at, provider_id, last_error) "
        f"VALUES {', '.join(rows)} ON CONFLICT (session_id, kind, channel) DO NOTHING RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _take(ids, now) -> list[int]:
    """Move claimed rows to "sending"; only the rows this call moved are ours to send. Rows another
    worker is sending (locked) or has settled are skipped."""
    with transaction.atomic():
        taken = list(
            ReminderLog.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(ids), status__in=(ReminderStatus.PENDING, ReminderStatus.RETRYING))
            .values_list("pk", flat=True)
        )
        if taken:
            ReminderLog.objects.filter(pk__in=taken).update(
                status=ReminderStatus.SENDING, attempts=F("attempts") + 1, attempted_at=now
            )
    return taken


def idempotency_key(log: ReminderLog) -> str:
    """The same for every attempt at one reminder, different for every reminder."""
    return f"infusion-reminder-{log.pk}"


def _attempt(log: ReminderLog, now: datetime, templates: dict) -> None:
    """Try to send one taken reminder; set the outcome on `log` (not saved). Raises only when the
    task's soft time limit interrupts it (the outcome is set to unknown first)."""
    session, patient = log.session, log.session.patient
    log.recipient = _recipient(patient, log.channel)
    skip_reason = ""
    if session.status not in REMINDABLE_STATUSES:
        skip_reason = f"The session is {session.get_status_display().lower()}."
    elif session.start <= now:
        skip_reason = "The session had already started."
    elif not _consented(patient, log.channel):
        skip_reason = f"The patient has not consented to {log.get_channel_display()} reminders."
    if skip_reason:
        log.status, log.last_error = ReminderStatus.SKIPPED, skip_reason
        return
    try:
        subject, body = render_reminder(session=session, channel=log.channel, template=templates[log.channel])
        key = idempotency_key(log)
        if log.channel == ReminderChannel.EMAIL:
            provider_id = send_email(to=log.recipient, subject=subject, body=body, key=key)
        else:
            provider_id = send_sms(to=log.recipient, body=body, key=key)
    except AmbiguousDelivery as exc:
        log.status = ReminderStatus.UNKNOWN
        log.last_error = f"Outcome unknown: {exc}. Check with the patient before retrying."[:2000]
        logger.warning("Reminder %s outcome unknown (attempt %s): %s", log.pk, log.attempts, exc)
        return
    except SoftTimeLimitExceeded:
        # The task's time ran out mid-send: the message may have gone. Record it, then stop.
        log.status = ReminderStatus.UNKNOWN
        log.last_error = (
            "Outcome unknown: the task ran out of time while sending. Check with the patient before retrying."
        )
        raise
    except DeliveryError as exc:
        give_up = exc.permanent or log.attempts > settings.REMINDER_MAX_RETRIES
        log.status = ReminderStatus.FAILED if give_up else ReminderStatus.RETRYING
        log.last_error = str(exc)[:2000]
        logger.warning("Reminder %s %s (attempt %s): %s", log.pk, log.status, log.attempts, exc)
        return
    except Exception as exc:  # a template or programming error: record it, never leave "sending"
        logger.exception("Reminder %s failed unexpectedly", log.pk)
        log.status, log.last_error = ReminderStatus.FAILED, f"Unexpected error: {exc}"[:2000]
        return
    log.status, log.sent_at, log.provider_id, log.last_error = (
        ReminderStatus.SENT,
        timezone.now(),
        (provider_id or "")[:100],
        "",
    )


_SETTLED_FIELDS = ["status", "sent_at", "provider_id", "recipient", "last_error"]


def _load(ids):
    return list(
        ReminderLog.objects.filter(pk__in=list(ids))
        .select_related("session__patient", "session__chair__location")
        .order_by("pk")
    )


def deliver_reminders(*, ids, now: datetime | None = None) -> list[ReminderLog]:
    """Send a chunk of claimed reminders: take them (one commit), then send each and record its
    outcome at once (one commit per message), so that an error at the database later in the chunk
    loses no outcome already known. If recording fails, or the task is interrupted, the reminders
    not yet tried go back to waiting (best effort) and the error propagates; the one whose outcome
    could not be written stays "sending", which the sweep reports as unknown, never resends."""
    now = now or timezone.now()
    taken = _take(ids, now)
    if not taken:
        return []
    logs = _load(taken)
    templates = {channel: template_for(channel) for channel in {log.channel for log in logs}}
    for index, log in enumerate(logs):  # loaded after _take, so attempts already counts this one
        try:
            try:
                _attempt(log, now, templates)
            finally:
                if log.status != ReminderStatus.SENDING:
                    _record(log)
        except BaseException:
            _release(logs[index + 1 :])
            raise
    return logs


def _record(log: ReminderLog) -> None:
    """Write one reminder's outcome in a transaction of its own. On PostgreSQL its commit does not
    wait for the WAL flush (synchronous_commit off, for this transaction only), so a batch does not pay
    a disk flush per message; the only risk is a database crash within a fraction of a second of the
    commit, which leaves those rows "sending", reported as outcome unknown: never sent twice."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        ReminderLog.objects.filter(pk=log.pk, status=ReminderStatus.SENDING).update(
            **{name: getattr(log, name) for name in _SETTLED_FIELDS}
        )


def _release(logs: list[ReminderLog]) -> None:
    """Give reminders taken but never tried back to the waiting state, so a later run sends them.
    Best effort: if the database is gone they stay "sending" (reported unknown later, not resent)."""
    if not logs:
        return
    try:
        ReminderLog.objects.filter(pk__in=[log.pk for log in logs], status=ReminderStatus.SENDING).update(
            status=ReminderStatus.RETRYING, attempts=F("attempts") - 1
        )
    except Exception:
        logger.exception("Could not release %s reminder(s) taken but not sent", len(logs))


def deliver_reminder(*, log_id: int, now: datetime | None = None) -> ReminderLog | None:
    """Send one claimed reminder (the Celery task's body). Returns the settled row, or None when
    someone else holds it or it must wait (SMS in quiet hours). Raises DeliveryError when the
    task should retry later."""
    now = now or timezone.now()
    channel = ReminderLog.objects.filter(pk=log_id).values_list("channel", flat=True).first()
    if channel == ReminderChannel.SMS and quiet_hours_end(now):
        return None  # the sweep dispatches it again once the quiet hours are over
    (log,) = deliver_reminders(ids=[log_id], now=now) or (None,)
    if log is not None and log.status == ReminderStatus.RETRYING:
        raise DeliveryError(log.last_error)
    return log


# --- the batch -------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    claimed: list[int] = field(default_factory=list)
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    redispatched: list[int] = field(default_factory=list)
    deferred_sms: int = 0
    gave_up: int = 0
    unknown: int = 0

    def __str__(self):
        return (
            f"{len(self.claimed)} reminder(s) claimed: {self.sent} sent, {self.retrying} to retry, "
            f"{self.failed} failed, {self.unknown} outcome unknown; "
            f"{len(self.redispatched)} dispatched again, {self.deferred_sms} SMS "
            f"waiting for the end of quiet hours, {self.gave_up} marked outcome unknown"
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


def run_due_reminders(
    *, now: datetime | None = None, retry, dispatch=None, chunk_size: int = CHUNK_SIZE
) -> BatchResult:
    """Claim every due reminder and send it. Safe to run twice at once: each reminder is claimed by
    one run only.

    Claimed reminders are sent here, a chunk at a time, unless `dispatch(log_id)` is given (then
    each claimed row is handed over, e.g. to a task per reminder). A reminder worth retrying goes
    to `retry(log_id)`, which queues the delivery task with backoff.
    """
    now = now or timezone.now()
    result = BatchResult()
    quiet = bool(quiet_hours_end(now))

    # A worker that died mid-send: do not send again, let reception check and decide.
    result.gave_up = ReminderLog.objects.filter(
        status=ReminderStatus.SENDING, attempted_at__lt=now - SENDING_GIVE_UP_AFTER
    ).update(
        status=ReminderStatus.UNKNOWN,
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
        retry(log_id)

    due = []
    for item in due_reminders(now=now):
        if item[2] == ReminderChannel.SMS and quiet:
            result.deferred_sms += 1
        else:
            due.append(item)
    for offset in range(0, len(due), chunk_size):
        ids = claim_reminders(due=due[offset : offset + chunk_size], now=now)
        result.claimed += ids
        if dispatch is not None:
            for log_id in ids:
                dispatch(log_id)
            continue
        for log in deliver_reminders(ids=ids, now=now):
            if log.status == ReminderStatus.RETRYING:
                result.retrying += 1
                retry(log.pk)
            elif log.status == ReminderStatus.SENT:
                result.sent += 1
            elif log.status == ReminderStatus.FAILED:
                result.failed += 1
            elif log.status == ReminderStatus.UNKNOWN:
                result.unknown += 1
    return result


@transaction.atomic
def retry_failed_reminder(*, log: ReminderLog, user) -> ReminderLog:
    """Reception's retry: a failed reminder, or one whose outcome is unknown once they have checked,
    goes back to pending (then the caller dispatches it). It is sent with the same idempotency key."""
    from django.core.exceptions import ValidationError

    changed = ReminderLog.objects.filter(pk=log.pk, status__in=RETRYABLE_BY_STAFF).update(
        status=ReminderStatus.PENDING, attempts=0, retried_by=user, claimed_at=timezone.now()
    )
    if not changed:
        raise ValidationError(
            {"status": "Only a failed reminder can be retried; this one is not failed now."}
        )
    log.refresh_from_db()
    return log

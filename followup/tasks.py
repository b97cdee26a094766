"""Celery tasks for follow-up: daily diary prompts, outcome reviews, and alerts for the specialists."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from kombu.exceptions import OperationalError

from followup import messaging
from infusion_clinic.roles import SPECIALIST

from . import diaries, outcomes, reminders
from .messaging import DeliveryError
from .models import OutcomeReview, OutcomeReviewStatus, PainDiaryEntry

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_diary_prompts() -> dict:
    result = diaries.send_diary_prompts()
    return {"sent": result.sent, "failed": result.failed, "skipped": result.skipped}


@shared_task(acks_late=True)
def create_due_outcome_reviews() -> int:
    return outcomes.create_due_outcome_reviews()


def follow_up_backlog(*, today=None) -> dict:
    """What the specialists have let slip: overdue reviews, diaries waiting too long for review."""
    today = today or timezone.localdate()
    cutoff = timezone.now() - timedelta(days=settings.DIARY_REVIEW_ALERT_DAYS)
    return {
        "overdue_reviews": OutcomeReview.objects.filter(
            status=OutcomeReviewStatus.DUE, due_on__lt=today
        ).count(),
        "stale_diary_entries": PainDiaryEntry.objects.filter(
            reviewed_at__isnull=True, recorded_at__lt=cutoff
        ).count(),
    }


@shared_task(acks_late=True)
def send_follow_up_alerts() -> dict:
    """One email a day to each specialist when there is a backlog (the dashboard shows it too)."""
    backlog = follow_up_backlog()
    if not any(backlog.values()):
        return {**backlog, "emailed": 0}
    body = (
        f"Follow-up waiting at {settings.CLINIC_NAME}:\n"
        f"- {backlog['overdue_reviews']} outcome review(s) overdue\n"
        f"- {backlog['stale_diary_entries']} pain diary entr(ies) unreviewed for more than "
        f"{settings.DIARY_REVIEW_ALERT_DAYS} days\n\n"
        f"See {settings.SITE_URL.rstrip('/')}/patients/follow-up/outcomes/ and /patients/follow-up/diaries/."
    )
    emailed = 0
    recipients = (
        get_user_model()
        .objects.filter(groups__name=SPECIALIST, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    for email in recipients:
        try:
            messaging.send_email(to=email, subject="Follow-up backlog", body=body)
            emailed += 1
        except messaging.DeliveryError as exc:
            logger.warning("Follow-up alert to %s failed: %s", email, exc)
    logger.info("Follow-up backlog %s; %s specialist(s) emailed", backlog, emailed)
    return {**backlog, "emailed": emailed}


logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(DeliveryError,),
    retry_backoff=settings.REMINDER_RETRY_BACKOFF,  # 30 s, 60 s, 120 s, ... with jitter
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=settings.REMINDER_MAX_RETRIES,
    soft_time_limit=settings.REMINDER_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.REMINDER_TASK_TIME_LIMIT,
)
def deliver_reminder(self, log_id: int) -> str:
    log = reminders.deliver_reminder(log_id=log_id)
    return log.status if log is not None else "not mine"


def dispatch_delivery(log_id: int, *, countdown: int | None = None) -> None:
    """Queue one delivery; without a broker (the demo) deliver here, retrying at once, no backoff."""
    if not deliver_reminder.app.conf.task_always_eager:
        deliver_reminder.apply_async((log_id,), countdown=countdown)
        return
    for _attempt in range(settings.REMINDER_MAX_RETRIES + 1):
        try:
            reminders.deliver_reminder(log_id=log_id)
            return
        except DeliveryError:
            continue  # the row says "retrying"; the last attempt marks it failed


def try_dispatch_delivery(log_id: int) -> bool:
    """Queue one delivery for a person waiting on a page: one publish attempt, no retries. False when
    the broker cannot be reached; the row stays pending and the periodic sweep dispatches it."""
    app = deliver_reminder.app
    if app.conf.task_always_eager:
        dispatch_delivery(log_id)
        return True
    try:
        # A connection of its own that tries once: the shared one keeps reconnecting for seconds.
        with app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            deliver_reminder.apply_async((log_id,), retry=False, connection=connection)
    except (OperationalError, OSError) as exc:
        logger.warning("Reminder %s not queued, the broker is unreachable: %s", log_id, exc)
        return False
    return True


@shared_task(
    acks_late=True,
    soft_time_limit=settings.REMINDER_BATCH_SOFT_TIME_LIMIT,
    time_limit=settings.REMINDER_BATCH_TIME_LIMIT,
)
def send_due_reminders() -> dict:
    result = reminders.run_due_reminders(retry=retry_later)
    return {
        "claimed": len(result.claimed),
        "sent": result.sent,
        "failed": result.failed,
        "unknown": result.unknown,
        "retrying": result.retrying,
        "redispatched": len(result.redispatched),
        "deferred_sms": result.deferred_sms,
    }


def retry_later(log_id: int) -> None:
    dispatch_delivery(log_id, countdown=settings.REMINDER_RETRY_BACKOFF)

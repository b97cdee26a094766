"""Celery tasks for reminders. Thin: ids in, a service call, safe to run twice (reminders.py)."""

from celery import shared_task
from django.conf import settings

from . import reminders
from .messaging import DeliveryError


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DeliveryError,),
    retry_backoff=settings.REMINDER_RETRY_BACKOFF,  # 30 s, 60 s, 120 s, ... with jitter
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=settings.REMINDER_MAX_RETRIES,
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


@shared_task(acks_late=True)
def send_due_reminders() -> dict:
    result = reminders.run_due_reminders(retry=retry_later)
    return {
        "claimed": len(result.claimed),
        "sent": result.sent,
        "failed": result.failed,
        "retrying": result.retrying,
        "redispatched": len(result.redispatched),
        "deferred_sms": result.deferred_sms,
    }


def retry_later(log_id: int) -> None:
    dispatch_delivery(log_id, countdown=settings.REMINDER_RETRY_BACKOFF)

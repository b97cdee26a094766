"""Celery tasks for reminders. Thin: ids in, a service call, safe to run twice (reminders.py)."""

from celery import shared_task
from django.conf import settings

from . import reminders
from .messaging import DeliveryError


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DeliveryError,),
    retry_backoff=30,  # 30 s, 60 s, 120 s, ... with jitter
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=settings.REMINDER_MAX_RETRIES,
)
def deliver_reminder(self, log_id: int) -> str:
    log = reminders.deliver_reminder(log_id=log_id)
    return log.status if log is not None else "not mine"


@shared_task(acks_late=True)
def send_due_reminders() -> dict:
    result = reminders.run_due_reminders(dispatch=deliver_reminder.delay)
    return {"claimed": len(result.claimed), "redispatched": len(result.redispatched), "deferred_sms": result.deferred_sms}

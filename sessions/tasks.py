"""Celery tasks for reminders. Thin: ids in, a service call, safe to run twice (reminders.py).

Each task has soft and hard time limits (settings), so a mail server or SMS provider that never
answers cannot hold a worker for ever; a reminder interrupted mid-send is recorded as outcome
unknown, never sent again by itself. The delivery task keeps no result: publishing it then never
waits on the result store, so a page that queues one answers at once when Redis is down.
"""

import logging

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError

from . import reminders
from .messaging import DeliveryError

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

"""Celery tasks for follow-up: daily diary prompts, outcome reviews, and alerts for the specialists."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from infusion_clinic.roles import SPECIALIST

from . import diaries, outcomes
from .followup_models import OutcomeReview, OutcomeReviewStatus, PainDiaryEntry

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
    from sessions import messaging

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

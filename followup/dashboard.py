"""Dashboard cards for follow-up (registered in infusion_clinic/dashboard.py). Constant queries."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus
from infusion_clinic.dashboard import Card
from infusion_clinic.dates import today_bounds
from infusion_clinic.roles import RECEPTION, SPECIALIST

from .models import OutcomeReview, OutcomeReviewStatus, PainDiaryEntry


def diaries_card(request):
    if not request.user.has_perm("followup.review_paindiary"):
        return None
    stats = PainDiaryEntry.objects.filter(reviewed_at__isnull=True).aggregate(
        entries=Count("pk"), patients=Count("patient", distinct=True), oldest=Min("recorded_at")
    )
    return Card(
        title="Pain diaries to review",
        template="followup/dashboard/_diaries.html",
        context=stats,
        order=30,
        icon="journal-medical",
    )


def outcomes_card(request):
    if not request.user.has_perm("followup.view_outcomereview"):
        return None
    today = timezone.localdate()
    stats = OutcomeReview.objects.filter(status=OutcomeReviewStatus.DUE).aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        this_week=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=7))),
    )
    return Card(
        title="Outcome reviews",
        template="followup/dashboard/_outcomes.html",
        context=stats,
        order=35,
        icon="clipboard2-check",
    )


def reminder_window(now=None):
    """The reminders reception can still act on: those of sessions from today on.

    A reminder is claimed at most max(REMINDER_LEAD_HOURS) before its session (followup/reminders.py:
    due_reminders) and a retry only moves `claimed_at` later, so the reminders of sessions from
    today's midnight on were all claimed after that midnight less the longest lead. That bound on
    `claimed_at` lets the (status, claimed_at) index read only the last days' reminders, not ten
    years of them (docs/performance.md#reminder-card)."""
    today_start, _ = today_bounds(now)
    longest_lead = timedelta(hours=max(settings.REMINDER_LEAD_HOURS or [0]))
    return Q(claimed_at__gte=today_start - longest_lead, session__start__gte=today_start)


def failed_reminders_card(request):
    if not request.user.has_perm("followup.view_reminderlog"):
        return None

    counted = (ReminderStatus.FAILED, ReminderStatus.UNKNOWN, ReminderStatus.SENT)
    counts = ReminderLog.objects.filter(reminder_window(), status__in=counted).aggregate(
        failed=Count("pk", filter=Q(status__in=(ReminderStatus.FAILED, ReminderStatus.UNKNOWN))),
        sent=Count("pk", filter=Q(status=ReminderStatus.SENT)),
    )
    return Card(
        title="Reminders",
        template="followup/reminders/_dashboard_card.html",
        context=counts,
        order=60,
        icon="envelope-exclamation",
    )


PROVIDERS = {SPECIALIST: [diaries_card, outcomes_card], RECEPTION: [failed_reminders_card]}

"""Dashboard cards for follow-up (registered in infusion_clinic/dashboard.py). Constant queries."""

from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus
from infusion_clinic.dashboard import Card
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


def failed_reminders_card(request):
    if not request.user.has_perm("followup.view_reminderlog"):
        return None

    counts = ReminderLog.objects.aggregate(
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

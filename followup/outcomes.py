"""Outcome reviews after a course: when they fall due, the baseline, and the IMMPACT arithmetic.

- A course has finished when its last non-cancelled session is completed or signed off and none
  of its sessions is still to happen. Cancelled, rescheduled and did-not-attend sessions do not count.
- Reviews fall due OUTCOME_REVIEW_OFFSETS_DAYS (14, 42, 91) days after that last session.
- Baseline: the mean of the diary's average-pain scores in the 7 days before the course's first
  session; failing that, a score the reviewer enters from the assessment; failing that, none, and
  then no percentage is claimed.
- Percentage reduction = (baseline - now) / baseline x 100; responders at >= 30% and >= 50%
  (IMMPACT, Dworkin et al. 2008), decided on the exact figures, shown rounded.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from sessions.models import Course, SessionStatus

from .models import BaselineSource, OutcomeReview, OutcomeReviewStatus, PainDiaryEntry

BASELINE_DAYS = 7
MODERATE = 30
SUBSTANTIAL = 50


def _session_statuses():
    finished = (SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)
    not_counted = (SessionStatus.CANCELLED, SessionStatus.RESCHEDULED, SessionStatus.DID_NOT_ATTEND)
    return finished, not_counted


# --- pure arithmetic -------------------------------------------------------------------------------


def review_due_dates(*, last_session_on: date, offsets=None) -> list[tuple[int, date]]:
    offsets = settings.OUTCOME_REVIEW_OFFSETS_DAYS if offsets is None else offsets
    return [(days, last_session_on + timedelta(days=days)) for days in sorted(set(offsets))]


def mean(scores) -> Fraction | None:
    scores = list(scores)
    return Fraction(sum(scores), len(scores)) if scores else None


def percent_reduction(*, baseline, current) -> Fraction | None:
    """(baseline - current) / baseline x 100, exact; None without a baseline or with a baseline of 0."""
    if baseline is None or current is None:
        return None
    baseline = Fraction(baseline)
    if baseline == 0:
        return None
    return (baseline - Fraction(current)) / baseline * 100


def responder_flags(reduction) -> tuple[bool | None, bool | None]:
    if reduction is None:
        return None, None
    return reduction >= MODERATE, reduction >= SUBSTANTIAL


def to_decimal(value: Fraction | None, places: str) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(places), ROUND_HALF_UP)


# --- courses -----------------------------------------------------------------------------------


@dataclass
class CourseState:
    finished: bool
    first_session: object | None
    last_session: object | None
    reason: str = ""


def course_state(course) -> CourseState:
    """Whether the course has finished, with its first and last counting sessions. One query."""
    finished_statuses, not_counted = _session_statuses()
    sessions = [s for s in course.sessions.order_by("start", "pk") if s.status not in not_counted]
    if not sessions:
        return CourseState(False, None, None, "The course has no sessions that took place.")
    pending = [s for s in sessions if s.status not in finished_statuses]
    if pending:
        return CourseState(
            False,
            sessions[0],
            None,
            f"The course has not finished: {len(pending)} session(s) still to be completed.",
        )
    return CourseState(True, sessions[0], sessions[-1])


@dataclass
class Baseline:
    value: Fraction | None
    source: str
    entries: int

    @property
    def display(self) -> Decimal | None:
        return to_decimal(self.value, "0.01")


def diary_baseline(*, patient, first_session_start) -> Baseline:
    scores = PainDiaryEntry.objects.filter(
        patient=patient,
        recorded_at__gte=first_session_start - timedelta(days=BASELINE_DAYS),
        recorded_at__lt=first_session_start,
    ).values_list("pain_average", flat=True)
    scores = list(scores)
    if not scores:
        return Baseline(None, BaselineSource.NONE, 0)
    return Baseline(mean(scores), BaselineSource.DIARY, len(scores))


# --- writes --------------------------------------------------------------------------------------


@transaction.atomic
def schedule_outcome_reviews(*, course) -> list[OutcomeReview]:
    """Create the course's reviews (idempotent); refused for a course that has not finished."""
    state = course_state(course)
    if not state.finished:
        raise ValidationError({"course": state.reason})
    last_on = timezone.localdate(state.last_session.end)
    reviews = []
    for days, due_on in review_due_dates(last_session_on=last_on):
        review, _ = OutcomeReview.objects.get_or_create(
            course=course, offset_days=days, defaults={"patient_id": course.patient_id, "due_on": due_on}
        )
        reviews.append(review)
    return reviews


def create_due_outcome_reviews() -> int:
    """The daily job: schedule reviews for every finished course that lacks them. Returns how many
    courses got reviews. Courses still running are left for a later day."""
    finished_statuses, _ = _session_statuses()
    wanted = len(set(settings.OUTCOME_REVIEW_OFFSETS_DAYS))
    candidates = (
        Course.objects.annotate(
            finished=Count("sessions", filter=Q(sessions__status__in=finished_statuses), distinct=True),
            reviews=Count("outcome_reviews", distinct=True),
        )
        .filter(finished__gt=0, reviews__lt=wanted)
        .prefetch_related("sessions")
    )
    scheduled = 0
    for course in candidates:
        try:
            schedule_outcome_reviews(course=course)
        except ValidationError:
            continue  # still running
        scheduled += 1
    return scheduled


@transaction.atomic
def record_outcome_review(
    *,
    review: OutcomeReview,
    user,
    current_pain: int,
    pgic: int,
    decision: str,
    notes: str = "",
    assessment_baseline: Decimal | None = None,
) -> OutcomeReview:
    """Complete a review: the baseline and the IMMPACT figures are computed here, never typed in."""
    review = OutcomeReview.objects.select_for_update().select_related("course", "patient").get(pk=review.pk)
    if review.status == OutcomeReviewStatus.COMPLETED:
        raise ValidationError("This review was completed and is locked.")
    state = course_state(review.course)
    if not state.finished:
        raise ValidationError({"course": state.reason + " A review waits until the course is over."})

    baseline = diary_baseline(patient=review.patient, first_session_start=state.first_session.start)
    if baseline.value is None and assessment_baseline is not None:
        baseline = Baseline(Fraction(Decimal(assessment_baseline)), BaselineSource.ASSESSMENT, 0)
    reduction = percent_reduction(baseline=baseline.value, current=current_pain)
    r30, r50 = responder_flags(reduction)

    review.current_pain, review.pgic, review.decision, review.notes = current_pain, pgic, decision, notes
    review.baseline_pain = baseline.display
    review.baseline_source = baseline.source
    review.baseline_entries = baseline.entries
    review.percent_reduction = to_decimal(reduction, "0.1")
    review.responder_30, review.responder_50 = r30, r50
    review.status = OutcomeReviewStatus.COMPLETED
    review.completed_at, review.completed_by = timezone.now(), user
    review.full_clean()
    review.save()
    return review


# --- selectors -------------------------------------------------------------------------------------


def reviews_due(*, within_days: int = 7):
    """Reviews due now or within a week, overdue first: a queryset that may hold years of overdue
    reviews, so callers take a page of it (the outcome queue) or a count, never the whole."""
    until = timezone.localdate() + timedelta(days=within_days)
    return (
        OutcomeReview.objects.filter(status=OutcomeReviewStatus.DUE, due_on__lte=until)
        .select_related("patient", "course__protocol_version")
        .order_by("due_on", "pk")
    )


def recently_completed(*, limit: int = 20):
    return (
        OutcomeReview.objects.filter(status=OutcomeReviewStatus.COMPLETED)
        .select_related("patient", "course__protocol_version", "completed_by")
        .order_by("-completed_at")[:limit]
    )

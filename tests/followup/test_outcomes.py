"""Outcome reviews: due dates, course completion, baseline and IMMPACT arithmetic, pages."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from followup import outcomes
from followup.models import OutcomeReview, OutcomeReviewStatus, PainDiaryEntry
from sessions.models import SessionStatus
from tests import factories

S = SessionStatus


# --- arithmetic (no database) ------------------------------------------------------------------


def test_reviews_fall_due_at_2_weeks_6_weeks_and_3_months():
    assert outcomes.review_due_dates(last_session_on=date(2026, 11, 25), offsets=[14, 42, 91]) == [
        (14, date(2026, 12, 9)),
        (42, date(2027, 1, 6)),
        (91, date(2027, 2, 24)),
    ]


def test_percent_reduction_and_responders_at_the_thresholds():
    assert outcomes.percent_reduction(baseline=8, current=4) == 50
    assert outcomes.responder_flags(Fraction(50)) == (True, True)
    assert outcomes.percent_reduction(baseline=10, current=7) == 30
    assert outcomes.responder_flags(Fraction(30)) == (True, False)
    assert outcomes.responder_flags(outcomes.percent_reduction(baseline=6, current=5)) == (False, False)
    assert outcomes.percent_reduction(baseline=5, current=7) == -40  # worse
    assert outcomes.responder_flags(Fraction(-40)) == (False, False)


def test_without_a_baseline_nothing_is_guessed():
    assert outcomes.percent_reduction(baseline=None, current=4) is None
    assert outcomes.percent_reduction(baseline=0, current=0) is None
    assert outcomes.responder_flags(None) == (None, None)


def test_responders_are_decided_on_exact_figures_not_rounded_ones():
    # Baseline: the mean of 7, 7, 6 is 6.666..., shown as 6.67; now 4 is a 40% reduction exactly.
    baseline = outcomes.mean([7, 7, 6])
    assert outcomes.to_decimal(baseline, "0.01") == Decimal("6.67")
    assert outcomes.percent_reduction(baseline=baseline, current=4) == 40
    # Baseline 7.1 (assessment) and now 5: 29.577...% is shown as 29.6 and is not a responder.
    reduction = outcomes.percent_reduction(baseline=Decimal("7.1"), current=5)
    assert outcomes.to_decimal(reduction, "0.1") == Decimal("29.6")
    assert outcomes.responder_flags(reduction) == (False, False)
    assert outcomes.responder_flags(Fraction(2999, 100)) == (False, False)


@given(
    scores=st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=14),
    now=st.integers(min_value=0, max_value=10),
)
def test_reduction_matches_its_definition(scores, now):
    baseline = outcomes.mean(scores)
    reduction = outcomes.percent_reduction(baseline=baseline, current=now)
    if baseline == 0:
        assert reduction is None
    else:
        assert reduction == (baseline - now) / baseline * 100
        r30, r50 = outcomes.responder_flags(reduction)
        assert r30 == (now <= baseline * Fraction(7, 10)) and r50 == (now <= baseline / 2)
        assert r30 or not r50


# --- courses and scheduling ----------------------------------------------------------------------


def _days_ago(days, hour=10):
    return timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=days)


@pytest.mark.django_db
def test_a_course_has_finished_when_its_last_counted_session_is_done(course_factory):
    course = course_factory(
        starts=[_days_ago(20), _days_ago(19), _days_ago(18)],
        statuses=[S.SIGNED_OFF, S.COMPLETED, S.CANCELLED],
    )
    state = outcomes.course_state(course)
    assert state.finished and state.last_session.status == S.COMPLETED
    assert state.first_session.start == _days_ago(20)


@pytest.mark.django_db
def test_a_course_with_a_session_still_booked_has_not_finished(course_factory):
    course = course_factory(
        starts=[_days_ago(3), timezone.now() + timedelta(days=2)], statuses=[S.COMPLETED, S.BOOKED]
    )
    state = outcomes.course_state(course)
    assert not state.finished and "1 session(s) still to be completed" in state.reason
    with pytest.raises(ValidationError) as exc:
        outcomes.schedule_outcome_reviews(course=course)
    assert "has not finished" in exc.value.message_dict["course"][0]
    assert OutcomeReview.objects.count() == 0


@pytest.mark.django_db
def test_the_daily_job_creates_reviews_once_for_finished_courses_only(course_factory):
    finished = course_factory(starts=[_days_ago(30), _days_ago(29)])
    course_factory(
        starts=[_days_ago(1), timezone.now() + timedelta(days=1)], statuses=[S.COMPLETED, S.BOOKED]
    )
    course_factory(starts=[_days_ago(5)], statuses=[S.CANCELLED])
    assert outcomes.create_due_outcome_reviews() == 1
    assert outcomes.create_due_outcome_reviews() == 0
    reviews = list(OutcomeReview.objects.order_by("offset_days"))
    last_day = timezone.localdate(_days_ago(29))
    assert [(r.course_id, r.offset_days, r.due_on) for r in reviews] == [
        (finished.pk, 14, last_day + timedelta(days=14)),
        (finished.pk, 42, last_day + timedelta(days=42)),
        (finished.pk, 91, last_day + timedelta(days=91)),
    ]


def _diary(patient, when, average):
    return PainDiaryEntry.objects.create(
        patient=patient,
        recorded_at=when,
        pain_now=average,
        pain_average=average,
        pain_worst=min(10, average + 1),
        sleep="good",
        activity="normal",
    )


@pytest.mark.django_db
def test_recording_a_review_computes_baseline_reduction_and_responders(course_factory, specialist):
    course = course_factory(starts=[_days_ago(30), _days_ago(29)])
    first = _days_ago(30)
    for days, score in ((1, 8), (3, 7), (6, 9)):  # inside the 7 days before the first session
        _diary(course.patient, first - timedelta(days=days), score)
    _diary(course.patient, first - timedelta(days=9), 2)  # too early: not in the baseline
    _diary(course.patient, first + timedelta(hours=3), 1)  # after the start: not in the baseline
    (review, *_) = outcomes.schedule_outcome_reviews(course=course)
    review = outcomes.record_outcome_review(
        review=review, user=specialist, current_pain=4, pgic=2, decision="discharge"
    )
    assert (
        review.baseline_pain == Decimal("8.00")
        and review.baseline_source == "diary"
        and review.baseline_entries == 3
    )
    assert review.percent_reduction == Decimal("50.0")
    assert (review.responder_30, review.responder_50) == (True, True)
    assert review.status == OutcomeReviewStatus.COMPLETED and review.completed_by == specialist
    with pytest.raises(ValidationError):
        outcomes.record_outcome_review(
            review=review, user=specialist, current_pain=1, pgic=1, decision="repeat"
        )


@pytest.mark.django_db
def test_without_a_diary_the_assessment_score_is_the_baseline_or_none_is_claimed(course_factory, specialist):
    course = course_factory(starts=[_days_ago(30)])
    r14, r42, _ = outcomes.schedule_outcome_reviews(course=course)
    with_assessment = outcomes.record_outcome_review(
        review=r14,
        user=specialist,
        current_pain=5,
        pgic=3,
        decision="continue",
        assessment_baseline=Decimal("7.5"),
    )
    assert with_assessment.baseline_source == "assessment" and with_assessment.percent_reduction == Decimal(
        "33.3"
    )
    assert (with_assessment.responder_30, with_assessment.responder_50) == (True, False)
    none = outcomes.record_outcome_review(
        review=r42, user=specialist, current_pain=5, pgic=4, decision="repeat"
    )
    assert none.baseline_source == "none" and none.baseline_pain is None and none.percent_reduction is None
    assert none.responder_30 is None and none.responder_50 is None


@pytest.mark.django_db
def test_a_review_for_a_course_that_has_not_finished_is_refused_and_nothing_saved(
    course_factory, specialist_client
):
    course = course_factory(starts=[_days_ago(30)])
    review = outcomes.schedule_outcome_reviews(course=course)[0]
    # A repeat session was added to the course afterwards: the course is running again.
    from tests.followup.conftest import make_session

    make_session(course=course, start=timezone.now() + timedelta(days=3))
    url = reverse("followup:outcome_record", args=[review.pk])
    page = specialist_client.get(url)
    assert b"has not finished" in page.content
    response = specialist_client.post(url, {"current_pain": "3", "pgic": "2", "decision": "discharge"})
    assert response.status_code == 400 and b"has not finished" in response.content
    review.refresh_from_db()
    assert review.status == OutcomeReviewStatus.DUE and review.current_pain is None


@pytest.mark.django_db
def test_the_review_form_refuses_pain_outside_0_to_10(course_factory, specialist_client):
    review = outcomes.schedule_outcome_reviews(course=course_factory(starts=[_days_ago(30)]))[0]
    url = reverse("followup:outcome_record", args=[review.pk])
    response = specialist_client.post(url, {"current_pain": "11", "pgic": "2", "decision": "discharge"})
    assert response.status_code == 400 and b"0 to 10" in response.content
    response = specialist_client.post(url, {"current_pain": "3", "pgic": "9", "decision": "discharge"})
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == OutcomeReviewStatus.DUE


@pytest.mark.django_db
def test_the_specialist_records_a_review_and_prints_the_gp_letter(course_factory, specialist_client):
    patient = factories.PatientFactory(
        first_name="Priya", last_name="Sharma", gp_practice_name="Riverside Medical Practice"
    )
    course = course_factory(patient=patient, starts=[_days_ago(16)])
    for days, score in ((1, 6), (2, 6)):
        _diary(patient, _days_ago(16) - timedelta(days=days), score)
    review = outcomes.schedule_outcome_reviews(course=course)[0]
    queue = specialist_client.get(reverse("followup:outcome_queue"))
    assert queue.status_code == 200 and b"SHARMA, Priya" in queue.content and b"Overdue" in queue.content
    response = specialist_client.post(
        reverse("followup:outcome_record", args=[review.pk]),
        {"current_pain": "3", "pgic": "2", "decision": "discharge", "notes": "Sleeping better."},
    )
    assert response.status_code == 302
    letter = specialist_client.get(reverse("followup:outcome_letter", args=[review.pk]))
    text = letter.content.decode()
    assert letter.status_code == 200
    assert "Riverside Medical Practice" in text and "Priya Sharma" in text and "50.0%" in text
    assert "substantial benefit" in text and "discharged the patient" in text and "Sleeping better." in text
    pdf = specialist_client.get(reverse("followup:outcome_letter_pdf", args=[review.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert (
        pdf["Content-Disposition"]
        == f'inline; filename="gp-letter-sharma-{timezone.localdate():%Y-%m-%d}.pdf"'
    )
    pdf_text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Riverside Medical Practice" in pdf_text and "Priya Sharma" in pdf_text and "50.0%" in pdf_text
    assert "Download PDF" not in pdf_text and "Back to the review" not in pdf_text


@pytest.mark.django_db
def test_outcome_pages_need_the_outcome_permissions(
    course_factory, nurse_client, reception_client, specialist_client
):
    review = outcomes.schedule_outcome_reviews(course=course_factory(starts=[_days_ago(30)]))[0]
    for client in (nurse_client, reception_client):
        assert client.get(reverse("followup:outcome_queue")).status_code == 403
        assert client.get(reverse("followup:outcome_detail", args=[review.pk])).status_code == 403
        assert client.post(reverse("followup:outcome_record", args=[review.pk]), {}).status_code == 403
        assert client.get(reverse("followup:outcome_letter", args=[review.pk])).status_code == 403
        assert client.get(reverse("followup:outcome_letter_pdf", args=[review.pk])).status_code == 403
    assert specialist_client.get(reverse("followup:outcome_detail", args=[review.pk])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("courses", [2, 8])
def test_the_outcome_queue_keeps_its_queries_flat(
    course_factory, specialist_client, django_assert_max_num_queries, courses
):
    for n in range(courses):
        outcomes.schedule_outcome_reviews(course=course_factory(starts=[_days_ago(20 + n)]))
    with django_assert_max_num_queries(12):
        response = specialist_client.get(reverse("followup:outcome_queue"))
    assert response.status_code == 200 and response.content.count(b"Record review") >= courses


@pytest.mark.django_db
def test_the_daily_alert_emails_specialists_only_when_work_is_overdue(course_factory, specialist):
    from django.core import mail

    from followup.tasks import send_follow_up_alerts

    assert send_follow_up_alerts()["emailed"] == 0 and mail.outbox == []
    course = course_factory(starts=[_days_ago(30)])
    outcomes.schedule_outcome_reviews(course=course)  # the 14-day review is overdue by now
    _diary(course.patient, _days_ago(5), 5)  # unreviewed for more than DIARY_REVIEW_ALERT_DAYS
    result = send_follow_up_alerts()
    assert result == {"overdue_reviews": 1, "stale_diary_entries": 1, "emailed": 1}
    assert mail.outbox[0].to == [specialist.email] and "1 outcome review(s) overdue" in mail.outbox[0].body

"""The follow-up queues a page at a time: the outcome review queue (reviews due, years of them overdue
on a big clinic) and the diary review queue (aggregated over unreviewed entries, then the page's patients
only) keep their queries and their size whatever the backlog, and page with templates/_pager.html."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followup.models import OutcomeReview, PainDiaryEntry
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = 25


@pytest.mark.parametrize("count", [3, 60])
def test_the_outcome_queue_shows_a_page_of_due_reviews_in_constant_queries(
    clinic_morning, course_factory, specialist_client, django_assert_max_num_queries, count
):
    course = course_factory(starts=[timezone.now() - timedelta(days=400)])
    today = timezone.localdate()
    OutcomeReview.objects.bulk_create(
        OutcomeReview(
            patient=course.patient, course=course, offset_days=n + 1, due_on=today - timedelta(days=count - n)
        )
        for n in range(count)
    )
    url = reverse("followup:outcome_queue")
    with django_assert_max_num_queries(12):
        response = specialist_client.get(url)
    assert response.status_code == 200
    due = response.context["due"]
    assert due.paginator.count == count and len(due.object_list) == min(count, PAGE)
    html = response.content.decode()
    assert html.count("Record review") == min(count, PAGE)
    assert f'data-testid="due-count">{count}<' in html
    assert [r.due_on for r in due.object_list] == sorted(r.due_on for r in due.object_list)  # overdue first
    if count > PAGE:
        assert "Page 1 of 3" in html and "?page=2" in html
        with django_assert_max_num_queries(12):
            last = specialist_client.get(url, {"page": 3})
        assert len(last.context["due"].object_list) == count - 2 * PAGE
        assert last.context["due"].object_list[-1].due_on == today - timedelta(days=1)
    else:
        assert "Page 1 of" not in html


def _entry(patient, *, days_ago, worst=6, reviewed_by=None):
    return PainDiaryEntry(
        patient=patient,
        recorded_at=timezone.now() - timedelta(days=days_ago),
        pain_now=3,
        pain_average=4,
        pain_worst=worst,
        sleep="good",
        activity="normal",
        reviewed_by=reviewed_by,
        reviewed_at=timezone.now() if reviewed_by else None,
        review_comment="Seen" if reviewed_by else "",
    )


@pytest.mark.parametrize("count", [3, 60])
def test_the_diary_queue_shows_a_page_of_patients_in_constant_queries(
    clinic_morning, specialist, specialist_client, django_assert_max_num_queries, count
):
    patients = factories.PatientFactory.create_batch(count)
    entries = []
    for n, patient in enumerate(patients):
        # Older reviewed entries, which the queue never reads, and two waiting: the oldest n+1 days old.
        entries += [_entry(patient, days_ago=200 + d, worst=10, reviewed_by=specialist) for d in range(3)]
        entries += [
            _entry(patient, days_ago=count - n, worst=4),
            _entry(patient, days_ago=0, worst=8 if n % 2 else 5),
        ]
    PainDiaryEntry.objects.bulk_create(entries)
    url = reverse("followup:diary_queue")
    with django_assert_max_num_queries(12):
        response = specialist_client.get(url)
    assert response.status_code == 200
    shown = response.context["patients"]
    assert len(shown) == min(count, PAGE) and response.context["page"].paginator.count == count
    assert [p.pk for p in shown] == [p.pk for p in patients[:PAGE]]  # the longest waiting first
    first = shown[0]
    assert (first.unreviewed, first.worst_unreviewed) == (2, 5)  # the reviewed entries' 10 is not counted
    assert first.oldest_unreviewed.date() == (timezone.now() - timedelta(days=count)).date()
    html = response.content.decode()
    assert html.count("btn-sm btn-primary") == min(count, PAGE)
    assert f"{count} patient{'s' if count > 1 else ''} waiting" in html
    if count > PAGE:
        assert "Page 1 of 3" in html
        with django_assert_max_num_queries(12):
            last = specialist_client.get(url, {"page": 3})
        assert [p.pk for p in last.context["patients"]] == [p.pk for p in patients[2 * PAGE :]]

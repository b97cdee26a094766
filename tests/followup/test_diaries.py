"""Pain diary links (no login), entries, staff entries, review, prompts."""

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from followup import diaries
from followup.models import DiaryPrompt, DiaryPromptStatus, PainDiaryEntry
from sessions.models import SessionStatus
from tests import factories

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")

GOOD = {
    "pain_now": "4",
    "pain_average": "5",
    "pain_worst": "7",
    "sleep": "disturbed",
    "activity": "reduced",
    "rescue_medication": "on",
    "rescue_medication_detail": "Paracetamol 1 g",
    "notes": "Better in the mornings",
}


@pytest.fixture
def patient(db):
    return factories.PatientFactory(first_name="Margaret", last_name="Thornton")


@pytest.fixture
def link(patient, nurse):
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    return diaries.link_path(prompt)


def test_a_valid_link_shows_the_form_without_login(client, link):
    response = client.get(link)
    assert response.status_code == 200
    assert b"Your pain diary" in response.content and b"Hello Margaret" in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert b"Thornton" not in response.content  # first name only


def test_the_patient_fills_the_diary_through_the_link(client, link, patient):
    response = client.post(link, GOOD)
    assert response.status_code == 200 and b"Thank you, Margaret" in response.content
    entry = PainDiaryEntry.objects.get()
    assert (entry.patient, entry.pain_now, entry.pain_average, entry.pain_worst) == (patient, 4, 5, 7)
    assert entry.source == "patient" and entry.entered_by is None and entry.rescue_medication
    assert entry.prompt.patient == patient and entry.reviewed_at is None


@pytest.mark.parametrize("value", ["11", "-1", "7.5", "ten", ""])
def test_it_refuses_pain_outside_0_to_10_and_saves_nothing(client, link, value):
    response = client.post(link, {**GOOD, "pain_now": value})
    assert response.status_code == 400
    assert PainDiaryEntry.objects.count() == 0
    text = response.content.decode()
    assert (
        "Choose a number from 0 (no pain) to 10" in text
        or "0 to 10" in text
        or "whole number from 0 to 10" in text
    )


def test_it_refuses_a_worst_pain_below_the_average(client, link):
    response = client.post(link, {**GOOD, "pain_average": "8", "pain_worst": "6"})
    assert response.status_code == 400 and b"Worst pain cannot be lower than average pain" in response.content
    assert PainDiaryEntry.objects.count() == 0


def test_the_database_refuses_a_pain_score_above_10(patient):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        PainDiaryEntry.objects.create(
            patient=patient, pain_now=11, pain_average=5, pain_worst=11, sleep="good", activity="normal"
        )


def test_a_tampered_link_gets_a_friendly_400_that_reveals_nothing(client, link):
    token = link.rstrip("/").rsplit("/", 1)[1]
    for bad in (token[:-2] + "xx", token.replace(":", "-"), "nonsense", token[:20]):
        response = client.get(reverse("followup:diary_public", args=[bad]))
        assert response.status_code == 400
        assert b"This diary link does not work" in response.content
        assert b"Margaret" not in response.content and b"Thornton" not in response.content
    assert client.post(reverse("followup:diary_public", args=[token[:-2] + "xx"]), GOOD).status_code == 400
    assert PainDiaryEntry.objects.count() == 0


def test_a_link_for_a_deleted_prompt_is_refused(client, patient, nurse):
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    path = diaries.link_path(prompt)
    prompt.delete()
    assert client.get(path).status_code == 400


class _OldSigner(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 8 * 24 * 3600)


def test_an_expired_link_gets_a_friendly_410_even_after_being_used(client, patient, nurse):
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    fresh = diaries.link_path(prompt)
    assert client.post(fresh, GOOD).status_code == 200  # used while valid
    expired_token = _OldSigner(salt=diaries.SALT).sign(prompt.token.hex)
    url = reverse("followup:diary_public", args=[expired_token])
    response = client.get(url)
    assert response.status_code == 410 and b"This diary link has expired" in response.content
    assert b"Margaret" not in response.content
    assert client.post(url, GOOD).status_code == 410
    assert PainDiaryEntry.objects.count() == 1


def test_link_lifetime_follows_the_setting(client, patient, nurse, settings):
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    token = _OldSigner(salt=diaries.SALT).sign(prompt.token.hex)  # 8 days old
    settings.DIARY_LINK_DAYS = 9
    assert client.get(reverse("followup:diary_public", args=[token])).status_code == 200
    settings.DIARY_LINK_DAYS = 7
    assert client.get(reverse("followup:diary_public", args=[token])).status_code == 410


# --- staff -------------------------------------------------------------------------------------


def test_a_nurse_enters_a_diary_entry_on_the_patients_behalf(nurse_client, nurse, patient):
    url = reverse("followup:diary_entry_create", args=[patient.pk])
    assert nurse_client.get(url).status_code == 200
    when = timezone.localtime() - timedelta(hours=3)
    response = nurse_client.post(url, {**GOOD, "recorded_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    entry = PainDiaryEntry.objects.get()
    assert entry.source == "staff" and entry.entered_by == nurse
    assert abs((entry.recorded_at - when).total_seconds()) < 60


def test_a_staff_entry_in_the_future_or_out_of_range_is_refused(nurse_client, patient):
    url = reverse("followup:diary_entry_create", args=[patient.pk])
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert nurse_client.post(url, {**GOOD, "recorded_at": future}).status_code == 400
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = nurse_client.post(url, {**GOOD, "recorded_at": now, "pain_worst": "12"})
    assert response.status_code == 400 and b"0 to 10" in response.content
    assert PainDiaryEntry.objects.count() == 0


def test_reception_may_not_see_or_enter_diaries(reception_client, patient):
    for name in ("patient_diary", "diary_entry_create", "diary_panel"):
        assert reception_client.get(reverse(f"followup:{name}", args=[patient.pk])).status_code == 403
    assert reception_client.post(reverse("followup:diary_link_create", args=[patient.pk])).status_code == 403
    assert reception_client.get(reverse("followup:diary_queue")).status_code == 403


def test_a_nurse_may_give_a_link_but_not_review(nurse_client, patient):
    response = nurse_client.post(reverse("followup:diary_link_create", args=[patient.pk]), follow=True)
    assert response.status_code == 200 and b"/patients/diary/" in response.content
    assert DiaryPrompt.objects.get().status == DiaryPromptStatus.HANDED_OUT
    assert nurse_client.get(reverse("followup:diary_queue")).status_code == 403
    review = reverse("followup:diary_review", args=[patient.pk])
    assert nurse_client.post(review, {"comment": "x"}).status_code == 403


def _entries(patient, n, **kw):
    now = timezone.now()
    return [
        PainDiaryEntry.objects.create(
            patient=patient,
            recorded_at=now - timedelta(days=i),
            pain_now=3,
            pain_average=4,
            pain_worst=6,
            sleep="good",
            activity="normal",
            **kw,
        )
        for i in range(n)
    ]


def test_the_specialist_reviews_with_a_comment_recording_who_and_when(specialist_client, specialist, patient):
    entries = _entries(patient, 3)
    page = specialist_client.get(reverse("followup:patient_diary", args=[patient.pk]))
    assert page.status_code == 200 and b"diary-chart-data" in page.content
    url = reverse("followup:diary_review", args=[patient.pk])
    missing = specialist_client.post(url, {"entry": [e.pk for e in entries], "comment": ""}, follow=True)
    assert b"Write a short comment" in missing.content
    assert PainDiaryEntry.objects.filter(reviewed_at__isnull=False).count() == 0
    response = specialist_client.post(url, {"entry": [e.pk for e in entries], "comment": "Stable; continue."})
    assert response.status_code == 302
    for entry in PainDiaryEntry.objects.all():
        assert entry.reviewed_by == specialist and entry.review_comment == "Stable; continue."
        assert timezone.now() - entry.reviewed_at < timedelta(minutes=1)
        assert entry.history.first().history_user is not None or entry.history.count() >= 2


def test_an_entry_arriving_while_the_specialist_reads_stays_unreviewed(specialist_client, patient):
    seen = _entries(patient, 2)
    late = _entries(patient, 1)[0]
    url = reverse("followup:diary_review", args=[patient.pk])
    specialist_client.post(url, {"entry": [e.pk for e in seen], "comment": "Seen"})
    late.refresh_from_db()
    assert late.reviewed_at is None
    assert PainDiaryEntry.objects.filter(reviewed_at__isnull=False).count() == 2


@pytest.mark.parametrize("patients", [2, 8])
def test_the_review_queue_keeps_its_queries_flat(specialist_client, django_assert_max_num_queries, patients):
    for _ in range(patients):
        _entries(factories.PatientFactory(), 3)
    with django_assert_max_num_queries(12):
        response = specialist_client.get(reverse("followup:diary_queue"))
    assert response.status_code == 200 and response.content.count(b"btn-sm btn-primary") == patients


@pytest.mark.parametrize("entries", [3, 30])
def test_the_patient_diary_page_keeps_its_queries_flat(
    specialist_client, django_assert_max_num_queries, patient, entries
):
    _entries(patient, entries)
    from tests.followup.conftest import make_session

    for days in (5, 15):
        make_session(
            patient=patient, start=timezone.now() - timedelta(days=days), status=SessionStatus.SIGNED_OFF
        )
    with django_assert_max_num_queries(16):
        response = specialist_client.get(reverse("followup:patient_diary", args=[patient.pk]))
    assert response.status_code == 200 and response.context["chart"]["sessions"].__len__() == 2


def test_the_review_queue_is_empty_with_guidance(specialist_client):
    response = specialist_client.get(reverse("followup:diary_queue"))
    assert b"No diaries waiting for review" in response.content


# --- prompts ---------------------------------------------------------------------------------


def test_the_daily_prompt_goes_once_a_day_to_patients_in_follow_up(sms_outbox):
    from tests.followup.conftest import make_session

    in_follow_up = factories.PatientFactory(consent_sms=False)
    make_session(
        patient=in_follow_up, start=timezone.now() - timedelta(days=10), status=SessionStatus.COMPLETED
    )
    sms_only = factories.PatientFactory(consent_email=False)
    make_session(patient=sms_only, start=timezone.now() + timedelta(days=3))
    make_session(start=timezone.now() - timedelta(days=200), status=SessionStatus.COMPLETED)  # long finished
    no_consent = factories.PatientFactory(consent_email=False, consent_sms=False)
    make_session(patient=no_consent, start=timezone.now() + timedelta(days=2))

    first = diaries.send_diary_prompts()
    second = diaries.send_diary_prompts()
    assert (first.sent, second.sent) == (2, 0)
    assert [m.to for m in mail.outbox] == [[in_follow_up.email]]
    assert len(sms_outbox) == 1 and "/patients/diary/" in sms_outbox[0].body
    assert DiaryPrompt.objects.count() == 2
    link = mail.outbox[0].body.split("http://127.0.0.1:8000", 1)[1].split()[0]
    assert diaries.prompt_from_token(link.rstrip("/").rsplit("/", 1)[1]).patient == in_follow_up


def test_a_prompt_that_cannot_be_sent_is_recorded_as_failed(settings):
    from tests.followup.conftest import make_session

    settings.EMAIL_CONFIGURED = False
    patient = factories.PatientFactory(consent_sms=False)
    make_session(patient=patient, start=timezone.now() + timedelta(days=1))
    result = diaries.send_diary_prompts()
    prompt = DiaryPrompt.objects.get()
    assert (
        result.failed == 1
        and prompt.status == DiaryPromptStatus.FAILED
        and "not configured" in prompt.last_error
    )


def test_the_patient_record_loads_the_diary_and_outcome_card(specialist_client, nurse_client, patient):
    _entries(patient, 2)
    detail = specialist_client.get(reverse("patients:patient_detail", args=[patient.pk]))
    panel_url = reverse("followup:diary_panel", args=[patient.pk])
    assert detail.status_code == 200 and panel_url.encode() in detail.content
    panel = specialist_client.get(panel_url)
    assert b"2 to review" in panel.content and b"Outcome reviews" in panel.content
    nurse_panel = nurse_client.get(panel_url)
    assert b"2 to review" in nurse_panel.content and b"Outcome reviews" not in nurse_panel.content


def test_the_review_queue_links_each_patient_to_their_record(specialist_client, patient):
    _entries(patient, 2)
    page = specialist_client.get(reverse("followup:diary_queue")).content.decode()
    assert f'href="{reverse("patients:patient_detail", args=[patient.pk])}"' in page
    assert "longest waiting first" in page


def test_the_diary_card_says_all_reviewed_only_when_there_are_entries(specialist_client, specialist, patient):
    panel_url = reverse("followup:diary_panel", args=[patient.pk])
    empty = specialist_client.get(panel_url).content.decode()
    assert "all reviewed" not in empty and "No diary entries yet" in empty
    PainDiaryEntry.objects.filter(pk__in=[e.pk for e in _entries(patient, 1)]).update(
        reviewed_at=timezone.now(), reviewed_by=specialist
    )
    assert "Diary: all reviewed" in specialist_client.get(panel_url).content.decode()


# --- link revocation and one entry a day ----------------------------------------------------------


def test_issuing_a_new_link_revokes_the_older_ones(client, patient, nurse):
    first = diaries.create_diary_link(patient=patient, created_by=nurse)
    other_patient_link = diaries.create_diary_link(patient=factories.PatientFactory(), created_by=nurse)
    second = diaries.create_diary_link(patient=patient, created_by=nurse)
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_by == nurse
    response = client.get(diaries.link_path(first))
    assert response.status_code == 410 and b"no longer active" in response.content
    assert b"Margaret" not in response.content and b"Thornton" not in response.content
    assert client.post(diaries.link_path(first), GOOD).status_code == 410
    assert client.get(diaries.link_path(second)).status_code == 200
    assert client.get(diaries.link_path(other_patient_link)).status_code == 200
    assert PainDiaryEntry.objects.count() == 0


def test_a_sent_prompt_revokes_older_links_but_a_failed_one_does_not(
    settings, patient, nurse, sms_outbox, time_machine
):
    from tests.followup.conftest import make_session

    time_machine.move_to(datetime(2026, 11, 16, 11, 0, tzinfo=LONDON), tick=False)
    handed = diaries.create_diary_link(patient=patient, created_by=nurse)
    make_session(patient=patient, start=timezone.now() + timedelta(days=3), status=SessionStatus.SIGNED_OFF)
    time_machine.move_to(datetime(2026, 11, 24, 10, 0, tzinfo=LONDON), tick=False)
    settings.EMAIL_CONFIGURED = False
    settings.SMS_BACKEND = "followup.messaging.NotConfiguredSMSBackend"
    assert diaries.send_diary_prompts().failed == 1
    handed.refresh_from_db()
    assert handed.revoked_at is None  # the patient keeps the link they have
    settings.EMAIL_CONFIGURED = True
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=LONDON), tick=False)
    assert diaries.send_diary_prompts().sent == 1
    handed.refresh_from_db()
    assert handed.revoked_at is not None and handed.revoked_by is None
    assert DiaryPrompt.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_nurse_revokes_a_link_and_its_page_reveals_nothing(nurse_client, nurse, client, patient):
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    page = nurse_client.get(reverse("followup:patient_diary", args=[patient.pk])).content.decode()
    url = reverse("followup:diary_link_revoke", args=[patient.pk, prompt.pk])
    assert url in page and "Active until" in page
    response = nurse_client.post(url, follow=True)
    assert response.status_code == 200 and b"revoked: it opens nothing now" in response.content
    prompt.refresh_from_db()
    assert prompt.revoked_by == nurse
    public = client.get(diaries.link_path(prompt))
    assert public.status_code == 410 and b"Margaret" not in public.content
    again = nurse_client.post(url, follow=True)
    assert b"already revoked" in again.content


def test_reception_may_not_revoke_a_link_and_another_patients_link_is_not_found(
    reception_client, nurse_client, nurse, patient
):
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    url = reverse("followup:diary_link_revoke", args=[patient.pk, prompt.pk])
    assert reception_client.post(url).status_code == 403
    other = factories.PatientFactory()
    assert (
        nurse_client.post(reverse("followup:diary_link_revoke", args=[other.pk, prompt.pk])).status_code
        == 404
    )
    assert nurse_client.get(url).status_code == 405
    prompt.refresh_from_db()
    assert prompt.revoked_at is None


def test_a_link_revoked_while_the_form_is_open_saves_nothing(client, patient, nurse):
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    path = diaries.link_path(prompt)
    assert client.get(path).status_code == 200
    diaries.revoke_diary_link(prompt=prompt, by=nurse)
    response = client.post(path, GOOD)
    assert response.status_code == 410 and PainDiaryEntry.objects.count() == 0


def test_a_link_takes_one_entry_a_day(client, patient, nurse, time_machine):
    time_machine.move_to(datetime(2026, 11, 24, 9, 0, tzinfo=LONDON), tick=False)
    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    path = diaries.link_path(prompt)
    assert client.post(path, GOOD).status_code == 200
    time_machine.move_to(datetime(2026, 11, 24, 23, 30, tzinfo=LONDON), tick=False)
    refused = client.post(path, {**GOOD, "pain_now": "2"})
    assert refused.status_code == 400 and b"already filled in today" in refused.content
    shown = client.get(path)
    assert (
        shown.status_code == 200
        and b"already filled in today" in shown.content
        and b"<form" not in shown.content
    )
    assert PainDiaryEntry.objects.count() == 1
    time_machine.move_to(datetime(2026, 11, 25, 0, 30, tzinfo=LONDON), tick=False)  # a new UK day
    assert client.post(path, GOOD).status_code == 200
    days = list(PainDiaryEntry.objects.order_by("link_day").values_list("link_day", flat=True))
    assert days == [date(2026, 11, 24), date(2026, 11, 25)]


def test_the_database_refuses_a_second_entry_on_one_link_the_same_day(patient, nurse):
    from django.db import IntegrityError, transaction

    prompt = diaries.create_diary_link(patient=patient, created_by=nurse)
    fields = {"pain_now": 3, "pain_average": 4, "pain_worst": 6, "sleep": "good", "activity": "normal"}
    PainDiaryEntry.objects.create(patient=patient, prompt=prompt, link_day=date(2026, 11, 24), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        PainDiaryEntry.objects.create(patient=patient, prompt=prompt, link_day=date(2026, 11, 24), **fields)
    PainDiaryEntry.objects.create(patient=patient, prompt=None, entered_by=nurse, source="staff", **fields)
    PainDiaryEntry.objects.create(patient=patient, prompt=None, entered_by=nurse, source="staff", **fields)

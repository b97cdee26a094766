"""Reception's reminder page (failed deliveries, retry), the clinic's wording, dashboard cards."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from followup.models import ReminderLog, ReminderStatus, ReminderTemplate
from tests import factories

from .conftest import make_session

pytestmark = pytest.mark.django_db


def _failed(n=1, error="Email is not configured (set EMAIL_URL)."):
    logs = []
    for _ in range(n):
        session = make_session(start=timezone.now() + timedelta(hours=20))
        logs.append(
            ReminderLog.objects.create(
                session=session,
                kind="24h",
                channel="email",
                status=ReminderStatus.FAILED,
                attempts=1,
                claimed_at=timezone.now(),
                last_error=error,
                recipient=session.patient.email,
            )
        )
    return logs


def test_reception_sees_failed_deliveries_with_the_reason(reception_client):
    (log,) = _failed()
    response = reception_client.get(reverse("followup:reminder_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Email is not configured" in text and log.recipient in text and "Retry" in text


def test_reception_retries_a_failed_reminder_and_it_is_sent_once(reception_client, reception, sms_outbox):
    (log,) = _failed()
    url = reverse("followup:reminder_retry", args=[log.pk])
    response = reception_client.post(url, follow=True)
    log.refresh_from_db()
    assert log.status == ReminderStatus.SENT and log.retried_by == reception and len(mail.outbox) == 1
    assert b"reminder sent to" in response.content
    again = reception_client.post(url, follow=True)
    assert b"Only a failed reminder can be retried" in again.content and len(mail.outbox) == 1


def test_a_retry_that_fails_again_says_so(reception_client, settings):
    settings.EMAIL_CONFIGURED = False
    (log,) = _failed()
    response = reception_client.post(reverse("followup:reminder_retry", args=[log.pk]), follow=True)
    log.refresh_from_db()
    assert log.status == ReminderStatus.FAILED and b"failed again" in response.content


def test_nurses_and_specialists_may_not_see_or_retry_reminders(nurse_client, specialist_client):
    (log,) = _failed()
    for client in (nurse_client, specialist_client):
        assert client.get(reverse("followup:reminder_list")).status_code == 403
        assert client.post(reverse("followup:reminder_retry", args=[log.pk])).status_code == 403
    log.refresh_from_db()
    assert log.status == ReminderStatus.FAILED


@pytest.mark.parametrize("rows", [3, 25])
def test_the_reminder_page_keeps_its_queries_flat(reception_client, django_assert_max_num_queries, rows):
    _failed(rows)
    with django_assert_max_num_queries(12):
        response = reception_client.get(reverse("followup:reminder_list"))
    assert response.content.count(b">Retry<") == rows


def test_the_empty_failed_tab_says_what_happens(reception_client):
    response = reception_client.get(reverse("followup:reminder_list"))
    assert b"No failed reminders" in response.content


def test_the_clinic_admin_edits_the_sms_wording_with_a_preview(admin_client_role, clinic_admin):
    url = reverse("followup:reminder_template_edit", args=["sms"])
    page = admin_client_role.get(url)
    assert page.status_code == 200 and b"Preview" in page.content
    response = admin_client_role.post(
        url, {"body": "{{ clinic_name }}: see you {{ date }} at {{ time }}, {{ first_name }}."}
    )
    assert response.status_code == 302
    saved = ReminderTemplate.objects.get(channel="sms")
    assert saved.updated_by == clinic_admin and saved.history.count() == 1
    listing = admin_client_role.get(reverse("followup:reminder_templates"))
    assert b"see you" in listing.content and b"Margaret" in listing.content


def test_the_wording_form_refuses_unknown_placeholders_and_unsafe_tags(admin_client_role):
    url = reverse("followup:reminder_template_edit", args=["email"])
    response = admin_client_role.post(
        url, {"subject": "Hi", "body": "Dear {{ patient.nhs_number }} {% debug %}"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "remove: {% debug %}" in text
    response = admin_client_role.post(url, {"subject": "", "body": "Dear {{ first_name }}"})
    assert response.status_code == 400
    assert ReminderTemplate.objects.count() == 0


def test_reception_may_not_edit_the_wording(reception_client):
    assert reception_client.get(reverse("followup:reminder_templates")).status_code == 403
    url = reverse("followup:reminder_template_edit", args=["sms"])
    assert reception_client.post(url, {"body": "x"}).status_code == 403


def test_dashboard_cards_show_follow_up_work(reception_client, specialist_client):
    _failed(2)
    patient = factories.PatientFactory()
    from followup.models import PainDiaryEntry

    PainDiaryEntry.objects.create(
        patient=patient, pain_now=2, pain_average=3, pain_worst=5, sleep="good", activity="normal"
    )
    assert b"2 failed" in reception_client.get("/").content
    page = specialist_client.get("/").content
    assert b"Pain diaries to review" in page and b"1</span> entry from 1 patient" in page
    assert b"Outcome reviews" in page


def test_the_admin_lists_follow_up_records_and_the_reminder_log_is_read_only(admin_client):
    _failed()
    for name in (
        "followup_reminderlog",
        "followup_remindertemplate",
        "followup_paindiaryentry",
        "followup_outcomereview",
        "followup_diaryprompt",
    ):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:followup_reminderlog_add")).status_code == 403


def test_the_http_sms_adapter_is_chosen_by_setting_and_refuses_without_a_url(settings):
    from followup import messaging

    settings.SMS_BACKEND = "followup.messaging.HttpJsonSMSBackend"
    settings.SMS_HTTP_URL = ""
    assert isinstance(messaging.get_sms_backend(), messaging.HttpJsonSMSBackend)
    with pytest.raises(messaging.NotConfigured):
        messaging.send_sms(to="07700 900123", body="hello")


def test_the_reminders_card_says_all_delivered_only_when_some_were_sent(reception_client):
    assert b"No reminders sent yet" in reception_client.get("/").content
    log = _failed(1)[0]
    ReminderLog.objects.filter(pk=log.pk).update(
        status=ReminderStatus.SENT, last_error="", sent_at=timezone.now()
    )
    page = reception_client.get("/").content
    assert (
        b"All reminders for sessions from today on delivered" in page and b"No reminders sent yet" not in page
    )

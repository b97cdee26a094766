"""The working diary link on the patient's diary page: shown again, copied, sent, printed as a QR slip."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from followup import diaries
from followup.models import DiaryLinkMessage, ReminderStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db):
    return factories.PatientFactory(first_name="Margaret", last_name="Thornton", phone="07700 900123")


@pytest.fixture
def prompt(clinic_morning, patient, nurse):
    return diaries.create_diary_link(patient=patient, created_by=nurse)


def diary_page(client, patient):
    return client.get(reverse("followup:patient_diary", args=[patient.pk]))


def send(client, prompt, channel):
    url = reverse("followup:diary_link_send", args=[prompt.patient_id, prompt.pk])
    return client.post(url, {"channel": channel}, follow=True)


# --- the link itself -------------------------------------------------------------------------------


def test_the_same_link_is_derived_again_and_showing_it_later_never_extends_its_life(
    prompt, client, time_machine, settings
):
    first = diaries.link_url(prompt)
    time_machine.shift(timedelta(days=settings.DIARY_LINK_DAYS - 1))
    assert diaries.link_url(prompt) == first
    assert client.get(diaries.link_path(prompt)).status_code == 200
    time_machine.shift(timedelta(days=1, minutes=1))
    assert diaries.link_url(prompt) == first
    assert client.get(diaries.link_path(prompt)).status_code == 410
    assert diaries.active_link(prompt.patient) is None


def test_the_active_link_is_the_newest_working_one(prompt, patient, nurse):
    assert diaries.active_link(patient) == prompt
    newer = diaries.create_diary_link(patient=patient, created_by=nurse)
    assert diaries.active_link(patient) == newer
    diaries.revoke_diary_link(prompt=newer, by=nurse)
    assert diaries.active_link(patient) is None  # the older one was revoked when the newer was made


# --- the diary page --------------------------------------------------------------------------------


def test_the_nurse_sees_the_working_link_with_copy_qr_send_and_slip(
    prompt, patient, nurse_client, sms_outbox
):
    response = diary_page(nurse_client, patient)
    page = response.content.decode()
    assert 'data-testid="active-diary-link"' in page
    assert f'value="{diaries.link_url(prompt)}"' in page
    assert 'data-copy="#diary-link-url"' in page and "js/copy-link.js" in page
    assert '<svg role="img" aria-label="QR code of the diary link"' in page
    assert reverse("followup:diary_link_slip", args=[patient.pk, prompt.pk]) in page
    assert "Send by SMS</button>" in page and "Send by email</button>" in page
    assert "disabled" not in page.split('id="diary-link"')[1].split("</form>")[0]


def test_a_new_link_message_no_longer_carries_the_raw_address(patient, nurse_client, clinic_morning):
    response = nurse_client.post(reverse("followup:diary_link_create", args=[patient.pk]), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages and "/patients/diary/" not in messages[0] and "copy it, send it or print" in messages[0]
    assert 'data-testid="active-diary-link"' in response.content.decode()


def test_no_link_card_once_the_link_is_revoked(patient, prompt, nurse, nurse_client):
    diaries.revoke_diary_link(prompt=prompt, by=nurse)
    assert 'data-testid="active-diary-link"' not in diary_page(nurse_client, patient).content.decode()


def test_reception_may_not_send_a_link_or_print_its_slip(prompt, reception_client):
    assert send(reception_client, prompt, "email").status_code == 403
    slip = reverse("followup:diary_link_slip", args=[prompt.patient_id, prompt.pk])
    assert reception_client.get(slip).status_code == 403
    assert not DiaryLinkMessage.objects.exists() and not mail.outbox


# --- sending ---------------------------------------------------------------------------------------


def test_sending_by_email_delivers_the_link_and_records_it(prompt, nurse, nurse_client):
    response = send(nurse_client, prompt, "email")
    assert "Diary link sent by email to margaret.thornton@example.org." in response.content.decode()
    (email,) = mail.outbox
    assert email.to == ["margaret.thornton@example.org"] and diaries.link_url(prompt) in email.body
    logged = DiaryLinkMessage.objects.get()
    assert (logged.status, logged.channel, logged.sent_by) == (ReminderStatus.SENT, "email", nurse)
    assert logged.sent_at is not None
    assert "margaret.thornton@example.org" in diary_page(nurse_client, prompt.patient).content.decode()


def test_sending_by_sms_goes_through_the_sms_backend(prompt, nurse_client, sms_outbox):
    send(nurse_client, prompt, "sms")
    (sms,) = sms_outbox
    assert sms.to == "+447700900123" and diaries.link_url(prompt) in sms.body
    assert sms.key == f"diary-link-{DiaryLinkMessage.objects.get().pk}"
    assert DiaryLinkMessage.objects.get().status == ReminderStatus.SENT


def test_without_consent_nothing_is_sent_and_the_page_says_why(prompt, patient, nurse_client, sms_outbox):
    patient.consent_sms = False
    patient.save()
    page = diary_page(nurse_client, patient).content.decode()
    assert "SMS: Margaret has not consented to SMS." in page
    response = send(nurse_client, prompt, "sms")
    assert "Nothing was sent. Margaret has not consented to SMS." in response.content.decode()
    assert not sms_outbox and not DiaryLinkMessage.objects.exists()


def test_sms_not_configured_is_said_and_never_pretended(prompt, patient, nurse_client):
    # The test settings keep the default outside DEBUG: NotConfiguredSMSBackend.
    page = diary_page(nurse_client, patient).content.decode()
    assert "SMS: SMS is not configured (SMS_BACKEND). Nothing can be sent this way" in page
    assert 'disabled aria-describedby="send-sms-note"' in page
    response = send(nurse_client, prompt, "sms")
    assert "Nothing was sent. SMS is not configured" in response.content.decode()
    assert not DiaryLinkMessage.objects.exists()


def test_email_not_configured_is_refused(prompt, nurse_client, settings):
    settings.EMAIL_CONFIGURED = False
    response = send(nurse_client, prompt, "email")
    assert "Nothing was sent. Email is not configured" in response.content.decode()
    assert not mail.outbox and not DiaryLinkMessage.objects.exists()


def test_no_sms_in_quiet_hours(prompt, nurse_client, sms_outbox, settings):
    settings.SMS_QUIET_HOURS = "10:00-12:00"  # the pinned clock reads 11:00
    response = send(nurse_client, prompt, "sms")
    assert "No SMS in the quiet hours: SMS can go from 12:00." in response.content.decode()
    assert not sms_outbox


def test_a_refused_send_is_recorded_as_failed_not_sent(prompt, nurse_client, settings):
    settings.SMS_BACKEND = "followup.messaging.FailingSMSBackend"
    settings.SMS_QUIET_HOURS = ""
    response = send(nurse_client, prompt, "sms")
    assert "The diary link was not sent by SMS" in response.content.decode()
    logged = DiaryLinkMessage.objects.get()
    assert (
        logged.status == ReminderStatus.FAILED and logged.sent_at is None and "refused" in logged.last_error
    )


def test_a_revoked_link_is_not_sent(prompt, nurse, nurse_client):
    diaries.revoke_diary_link(prompt=prompt, by=nurse)
    response = send(nurse_client, prompt, "email")
    assert "This link no longer works" in response.content.decode() and not mail.outbox


# --- the printed slip ------------------------------------------------------------------------------


def test_the_slip_has_the_name_how_to_use_the_qr_code_and_the_uk_expiry_date(prompt, patient, nurse_client):
    response = nurse_client.get(reverse("followup:diary_link_slip", args=[patient.pk, prompt.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Margaret Thornton" in page and "point it at the square code" in page
    assert '<svg role="img" aria-label="QR code of the diary link"' in page
    assert diaries.link_url(prompt) in page
    assert "This link works until 2 Dec 2026." in page  # made 25 Nov 2026 11:00, 7 days


def test_the_slip_of_a_link_that_no_longer_works_is_refused(prompt, patient, nurse, nurse_client):
    newer = diaries.create_diary_link(patient=patient, created_by=nurse)
    response = nurse_client.get(
        reverse("followup:diary_link_slip", args=[patient.pk, prompt.pk]), follow=True
    )
    assert "no longer works" in response.content.decode()
    assert diaries.link_url(prompt) not in response.content.decode()
    assert diaries.link_url(newer) in response.content.decode()


def test_the_diary_page_query_count_does_not_grow_with_sends(
    prompt, patient, nurse, nurse_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40) as small:
        diary_page(nurse_client, patient)
    for _ in range(6):
        DiaryLinkMessage.objects.create(
            prompt=prompt,
            channel="email",
            recipient="x@example.org",
            sent_by=nurse,
            status=ReminderStatus.FAILED,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        diary_page(nurse_client, patient)

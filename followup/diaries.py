"""Pain diaries: signed expiring links, entries (from the patient or staff), prompts, review.

A link signs the random token of a DiaryPrompt with a TimestampSigner, so the link carries no
patient data and stops working DIARY_LINK_DAYS after it was made. The signature's timestamp is the
link's own creation time, so the same link is derived again whenever it is asked for (the diary page
shows it, copies it, sends it and prints it as a QR code for as long as it works) and showing it
again never extends its life. Revoking still works: the token's row says so. Only the newest link of a patient
works: issuing one (by staff, or a prompt that was sent) revokes the older ones, and staff can revoke
a link. A link takes one entry a UK day (a unique row per link and day), so at most about
DIARY_LINK_DAYS entries over its life. Pages for revoked or expired links say nothing about the patient.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from followup import messaging
from followup.reminders import quiet_hours_end
from infusion_clinic.dates import uk_format
from patients.models import Patient
from sessions.models import ACTIVE_STATUSES, InfusionSession

from .models import (
    DiaryEntrySource,
    DiaryLinkMessage,
    DiaryPrompt,
    DiaryPromptStatus,
    PainDiaryEntry,
    ReminderChannel,
    ReminderStatus,
)

logger = logging.getLogger(__name__)

SALT = "patients.diary-link"
# Patients get prompts from a week before their first session (the baseline) until the last
# outcome review after their latest session.
PROMPT_BEFORE_DAYS = 7


class DiaryLinkError(Exception):
    status = 400
    title = "This diary link does not work"
    message = (
        "The link may have been copied incompletely. Please use the newest link the clinic sent you, "
        "or contact the clinic for a new one."
    )


class DiaryLinkRevoked(DiaryLinkError):
    status = 410
    title = "This diary link is no longer active"
    message = (
        "The clinic has replaced or withdrawn this link. Please use the newest link the clinic sent you, "
        "or contact the clinic for a new one."
    )


class DiaryLinkExpired(DiaryLinkError):
    status = 410
    title = "This diary link has expired"
    message = (
        "Diary links work for a limited time to keep your information safe. The clinic will send you a "
        "new link; if you need one sooner, please contact the clinic."
    )


class _SignerAt(signing.TimestampSigner):
    """A TimestampSigner that stamps a given moment (the link's creation) rather than now."""

    def __init__(self, moment: datetime, **kwargs):
        super().__init__(**kwargs)
        self._moment = moment

    def timestamp(self):
        return signing.b62_encode(int(self._moment.timestamp()))


def _signer():
    return signing.TimestampSigner(salt=SALT)


def link_token(prompt: DiaryPrompt) -> str:
    return _SignerAt(prompt.created_at, salt=SALT).sign(prompt.token.hex)


def link_path(prompt: DiaryPrompt) -> str:
    return reverse("followup:diary_public", args=[link_token(prompt)])


def link_url(prompt: DiaryPrompt) -> str:
    return settings.SITE_URL.rstrip("/") + link_path(prompt)


def link_expires_at(prompt: DiaryPrompt) -> datetime:
    return prompt.created_at + timedelta(days=settings.DIARY_LINK_DAYS)


def prompt_from_token(token: str) -> DiaryPrompt:
    """The prompt a link stands for; DiaryLinkExpired or DiaryLinkError otherwise."""
    try:
        value = _signer().unsign(token, max_age=timedelta(days=settings.DIARY_LINK_DAYS))
    except signing.SignatureExpired as exc:
        raise DiaryLinkExpired from exc
    except signing.BadSignature as exc:
        raise DiaryLinkError from exc
    prompt = DiaryPrompt.objects.select_related("patient").filter(token=_as_uuid(value)).first()
    if prompt is None:
        raise DiaryLinkError
    if prompt.revoked_at is not None:
        raise DiaryLinkRevoked
    return prompt


def active_link(patient: Patient, *, now: datetime | None = None) -> DiaryPrompt | None:
    """The patient's link that works now (the newest, not revoked, not expired), or None."""
    now = now or timezone.now()
    return (
        patient.diary_prompts.filter(
            revoked_at__isnull=True, created_at__gt=now - timedelta(days=settings.DIARY_LINK_DAYS)
        )
        .order_by("-created_at", "-id")
        .first()
    )


def qr_svg(url: str) -> str:
    """The link as an inline SVG QR code (segno), to scan from the screen or the printed slip."""
    svg = segno.make(url, error="m").svg_inline(scale=5, border=2, omitsize=True, svgclass="qr-code")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of the diary link" ', 1)


def filled_in_today(prompt: DiaryPrompt) -> bool:
    return prompt.entries.filter(link_day=timezone.localdate()).exists()


def _as_uuid(value):
    import uuid

    try:
        return uuid.UUID(hex=value)
    except ValueError as exc:
        raise DiaryLinkError from exc


def _revoke_older_links(*, newest: DiaryPrompt, by) -> int:
    return (
        DiaryPrompt.objects.filter(patient_id=newest.patient_id, revoked_at__isnull=True)
        .exclude(pk=newest.pk)
        .filter(created_at__lte=newest.created_at)
        .update(revoked_at=timezone.now(), revoked_by=by)
    )


@transaction.atomic
def create_diary_link(*, patient: Patient, created_by) -> DiaryPrompt:
    """A link that staff hand to the patient (shown on screen, or sent by them). The patient's older
    links stop working."""
    prompt = DiaryPrompt(patient=patient, created_by=created_by, status=DiaryPromptStatus.HANDED_OUT)
    prompt.full_clean()
    prompt.save()
    _revoke_older_links(newest=prompt, by=created_by)
    return prompt


@transaction.atomic
def revoke_diary_link(*, prompt: DiaryPrompt, by) -> DiaryPrompt:
    """Stop one link working (e.g. sent to the wrong number). Refused when it is already revoked."""
    changed = DiaryPrompt.objects.filter(pk=prompt.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    if not changed:
        raise ValidationError({"revoked_at": "This link was already revoked."})
    prompt.refresh_from_db()
    return prompt


@transaction.atomic
def record_diary_entry(
    *, patient: Patient, prompt: DiaryPrompt | None = None, entered_by=None, **fields
) -> PainDiaryEntry:
    """Save one entry; the patient's own via a link (one a day, not on a revoked link), or staff's on
    the patient's behalf."""
    link_day = None
    if prompt is not None:
        if prompt.patient_id != patient.pk:
            raise ValidationError("This diary link belongs to someone else.")
        # Lock the link: a revocation or a second entry at the same moment waits for this one.
        prompt = DiaryPrompt.objects.select_for_update().get(pk=prompt.pk)
        if prompt.revoked_at is not None:
            raise DiaryLinkRevoked
        link_day = timezone.localdate()
        if prompt.entries.filter(link_day=link_day).exists():
            raise ValidationError(ALREADY_TODAY)
    entry = PainDiaryEntry(
        patient=patient,
        prompt=prompt,
        link_day=link_day,
        entered_by=entered_by,
        source=DiaryEntrySource.STAFF if entered_by is not None else DiaryEntrySource.PATIENT,
        **fields,
    )
    if entry.recorded_at and entry.recorded_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"recorded_at": "A diary entry cannot be in the future."})
    entry.full_clean()
    entry.save()
    return entry


ALREADY_TODAY = "You have already filled in today's diary. The link works again tomorrow."


@transaction.atomic
def review_diary_entries(*, patient: Patient, entry_ids, reviewer, comment: str) -> int:
    """Mark the entries the reviewer saw as reviewed, with their comment. Returns how many."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Write a short comment: it goes on the patient's record."})
    entries = PainDiaryEntry.objects.select_for_update().filter(
        patient=patient, pk__in=list(entry_ids), reviewed_at__isnull=True
    )
    count = 0
    now = timezone.now()
    for entry in entries:  # save() per entry so that the history records who reviewed it
        entry.reviewed_at, entry.reviewed_by, entry.review_comment = now, reviewer, comment
        entry.save(update_fields=["reviewed_at", "reviewed_by", "review_comment"])
        count += 1
    if not count:
        raise ValidationError({"comment": "These entries have already been reviewed."})
    return count


# --- selectors -------------------------------------------------------------------------------------


def review_queue():
    """Patients with unreviewed entries, the longest-waiting first, as rows of `patient_id`, `unreviewed`,
    `oldest_unreviewed` and `worst_unreviewed`: aggregated over the unreviewed entries only (the years of
    reviewed ones are never read). Paginate it, then `review_queue_patients(page)`."""
    return (
        PainDiaryEntry.objects.filter(reviewed_at__isnull=True)
        .values("patient_id")
        .annotate(
            unreviewed=Count("pk"),
            oldest_unreviewed=Min("recorded_at"),
            worst_unreviewed=Max("pain_worst"),
        )
        .order_by("oldest_unreviewed", "patient_id")
    )


def review_queue_patients(rows) -> list[Patient]:
    """The patients of a page of `review_queue()` rows, in its order, each with the row's figures: one
    query, for the page's patients only."""
    rows = list(rows)
    patients = Patient.objects.in_bulk([row["patient_id"] for row in rows])
    shown = []
    for row in rows:
        patient = patients[row["patient_id"]]
        patient.unreviewed = row["unreviewed"]
        patient.oldest_unreviewed = row["oldest_unreviewed"]
        patient.worst_unreviewed = row["worst_unreviewed"]
        shown.append(patient)
    return shown


def unreviewed_entries(patient):
    return (
        patient.diary_entries.filter(reviewed_at__isnull=True)
        .select_related("entered_by")
        .order_by("recorded_at")
    )


def chart_data(*, patient, days: int = 120) -> dict:
    """Diary scores and the patient's sessions as JSON-ready lists (timestamps in ms). Two queries."""
    since = timezone.now() - timedelta(days=days)
    entries = patient.diary_entries.filter(recorded_at__gte=since).order_by("recorded_at")
    sessions = InfusionSession.objects.filter(
        patient=patient, start__gte=since, status__in=ACTIVE_STATUSES
    ).order_by("start")

    def ms(dt):
        return int(dt.timestamp() * 1000)

    rows = list(entries.values_list("recorded_at", "pain_now", "pain_average", "pain_worst", "reviewed_at"))
    return {
        "now": [{"x": ms(r[0]), "y": r[1]} for r in rows],
        "average": [{"x": ms(r[0]), "y": r[2]} for r in rows],
        "worst": [{"x": ms(r[0]), "y": r[3]} for r in rows],
        "unreviewed": [{"x": ms(r[0]), "y": r[3]} for r in rows if r[4] is None],
        "sessions": [
            {"x": ms(start), "label": f"Infusion {uk_format(start, 'day_month')}"}
            for start in sessions.values_list("start", flat=True)
        ],
    }


# --- prompts -------------------------------------------------------------------------------------


@dataclass
class PromptResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def patients_due_a_prompt(*, now: datetime):
    """Patients in follow-up (a session from PROMPT_BEFORE_DAYS ahead back to the last review
    offset) with consent to a channel and no diary link in the last DIARY_PROMPT_EVERY_DAYS."""
    follow_up_days = max(settings.OUTCOME_REVIEW_OFFSETS_DAYS or [91])
    in_follow_up = InfusionSession.objects.filter(
        patient=OuterRef("pk"),
        status__in=ACTIVE_STATUSES,
        start__gte=now - timedelta(days=follow_up_days),
        start__lte=now + timedelta(days=PROMPT_BEFORE_DAYS),
    )
    recent_prompt = DiaryPrompt.objects.filter(
        patient=OuterRef("pk"),
        created_at__gt=now - timedelta(days=settings.DIARY_PROMPT_EVERY_DAYS) + timedelta(hours=1),
    )
    return (
        Patient.objects.filter(Exists(in_follow_up))
        .exclude(Exists(recent_prompt))
        .filter(Q(consent_email=True, email__gt="") | Q(consent_sms=True, phone__gt=""))
        .order_by("pk")
    )


def send_diary_prompts(*, now: datetime | None = None) -> PromptResult:
    """The daily prompt: one link per patient per day at most, even if the task runs twice."""
    now = now or timezone.now()
    result = PromptResult()
    quiet = bool(quiet_hours_end(now))
    for patient in patients_due_a_prompt(now=now):
        use_email = bool(patient.consent_email and patient.email)
        if not use_email and quiet:
            result.skipped += 1  # no SMS in quiet hours; tomorrow's run prompts them
            continue
        try:
            with transaction.atomic():
                prompt = DiaryPrompt.objects.create(
                    patient=patient,
                    prompted_on=timezone.localdate(now),
                    created_at=now,
                    channel="email" if use_email else "sms",
                )
        except IntegrityError:
            result.skipped += 1  # another run prompted this patient today
            continue
        text = (
            f"{settings.CLINIC_NAME}: please fill in your pain diary: {link_url(prompt)} "
            f"(the link works for {settings.DIARY_LINK_DAYS} days)."
        )
        try:
            if use_email:
                body = f"Dear {patient.first_name},\n\n{text}\n\nThank you.\n{settings.CLINIC_NAME}"
                messaging.send_email(to=patient.email, subject="Your pain diary", body=body)
            else:
                messaging.send_sms(to=patient.phone, body=text)
        except messaging.DeliveryError as exc:
            DiaryPrompt.objects.filter(pk=prompt.pk).update(
                status=DiaryPromptStatus.FAILED, last_error=str(exc)[:2000]
            )
            result.failed += 1
            continue
        with transaction.atomic():
            DiaryPrompt.objects.filter(pk=prompt.pk).update(status=DiaryPromptStatus.SENT)
            # Only once the new link is on its way: a failed send leaves the patient their old one.
            _revoke_older_links(newest=prompt, by=None)
        result.sent += 1
    return result


# --- sending a link from the diary page ------------------------------------------------------------


def link_text(prompt: DiaryPrompt) -> str:
    expires = timezone.localtime(link_expires_at(prompt))
    return (
        f"{settings.CLINIC_NAME}: your pain diary link: {link_url(prompt)} "
        f"(works until {uk_format(expires, 'date')}, once a day; no login needed)."
    )


def send_refusal(*, prompt: DiaryPrompt, channel: str, now: datetime | None = None) -> str:
    """Why this link cannot be sent by `channel` now, or "" when it can: the link works, the patient
    consented and has the address, the server can send that way, and an SMS is not in quiet hours."""
    now = now or timezone.now()
    patient = prompt.patient
    if prompt.revoked_at is not None or link_expires_at(prompt) <= now:
        return "This link no longer works: make a new one."
    if channel == ReminderChannel.EMAIL:
        if not patient.consent_email:
            return f"{patient.first_name} has not consented to email."
        if not patient.email:
            return f"No email address on file for {patient.first_name}."
    elif channel == ReminderChannel.SMS:
        if not patient.consent_sms:
            return f"{patient.first_name} has not consented to SMS."
        if not patient.phone:
            return f"No phone number on file for {patient.first_name}."
        try:
            messaging.normalise_sms_number(patient.phone)
        except messaging.InvalidRecipient as exc:
            return str(exc)
        quiet_end = quiet_hours_end(now)
        if quiet_end:
            return f"No SMS in the quiet hours: SMS can go from {uk_format(quiet_end, 'time')}."
    else:
        return "Choose email or SMS."
    reason = messaging.not_configured(channel)
    return f"{reason} Nothing can be sent this way: copy the link or print the slip." if reason else ""


def send_diary_link(
    *, prompt: DiaryPrompt, channel: str, by, now: datetime | None = None
) -> DiaryLinkMessage:
    """Send a working link to the patient by email or SMS; ValidationError (keyed "channel") when it
    cannot go. The DiaryLinkMessage row is written before sending and settled with the outcome, so a
    failure is recorded as one and nothing is reported as sent that was not accepted."""
    now = now or timezone.now()
    prompt = DiaryPrompt.objects.select_related("patient").get(pk=prompt.pk)
    refusal = send_refusal(prompt=prompt, channel=channel, now=now)
    if refusal:
        raise ValidationError({"channel": refusal})
    patient = prompt.patient
    recipient = patient.email if channel == ReminderChannel.EMAIL else patient.phone
    message = DiaryLinkMessage.objects.create(
        prompt=prompt, channel=channel, recipient=recipient, attempted_at=now, sent_by=by
    )
    key = f"diary-link-{message.pk}"
    text = link_text(prompt)
    try:
        if channel == ReminderChannel.EMAIL:
            body = f"Dear {patient.first_name},\n\n{text}\n\nThank you.\n{settings.CLINIC_NAME}"
            provider_id = messaging.send_email(
                to=recipient, subject="Your pain diary link", body=body, key=key
            )
        else:
            provider_id = messaging.send_sms(to=recipient, body=text, key=key)
    except messaging.AmbiguousDelivery as exc:
        message.status, message.last_error = ReminderStatus.UNKNOWN, f"Outcome unknown: {exc}"[:2000]
    except messaging.DeliveryError as exc:
        message.status, message.last_error = ReminderStatus.FAILED, str(exc)[:2000]
    else:
        message.status, message.sent_at, message.provider_id = (
            ReminderStatus.SENT,
            timezone.now(),
            provider_id[:100],
        )
    message.save(update_fields=["status", "sent_at", "provider_id", "last_error"])
    return message

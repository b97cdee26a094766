"""Sending email and SMS to patients, through pluggable backends.

`send_email` and `send_sms` return only when the backend has accepted the message; anything else
raises `DeliveryError`. A missing configuration raises `NotConfigured` (a DeliveryError that retrying
cannot fix), so a reminder is recorded as failed rather than as sent. When the message went out but no
answer came back (a read timeout, a dropped connection after the request was sent) the outcome is
`AmbiguousDelivery`: it may have reached the patient, so it is never resent blindly. Each send carries
an idempotency key (the reminder log's id): an HTTP provider gets it as `Idempotency-Key`, an email as
its Message-ID, so a deliberate retry after an ambiguous outcome is recognisable as the same message.

SMS backends (settings.SMS_BACKEND, a dotted path):
- ConsoleSMSBackend: prints the message (development with DEBUG on).
- FileSMSBackend: appends one JSON line per message to settings.SMS_FILE_PATH (development, tests).
- LocmemSMSBackend: keeps messages in `outbox` (in-process tests).
- HttpJsonSMSBackend: a generic provider adapter: a JSON POST to settings.SMS_HTTP_URL.
- NotConfiguredSMSBackend: the default outside DEBUG: every send fails with NotConfigured.
"""

import fcntl
import http.client
import json
import smtplib
import sys
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import DNS_NAME
from django.utils import timezone
from django.utils.module_loading import import_string

from patients.phones import can_take_sms, parse_phone


class DeliveryError(Exception):
    """The message was not accepted. Worth retrying unless `permanent`."""

    permanent = False


class NotConfigured(DeliveryError):
    permanent = True


class AmbiguousDelivery(DeliveryError):
    """The request went out but its answer did not come back: it may or may not have been accepted.
    Never retried automatically (a second message is worse than a missing one); a person checks."""

    permanent = True


class InvalidRecipient(DeliveryError):
    permanent = True


@dataclass(frozen=True)
class Sms:
    to: str  # E.164, e.g. +447700900123
    body: str
    sender: str = ""
    key: str = ""  # idempotency key: the same message always carries the same key


def normalise_sms_number(phone) -> str:
    """'07700.900123' -> '+447700900123', read by the same rule as the patient form (patients.phones).
    A number the form would refuse, or one that is not a mobile, cannot take an SMS."""
    try:
        number = parse_phone(phone)
    except ValidationError as exc:
        raise InvalidRecipient(
            f"{phone or '(none)'} is not a phone number we can use: {exc.messages[0]}"
        ) from exc
    if not can_take_sms(number):
        raise InvalidRecipient(f"{number} is not a mobile number, so no SMS can be sent.")
    return number.as_e164


class BaseSMSBackend:
    def send(self, sms: Sms) -> str:
        """Deliver or raise DeliveryError; return the provider's message id."""
        raise NotImplementedError


class NotConfiguredSMSBackend(BaseSMSBackend):
    def send(self, sms):
        raise NotConfigured("SMS is not configured (set SMS_BACKEND, e.g. the HTTP provider adapter).")


class ConsoleSMSBackend(BaseSMSBackend):
    def send(self, sms):
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        sys.stdout.write(f"SMS to {sms.to} from {sms.sender}: {sms.body}\n")
        sys.stdout.flush()
        return message_id


class FileSMSBackend(BaseSMSBackend):
    """One JSON line per message; an exclusive lock keeps lines whole when processes write at once."""

    def send(self, sms):
        message_id = f"file-{uuid.uuid4().hex[:12]}"
        line = json.dumps(
            {
                "id": message_id,
                "to": sms.to,
                "from": sms.sender,
                "body": sms.body,
                "at": timezone.now().isoformat(),
            }
        )
        try:
            with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.write(line + "\n")
                fh.flush()
                fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise DeliveryError(f"Could not write the SMS file: {exc}") from exc
        return message_id


class LocmemSMSBackend(BaseSMSBackend):
    outbox: list[Sms] = []
    _lock = threading.Lock()

    def send(self, sms):
        with self._lock:
            LocmemSMSBackend.outbox.append(sms)
        return f"locmem-{len(LocmemSMSBackend.outbox)}"


class FailingSMSBackend(BaseSMSBackend):
    """Always refuses (for trying out the failure path and retries without a provider)."""

    def send(self, sms):
        raise DeliveryError("The SMS provider refused the message (failing backend).")


class HttpJsonSMSBackend(BaseSMSBackend):
    """A generic provider adapter: POST {"to", "from", "body"} as JSON with a bearer token.

    A 2xx answer means accepted (its JSON "id" is kept); 4xx is permanent (the message is wrong),
    5xx and errors before the request was sent (refused, unreachable, connect timeout) are worth
    retrying. A timeout or dropped connection after the request was sent is ambiguous. The message's
    key goes as the `Idempotency-Key` header and as "reference" in the JSON, so a provider that
    honours it drops a second copy.
    """

    def send(self, sms):
        if not settings.SMS_HTTP_URL:
            raise NotConfigured("SMS_HTTP_URL is not set for the HTTP SMS adapter.")
        message = {"to": sms.to, "from": sms.sender, "body": sms.body}
        if sms.key:
            message["reference"] = sms.key
        request = urllib.request.Request(
            settings.SMS_HTTP_URL,
            data=json.dumps(message).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"}
            | ({"Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}"} if settings.SMS_HTTP_TOKEN else {})
            | ({"Idempotency-Key": sms.key} if sms.key else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
                body = response.read(65536)
        except urllib.error.HTTPError as exc:
            error = DeliveryError(f"SMS provider answered {exc.code} {exc.reason}")
            error.permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise error from exc
        except urllib.error.URLError as exc:
            # urllib wraps only what fails while connecting and sending the request: not received.
            raise DeliveryError(f"SMS provider unreachable: {exc.reason}") from exc
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            # The request was sent; its answer never came (read timeout, connection dropped).
            raise AmbiguousDelivery(
                f"The SMS provider did not answer after the message was sent ({exc or type(exc).__name__}); "
                f"it may have been delivered (idempotency key {sms.key or 'none'})"
            ) from exc
        try:
            return str(json.loads(body or b"{}").get("id", ""))[:100]
        except (ValueError, AttributeError):
            return ""


def get_sms_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()


def not_configured(channel: str) -> str:
    """Why this server cannot send by `channel` ("email" or "sms"), or "" when it can: a page offers
    a channel only when a message would really go."""
    if channel == "email":
        return "" if getattr(settings, "EMAIL_CONFIGURED", False) else "Email is not configured (EMAIL_URL)."
    backend = get_sms_backend()
    if isinstance(backend, NotConfiguredSMSBackend) or (
        isinstance(backend, HttpJsonSMSBackend) and not settings.SMS_HTTP_URL
    ):
        return "SMS is not configured (SMS_BACKEND)."
    return ""


def send_sms(*, to: str, body: str, key: str = "") -> str:
    return get_sms_backend().send(
        Sms(to=normalise_sms_number(to), body=body, sender=settings.SMS_SENDER, key=key)
    )


def send_email(*, to: str, subject: str, body: str, key: str = "") -> str:
    """Send one email. With a `key`, the Message-ID is derived from it, so every attempt at the same
    message carries the same id. Failing to connect (refused, no greeting within EMAIL_TIMEOUT) is
    worth retrying; a timeout or dropped connection once the SMTP conversation is under way is
    ambiguous (the server may have queued the message)."""
    if not getattr(settings, "EMAIL_CONFIGURED", False):
        raise NotConfigured("Email is not configured (set EMAIL_URL).")
    if not to:
        raise InvalidRecipient("No email address on file.")
    connection = get_connection()
    headers = {"Message-ID": f"<{key}@{DNS_NAME}>"} if key else {}
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        headers=headers,
    )
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"Mail server unreachable: {exc or type(exc).__name__}") from exc
    try:
        accepted = message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise InvalidRecipient(f"The mail server refused {to}.") from exc
    except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
        raise AmbiguousDelivery(
            f"The mail server stopped answering while the message was being sent ({exc or type(exc).__name__}); "
            f"it may have been delivered (Message-ID {headers.get('Message-ID', 'unknown')})"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"Mail server error: {exc}") from exc
    finally:
        connection.close()
    if accepted != 1:
        raise DeliveryError("The mail server did not accept the message.")
    return headers.get("Message-ID", "")

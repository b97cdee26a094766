"""Referral letters as uploaded files: which files are accepted, where they are stored, how they are
linked.

A letter is accepted by what it is (its magic bytes, read by `filetype`), never by its name: PDF, JPEG,
PNG and Word (.docx) only, up to REFERRAL_LETTER_MAX_MB. It is stored through Django's storage API
(the local disk, or an S3-compatible bucket shared by several web servers: see settings) under a
random name with the extension of what it is. It is only ever served by `patients:referral_letter`,
which checks the role and sends it as an attachment: `letter_file.url` points there, not at the
storage, so no page, form widget or admin links around the check.
"""

import secrets
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

HEAD_BYTES = 8192  # enough for every signature filetype knows


@dataclass(frozen=True)
class LetterKind:
    extension: str
    content_type: str
    label: str


PDF = LetterKind("pdf", "application/pdf", "PDF")
JPEG = LetterKind("jpg", "image/jpeg", "JPEG")
PNG = LetterKind("png", "image/png", "PNG")
DOCX = LetterKind(
    "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word (.docx)"
)
BY_MIME = {"application/pdf": PDF, "image/jpeg": JPEG, "image/png": PNG, "image/apng": PNG}
ACCEPTED_LABEL = "PDF, JPEG, PNG or Word (.docx)"
# A hint for the browser's file picker only; the content decides.
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,.docx,application/pdf,image/jpeg,image/png," + DOCX.content_type


def _is_docx(file) -> bool:
    # A .docx is a ZIP whose parts say so; filetype's look at the first 8 KB misses some writers.
    # A macro-enabled document (word/vbaProject.bin) is refused: letters carry no code.
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)
    return {"[Content_Types].xml", "word/document.xml"} <= names and "word/vbaProject.bin" not in names


def letter_kind(file) -> LetterKind | None:
    """What a file is by its content (one of the accepted kinds), or None."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    guess = filetype.guess(bytes(head))
    if guess is None:
        return None
    if guess.mime in BY_MIME:
        return BY_MIME[guess.mime]
    if guess.mime in (DOCX.content_type, "application/zip") and _is_docx(file):
        return DOCX
    return None


def validate_referral_letter(value):
    """Model validator: refuses a new upload that is too large or not an accepted kind. A letter already
    stored (committed) is left alone, so editing an older referral never trips over its file."""
    if not value or getattr(value, "_committed", True):
        return
    limit_mb = settings.REFERRAL_LETTER_MAX_MB
    if value.size > limit_mb * 1024 * 1024:
        raise ValidationError(
            f"This file is {value.size / (1024 * 1024):.1f} MB; a referral letter can be at most {limit_mb} MB.",
            code="letter_too_large",
        )
    if letter_kind(value) is None:
        raise ValidationError(
            f"Upload the letter as a {ACCEPTED_LABEL} file. This file is none of these, whatever its name says.",
            code="letter_type",
        )


def referral_letter_path(instance, filename: str) -> str:
    """A random name (no patient name in the storage); ReferralLetterFieldFile.save has already named
    the file after what it is, so its extension is the content's."""
    extension = filename.rsplit(".", 1)[-1]
    return f"referrals/{timezone.localdate():%Y/%m}/{secrets.token_urlsafe(16)}.{extension}"


class ReferralLetterFieldFile(FieldFile):
    def save(self, name, content, save=True):
        kind = letter_kind(content)
        super().save(f"letter.{kind.extension if kind else 'bin'}", content, save)

    @property
    def url(self):
        self._require_file()
        return reverse("patients:referral_letter", args=[self.instance.pk])


class ReferralLetterField(models.FileField):
    """A FileField whose `.url` is the role-checked download view, never the storage's address."""

    attr_class = ReferralLetterFieldFile

"""NHS number (Modulus 11: docs/clinical-reference.md#nhs-number), UK postcode and GP ODS code validation.
Phone numbers: phones.py."""

import re

from django.core.exceptions import ValidationError

from .phones import validate_phone

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
# ASCII digits only: Python's \d also matches full-width, Arabic-Indic and Devanagari digits, which
# would be stored as typed and let one number register twice.
_NHS_RE = re.compile(r"[0-9]{10}")


def normalise_nhs_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def nhs_number_is_valid(value: str) -> bool:
    digits = normalise_nhs_number(value)
    if not _NHS_RE.fullmatch(digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], NHS_WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def validate_nhs_number(value: str) -> None:
    digits = normalise_nhs_number(value)
    if any(ch.isdigit() and ch not in "0123456789" for ch in digits):
        raise ValidationError(
            "Type the NHS number with the digits 0-9 (this one has other digit characters).",
            code="nhs_ascii_digits",
        )
    if not _NHS_RE.fullmatch(digits):
        raise ValidationError("An NHS number has exactly 10 digits, e.g. 943 476 5919.", code="nhs_length")
    if not nhs_number_is_valid(digits):
        raise ValidationError(
            "This is not a valid NHS number: the check digit does not match. Check it against the letter.",
            code="nhs_check_digit",
        )


def format_nhs_number(value: str) -> str:
    digits = normalise_nhs_number(value)
    if len(digits) != 10:
        return value or ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


# UK postcode: outward code (area + district) and inward code (sector + unit). Accepts any spacing
# and case; stored upper case with one space. GIR 0AA is the one historic exception still in use.
_POSTCODE_RE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2})$")


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", (value or "").upper())
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    if value and not _POSTCODE_RE.match(normalise_postcode(value)):
        raise ValidationError("Enter a UK postcode, e.g. M14 5TQ.", code="postcode")


# Phone numbers are read by django-phonenumber-field in phones.py. Migration 0002 names this validator.
validate_uk_phone = validate_phone


# A GP practice's ODS code is a letter and five digits (e.g. A81001): docs/clinical-reference.md#ods-codes.
_GP_ODS_RE = re.compile(r"^[A-Z]\d{5}$")


def validate_gp_ods_code(value: str) -> None:
    if value and not _GP_ODS_RE.match(value.strip().upper()):
        raise ValidationError(
            "A GP practice ODS code is a letter and five digits, e.g. A81001.", code="gp_ods"
        )

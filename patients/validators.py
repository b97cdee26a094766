"""NHS number (Modulus 11), UK postcode and phone validation."""

import re

from django.core.exceptions import ValidationError

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise_nhs_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def nhs_number_is_valid(value: str) -> bool:
    digits = normalise_nhs_number(value)
    if not re.fullmatch(r"\d{10}", digits):
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
    if not re.fullmatch(r"\d{10}", digits):
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

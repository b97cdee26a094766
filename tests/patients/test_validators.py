import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from patients.validators import (
    format_nhs_number,
    nhs_number_is_valid,
    normalise_postcode,
    validate_gp_ods_code,
    validate_nhs_number,
    validate_postcode,
)

VALID = ["9434765919", "4010232137", "9990000018", "9990000026", "9990000034"]
INVALID = ["9434765918", "9990000000", "123456789", "94347659A9"]


# 9434765919 in full-width, Arabic-Indic and Devanagari digits: Python's \d matches each of them.
UNICODE_DIGITS = [
    "".join(chr(0xFF10 + int(d)) for d in "9434765919"),
    "".join(chr(0x0660 + int(d)) for d in "9434765919"),
    "".join(chr(0x0966 + int(d)) for d in "9434765919"),
    "943 476 591" + chr(0xFF19),  # one look-alike digit among ASCII ones
]


@pytest.mark.parametrize("number", UNICODE_DIGITS)
def test_it_refuses_nhs_numbers_in_other_digit_characters(number):
    assert not nhs_number_is_valid(number)
    with pytest.raises(ValidationError) as exc:
        validate_nhs_number(number)
    assert exc.value.code == "nhs_ascii_digits" and "digits 0-9" in exc.value.messages[0]


@pytest.mark.parametrize("number", VALID)
def test_it_accepts_the_valid_nhs_numbers_of_domain_md(number):
    assert nhs_number_is_valid(number)
    validate_nhs_number(number)


@pytest.mark.parametrize("number", INVALID)
def test_it_refuses_the_invalid_nhs_numbers_of_domain_md(number):
    assert not nhs_number_is_valid(number)
    with pytest.raises(ValidationError):
        validate_nhs_number(number)


def test_it_says_which_rule_an_nhs_number_breaks():
    with pytest.raises(ValidationError) as wrong_digit:
        validate_nhs_number("9434765918")
    assert "check digit" in wrong_digit.value.messages[0]
    with pytest.raises(ValidationError) as short:
        validate_nhs_number("123456789")
    assert "10 digits" in short.value.messages[0]


def test_it_accepts_spaces_and_shows_the_number_3_3_4():
    assert nhs_number_is_valid("943 476 5919")
    assert format_nhs_number("9434765919") == "943 476 5919"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_is_valid_for_a_stem_unless_the_stem_gives_ten(stem):
    valid = [d for d in "0123456789" if nhs_number_is_valid(stem + d)]
    assert len(valid) <= 1


@pytest.mark.parametrize("postcode", ["M14 5TQ", "m145tq", "SW1A 1AA", "EC1A 1BB", "B1 1AA"])
def test_it_accepts_uk_postcodes_in_any_case_and_spacing(postcode):
    validate_postcode(postcode)


def test_it_stores_a_postcode_upper_case_with_one_space():
    assert normalise_postcode("sw1a1aa") == "SW1A 1AA"


@pytest.mark.parametrize("postcode", ["12345", "M14", "ZZZ ZZZ", "M14 5TQQ"])
def test_it_refuses_what_is_not_a_uk_postcode(postcode):
    with pytest.raises(ValidationError):
        validate_postcode(postcode)


def test_it_checks_a_gp_practice_ods_code_is_a_letter_and_five_digits():
    validate_gp_ods_code("A81001")
    for bad in ("QE1", "81001A", "A8100"):
        with pytest.raises(ValidationError):
            validate_gp_ods_code(bad)

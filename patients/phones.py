"""Phone numbers: one parse for the patient form, the model, SMS and the FHIR export.

django-phonenumber-field and its backend `phonenumbers` (Google's libphonenumber) parse what people
type, with `PHONENUMBER_DEFAULT_REGION = "GB"` in settings, so "07700.900123", "07700 900123",
"+44 (0)7700 900123" and "+447700900123" are all +447700900123. The database holds E.164; a page
shows a UK number in the national format ("07700 900123") and any other in the international one.

libphonenumber's "valid" also asks that the number lies in a range it knows as allocated. That refuses
Ofcom's drama numbers (07700 900000-900999, 01632 960000-960999), which the demo and the tests use,
and would refuse a range allocated after the library's release. The clinic's rule is `is_possible`: a
number of the right length for a landline or a mobile of its country. The library's field, form field
and widget are subclassed only to read and write `PhoneNumber` below, whose `is_valid` is that rule.

A stored value that cannot be read as a phone number (typed before these checks) is kept as it was
typed: its page says so, the form asks for a correction on the next save, and SMS refuses it.
"""

import phonenumbers
from django.conf import settings
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms import CharField as FormCharField
from django.forms import TextInput
from phonenumber_field import formfields, modelfields, widgets
from phonenumber_field.phonenumber import PhoneNumber as LibraryPhoneNumber
from phonenumbers import PhoneNumberType, ValidationResult

INVALID_MESSAGE = (
    "Enter a UK phone number with its area code, e.g. 07700 900123 or 0161 496 0123, "
    "or an international number starting with +, e.g. +33 1 23 45 67 89."
)
LETTERS_MESSAGE = "A phone number has no letters: type digits only, e.g. 07700 900123."

_LINE_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE)
_SMS_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def is_possible(number: phonenumbers.PhoneNumber) -> bool:
    """The clinic's rule: valid for libphonenumber, or possible as a landline or mobile of its country
    (not a length that only dials locally), with the national prefix taken off (libphonenumber keeps a
    leading 0 it could not strip: "07700 9001", two digits short, would be +44 077009001)."""
    if not number.country_code:
        return False
    if phonenumbers.is_valid_number(number):
        return True
    region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    national_prefix = metadata.national_prefix if metadata else None
    if national_prefix and phonenumbers.national_significant_number(number).startswith(national_prefix):
        return False
    return any(
        phonenumbers.is_possible_number_for_type_with_reason(number, kind) == ValidationResult.IS_POSSIBLE
        for kind in _LINE_TYPES
    )


class PhoneNumber(LibraryPhoneNumber):
    """The library's number, with the clinic's rule as `is_valid` (the library stores a number it
    finds invalid as typed, so Ofcom's drama numbers would otherwise not be stored as E.164)."""

    def is_valid(self):
        return is_possible(self)

    def __str__(self):
        if not self.is_valid():
            return self.raw_input
        # By country code: libphonenumber places a number in a region only if it knows the range.
        if settings.PHONENUMBER_DEFAULT_REGION in phonenumbers.region_codes_for_country_code(
            self.country_code
        ):
            return self.as_national
        return self.as_international

    def __eq__(self, other):
        if isinstance(other, str):
            other = to_phone(other)  # the library would read it with its own, stricter rule
        return super().__eq__(other)

    __hash__ = LibraryPhoneNumber.__hash__

    @property
    def as_stored(self) -> str:
        """What the database holds: E.164, or the text as typed for a number that cannot be read."""
        return self.as_e164 if self.is_valid() else self.raw_input


def to_phone(value, region: str | None = None):
    """Read what was typed (or stored) as a PhoneNumber; empty stays empty. Text that cannot be read as a
    number (letters, too few digits) comes back unparsed, keeping the text, and `validate_phone` refuses it."""
    if value in validators.EMPTY_VALUES:
        return value
    if isinstance(value, PhoneNumber):
        return value
    if isinstance(value, phonenumbers.PhoneNumber):
        number = PhoneNumber()
        number.merge_from(value)
        return number
    text = str(value)
    if any(ch.isalpha() for ch in text):
        # libphonenumber drops trailing letters and reads vanity numbers ("0800 FLOWERS"): refuse both.
        return PhoneNumber(raw_input=text)
    try:
        return PhoneNumber.from_string(text, region=region or settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return PhoneNumber(raw_input=text)


def validate_phone(value) -> None:
    """The validator of the model field, the form field and, through `parse_phone`, of SMS."""
    if value in validators.EMPTY_VALUES:
        return
    number = to_phone(value)
    if any(ch.isalpha() for ch in number.raw_input or ""):
        raise ValidationError(LETTERS_MESSAGE, code="phone_letters")
    if not number.is_valid():
        raise ValidationError(INVALID_MESSAGE, code="phone")


def parse_phone(value) -> PhoneNumber:
    """The number, or ValidationError with the message the form shows."""
    if value in validators.EMPTY_VALUES:
        raise ValidationError(INVALID_MESSAGE, code="phone")
    validate_phone(value)
    return to_phone(value)


def can_take_sms(number: PhoneNumber) -> bool:
    """A mobile by libphonenumber's type; a UK number it cannot place (Ofcom's drama mobiles
    07700 900xxx lie in no allocated range, so they have no type) is a mobile when it starts 07."""
    if phonenumbers.number_type(number) in _SMS_TYPES:
        return True
    return (
        number.country_code == 44
        and not phonenumbers.is_valid_number(number)
        and phonenumbers.national_significant_number(number).startswith("7")
    )


class PhoneInput(widgets.RegionalPhoneNumberWidget):
    """A tel input showing a stored number as pages show it, and typed text as it was typed (the
    library's widget reformats typed text, so a refused "07700 90012a" would come back "770090012")."""

    def format_value(self, value):
        return TextInput.format_value(self, value)


class PhoneNumberFormField(formfields.PhoneNumberField):
    default_validators = [validate_phone]
    widget = PhoneInput

    def to_python(self, value):
        if value in self.empty_values:
            return self.empty_value
        return to_phone(FormCharField.to_python(self, value), region=self.region)


class _PhoneNumberDescriptor(modelfields.PhoneNumberDescriptor):
    def __set__(self, instance, value):
        instance.__dict__[self.field.name] = to_phone(value, region=self.field.region)


class PhoneNumberField(modelfields.PhoneNumberField):
    """django-phonenumber-field's model field reading and writing the clinic's `PhoneNumber`: a
    possible number is stored as E.164, anything else as typed (and refused by `validate_phone`)."""

    default_validators = [validate_phone]
    descriptor_class = _PhoneNumberDescriptor

    def to_python(self, value):
        return to_phone(value, region=self.region)

    def from_db_value(self, value, expression, connection):
        return to_phone(value, region=self.region)

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", PhoneNumberFormField)
        return super().formfield(**kwargs)

"""The API's JSON shapes. Output serializers describe what a reader gets; input serializers only type
the JSON (strict: a string is a string, a boolean a boolean, and an unknown field is refused) and hand
the values to the page's own form and service, where every rule lives (views.py)."""

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from infusion_clinic import bounds
from patients.forms import PatientForm
from patients.models import Condition, FundingRoute, Patient, Referral, ReferralSource, ReferralStatus, Sex
from records.models import ACVPU, POSS, VitalSigns
from sessions.models import InfusionSession, SessionStatus

UNKNOWN_FIELD = "Unknown field."


# --- strict input fields ---------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF's CharField also takes numbers)."""

    default_error_messages = {"invalid": "Not a valid string."}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)  # the form trims, as on the page
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false only (DRF's BooleanField also takes "yes", 1, "on"...)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only (DRF's IntegerField also takes "12" and 12.0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(StrictIntegerField):
    """The id of a row: a positive 64-bit integer (infusion_clinic/bounds.py)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=bounds.MAX_ID, **kwargs)


class BoundedDateField(serializers.DateField):
    """YYYY-MM-DD within the clinic's sane range (bounds.py)."""

    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD."}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        day = super().to_internal_value(value)
        try:
            return bounds.check_date(day)
        except Exception as exc:
            raise serializers.ValidationError(bounds.DATE_RANGE_MESSAGE) from exc


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its offset (2026-11-25T14:30:00Z or +00:00), in the sane range."""

    default_error_messages = {
        "invalid": "Enter a date and time as ISO 8601 with its offset, e.g. 2026-11-25T14:30:00+00:00.",
        "naive": "Give the time zone offset, e.g. 2026-11-25T14:30:00+00:00.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        try:
            bounds.check_date(parsed.date())
        except Exception as exc:
            raise serializers.ValidationError(bounds.DATE_RANGE_MESSAGE) from exc
        return parsed


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    """Refuses a field it does not know (a typo must not be dropped silently)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError({key: [UNKNOWN_FIELD] for key in unknown})
        return super().to_internal_value(data)


# --- errors (for the schema) -----------------------------------------------------------------------


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong.")


FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": 'The refused fields, each with its messages: {"field": ["message"]}. '
    "Messages not about one field are under non_field_errors; a nested object's errors are nested. "
    'A request that cannot be read at all (malformed JSON, a NUL character) gets {"detail": "..."}.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
    },
}


# --- patients --------------------------------------------------------------------------------------


class PatientSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(help_text="E.164, e.g. +447700900123; empty when none.")
    email = serializers.CharField(read_only=True, help_text="Empty when none.")
    notes = serializers.SerializerMethodField(
        help_text="Clinical notes; null when your role may not see them."
    )
    news2_spo2_scale2 = serializers.SerializerMethodField(
        help_text="NEWS2 SpO2 scale 2 set by a clinician; null when your role may not see it."
    )

    class Meta:
        model = Patient
        # The patient form's fields (the page and the API register the same details), plus id and when.
        fields = [
            "id",
            *PatientForm.Meta.fields,
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _clinical(self) -> bool:
        return bool(self.context.get("clinical"))

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, patient) -> str:
        phone = patient.phone
        if not phone:
            return ""
        return phone.as_e164 if getattr(phone, "is_valid", lambda: False)() else str(phone.raw_input or phone)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_notes(self, patient):
        return patient.notes if self._clinical() else None

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_news2_spo2_scale2(self, patient):
        return patient.news2_spo2_scale2 if self._clinical() else None


class PatientWriteSerializer(StrictSerializer):
    """A patient's details as the Register / Edit patient form takes them. `notes` and
    `news2_spo2_scale2` are for clinical roles only (nurses, pain specialists)."""

    first_name = StrictCharField()
    last_name = StrictCharField()
    date_of_birth = BoundedDateField()
    sex = StrictChoiceField(choices=Sex.choices)
    nhs_number = StrictCharField(required=False, help_text="10 digits, spaces allowed; empty for none.")
    address_line1 = StrictCharField(required=False)
    address_line2 = StrictCharField(required=False)
    town = StrictCharField(required=False)
    postcode = StrictCharField(required=False)
    phone = StrictCharField(required=False, help_text="e.g. 07700 900123 or +447700900123.")
    email = StrictCharField(required=False)
    consent_sms = StrictBooleanField(required=False)
    consent_email = StrictBooleanField(required=False)
    gp_practice_name = StrictCharField(required=False)
    gp_practice_ods = StrictCharField(required=False)
    allergies = StrictCharField(required=False)
    notes = StrictCharField(required=False, help_text="Clinical roles only.")
    news2_spo2_scale2 = StrictBooleanField(required=False, help_text="Clinical roles only.")


# --- referrals -------------------------------------------------------------------------------------


class ReferralSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    has_letter_file = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "patient",
            "patient_name",
            "source",
            "gp_practice_name",
            "gp_practice_ods",
            "received_on",
            "condition",
            "condition_other",
            "prior_treatments",
            "letter_text",
            "has_letter_file",
            "funding_route",
            "commissioner",
            "insurer",
            "policy_number",
            "preauth_number",
            "status",
            "status_changed_at",
            "rtt_stopped_on",
            "rtt_stop_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_letter_file(self, referral) -> bool:
        return bool(referral.letter_file)


class ReferralCreateSerializer(StrictSerializer):
    """Reception's intake: an existing `patient` (id) or a `new_patient`, and the referral. The letter
    is pasted as `letter_text` (uploads are taken on the intake page only)."""

    patient = IdField(required=False, help_text="An existing patient; or give new_patient.")
    new_patient = PatientWriteSerializer(required=False, help_text="A new patient registered with it.")
    source = StrictChoiceField(choices=ReferralSource.choices)
    gp_practice_name = StrictCharField(required=False)
    gp_practice_ods = StrictCharField(required=False)
    received_on = BoundedDateField()
    condition = StrictChoiceField(choices=Condition.choices)
    condition_other = StrictCharField(required=False)
    prior_treatments = StrictCharField(required=False)
    letter_text = StrictCharField(required=False)
    funding_route = StrictChoiceField(choices=FundingRoute.choices)
    commissioner = IdField(required=False, allow_null=True)
    insurer = IdField(required=False, allow_null=True)
    policy_number = StrictCharField(required=False)
    preauth_number = StrictCharField(required=False)

    def validate(self, data):
        if ("patient" in data) == ("new_patient" in data):
            raise serializers.ValidationError({"patient": ["Give either patient (an id) or new_patient."]})
        return data


class ReferralFilterSerializer(StrictSerializer):
    patient = IdField(required=False)
    status = StrictChoiceField(choices=ReferralStatus.choices, required=False)


# --- sessions --------------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    protocol_name = serializers.CharField(source="protocol_version.name", read_only=True)
    chair_name = serializers.CharField(source="chair.name", read_only=True)
    location = serializers.IntegerField(source="chair.location_id", read_only=True)
    location_name = serializers.CharField(source="chair.location.name", read_only=True)

    class Meta:
        model = InfusionSession
        fields = [
            "id",
            "patient",
            "patient_name",
            "referral",
            "course",
            "sequence",
            "protocol_version",
            "protocol_name",
            "chair",
            "chair_name",
            "location",
            "location_name",
            "start",
            "end",
            "status",
            "booked_at",
            "checked_in_at",
            "cancelled_at",
            "cancel_reason",
            "late_cancellation",
        ]
        read_only_fields = fields


class BookSerializer(StrictSerializer):
    """Book as the Book page does: one session, or the whole course when the protocol has a course
    template (the answer is then the course's first session; `?course=` lists the others)."""

    patient = IdField()
    protocol_version = IdField(help_text="A current protocol version.")
    chair = IdField()
    start = BoundedDateTimeField()
    referral = IdField(
        required=False,
        allow_null=True,
        help_text="Needed only when the patient has several accepted referrals.",
    )


class CancelSerializer(StrictSerializer):
    reason = StrictCharField(
        help_text="Why (required); under 48 hours before the start it is a late cancellation."
    )


class SessionFilterSerializer(StrictSerializer):
    date = BoundedDateField(required=False, help_text="Sessions starting on this day (UK time).")
    patient = IdField(required=False)
    chair = IdField(required=False)
    course = IdField(required=False)
    status = StrictChoiceField(choices=SessionStatus.choices, required=False)


class PatientFilterSerializer(StrictSerializer):
    q = StrictCharField(
        required=False,
        help_text="Name (any part), NHS number (or its first digits) or date of birth (14/03/1961 or 1961-03-14).",
    )


# --- observations ----------------------------------------------------------------------------------


class ObservationSerializer(serializers.ModelSerializer):
    class Meta:
        model = VitalSigns
        fields = [
            "id",
            "session",
            "observed_at",
            "systolic",
            "diastolic",
            "heart_rate",
            "respiratory_rate",
            "spo2",
            "spo2_scale2",
            "on_oxygen",
            "temperature",
            "acvpu",
            "sedation",
            "pain",
            "news2_total",
            "news2_band",
            "alert_level",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class ObservationCreateSerializer(StrictSerializer):
    """One set of observations, as the record page's charting row takes it; NEWS2 is computed."""

    observed_at = BoundedDateTimeField(required=False, help_text="When observed; now when left out.")
    systolic = StrictIntegerField()
    diastolic = StrictIntegerField()
    heart_rate = StrictIntegerField()
    respiratory_rate = StrictIntegerField()
    spo2 = StrictIntegerField()
    on_oxygen = StrictBooleanField(
        required=False, help_text="false (on air) when left out, as the page's box."
    )
    temperature = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=False)
    acvpu = StrictChoiceField(choices=ACVPU.choices)
    sedation = StrictChoiceField(choices=POSS.choices)
    pain = StrictIntegerField()

"""The REST API's views: thin, as the pages' are. Reads use the apps' selectors and querysets in a fixed
number of queries; every write goes through the page's own form (its rules and messages) and then the
app's service (booking, charting, intake), so the API has no rules of its own. A refusal is 400 with
`{"field": ["message"]}` and nothing is saved; see docs/api.md."""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from audit.models import AccessKind
from audit.services import record_access
from infusion_clinic.dates import uk_date
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.forms import PatientForm, ReferralForm
from patients.models import Patient, Referral
from records import services as record_services
from records.forms import VitalSignsForm
from records.models import VitalSigns
from sessions import booking
from sessions.forms import BookingForm, ReasonForm
from sessions.models import InfusionSession

from . import serializers as s
from .exceptions import validation_error_body

VIEW_PATIENT = "patients.view_patient"
ADD_PATIENT = "patients.add_patient"
CHANGE_PATIENT = "patients.change_patient"
VIEW_CLINICAL = "patients.view_clinical"
VIEW_REFERRAL = "patients.view_referral"
ADD_REFERRAL = "patients.add_referral"
VIEW_SESSION = "infusion_sessions.view_infusionsession"
BOOK = "infusion_sessions.book_session"
VIEW_VITALS = "records.view_vitalsigns"
CHART = ("infusion_sessions.chart_session", "records.add_vitalsigns")

ERRORS = {
    401: OpenApiResponse(s.DetailSerializer, description="No credentials, or a bad token."),
    403: OpenApiResponse(
        s.DetailSerializer, description="Your role may not do this, or your session needs its second factor."
    ),
}
NOT_FOUND = {
    404: OpenApiResponse(s.DetailSerializer, description="No such row."),
    # Any request can be unreadable: a NUL character in it is refused before any view runs.
    400: OpenApiResponse(s.FIELD_ERRORS_SCHEMA, description="The request could not be read."),
}
BAD_INPUT = {400: OpenApiResponse(s.FIELD_ERRORS_SCHEMA, description="Refused: nothing was saved.")}
BAD_QUERY = {
    400: OpenApiResponse(s.FIELD_ERRORS_SCHEMA, description="A query parameter was refused."),
    404: OpenApiResponse(s.DetailSerializer, description="No such page of results."),
}


class _AuditedRequest:
    """What audit.services.record_access reads from a request. An API call is always recorded: unlike
    a page's htmx partial refresh, which record_access skips, an API read is the reading itself, and a
    client could otherwise send `HX-Request` to stay out of the audit."""

    htmx = None

    def __init__(self, request):
        self.user = request.user
        self.method = request.method
        self.META = request.META
        self.get_full_path = request._request.get_full_path


def audit(request, *, label, obj=None, patient_id=None):
    record_access(_AuditedRequest(request), kind=AccessKind.API, obj=obj, patient_id=patient_id, label=label)


def refused(form) -> ValidationError:
    """A form's errors as the ValidationError a service raises (`__all__` for the non-field ones)."""
    return ValidationError(
        {field: [e["message"] for e in errors] for field, errors in form.errors.get_json_data().items()}
    )


def run_form(form):
    if not form.is_valid():
        raise refused(form)
    return form.cleaned_data


def parse_query(serializer_class, request) -> dict:
    """The query string's filters, typed (a bad one is 400); paging parameters are the paginator's."""
    data = {
        key: request.query_params.get(key)
        for key in request.query_params
        if key not in ("page", "page_size", "format")
    }
    for name, field in serializer_class().fields.items():
        if name in data and isinstance(field, s.IdField):
            value = data[name]
            data[name] = int(value) if value.isascii() and value.isdigit() and len(value) < 20 else value
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApiView(GenericAPIView):
    required_perms: dict = {}

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)  # every answer may hold patient data
        return response

    def paged(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return self.get_paginated_response(data), page


def _patient_context(request):
    return {"clinical": request.user.has_perm(VIEW_CLINICAL)}


def _page_label(paginator, shown) -> str:
    number = paginator.page.number
    return f"page {number}, {len(shown)} of {paginator.page.paginator.count}"


# --- patients --------------------------------------------------------------------------------------


def _patient_form_data(validated, *, patient=None) -> dict:
    data = {}
    if patient is not None:
        data = model_to_dict(patient, fields=list(PatientForm.Meta.fields))
        phone = patient.phone
        data["phone"] = phone.as_e164 if phone and phone.is_valid() else str(phone or "")
    data.update(validated)
    return data


def _check_clinical_fields(request, validated):
    if request.user.has_perm(VIEW_CLINICAL):
        return
    refused_fields = [name for name in PatientForm.CLINICAL_FIELDS if name in validated]
    if refused_fields:
        raise ValidationError({name: "Only clinical staff may set this." for name in refused_fields})


def patient_form_for(request, validated, *, patient=None):
    _check_clinical_fields(request, validated)
    return PatientForm(
        _patient_form_data(validated, patient=patient),
        instance=patient,
        clinical=request.user.has_perm(VIEW_CLINICAL),
    )


class PatientList(ApiView):
    required_perms = {"GET": (VIEW_PATIENT,), "POST": (ADD_PATIENT,)}
    serializer_class = s.PatientSerializer

    @extend_schema(
        summary="List or search patients",
        parameters=[s.PatientFilterSerializer],
        responses={200: s.PatientSerializer(many=True), **BAD_QUERY, **ERRORS},
    )
    def get(self, request):
        query = parse_query(s.PatientFilterSerializer, request).get("q", "").strip()
        patients = patient_selectors.search_patients(query) if query else Patient.objects.all()
        response, shown = self.paged(
            patients.order_by("last_name", "first_name", "id"),
            s.PatientSerializer,
            **_patient_context(request),
        )
        search = f" matching “{query[:40]}”" if query else ""
        audit(request, label=f"API: patients{search} ({_page_label(self.paginator, shown)})")
        return response

    @extend_schema(
        summary="Register a patient",
        request=s.PatientWriteSerializer,
        responses={201: s.PatientSerializer, **BAD_INPUT, **ERRORS},
    )
    def post(self, request):
        serializer = s.PatientWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = patient_form_for(request, serializer.validated_data)
        patient = patient_services.create_patient(**run_form(form))
        audit(request, label=f"API: registered {patient.full_name}", obj=patient, patient_id=patient.pk)
        data = s.PatientSerializer(patient, context=_patient_context(request)).data
        return Response(data, status=status.HTTP_201_CREATED)


class PatientDetail(ApiView):
    required_perms = {"GET": (VIEW_PATIENT,), "PATCH": (CHANGE_PATIENT,)}
    serializer_class = s.PatientSerializer

    @extend_schema(summary="Read a patient", responses={200: s.PatientSerializer, **ERRORS, **NOT_FOUND})
    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        audit(request, label=f"API: {patient.full_name}", obj=patient, patient_id=patient.pk)
        return Response(s.PatientSerializer(patient, context=_patient_context(request)).data)

    @extend_schema(
        summary="Change a patient's details (only the fields given)",
        request=s.PatientWriteSerializer(partial=True),
        responses={200: s.PatientSerializer, **NOT_FOUND, **BAD_INPUT, **ERRORS},
    )
    def patch(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk)
        serializer = s.PatientWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        form = patient_form_for(request, serializer.validated_data, patient=patient)
        cleaned = run_form(form)
        patient = patient_services.update_patient(patient=Patient.objects.get(pk=pk), **cleaned)
        audit(request, label=f"API: changed {patient.full_name}", obj=patient, patient_id=patient.pk)
        return Response(s.PatientSerializer(patient, context=_patient_context(request)).data)


# --- referrals -------------------------------------------------------------------------------------


def _referral_queryset():
    return Referral.objects.select_related("patient")


class ReferralList(ApiView):
    required_perms = {"GET": (VIEW_REFERRAL,), "POST": (ADD_REFERRAL,)}
    serializer_class = s.ReferralSerializer

    @extend_schema(
        summary="List referrals",
        parameters=[s.ReferralFilterSerializer],
        responses={200: s.ReferralSerializer(many=True), **BAD_QUERY, **ERRORS},
    )
    def get(self, request):
        filters = parse_query(s.ReferralFilterSerializer, request)
        referrals = _referral_queryset().order_by("received_on", "id")
        if "patient" in filters:
            referrals = referrals.filter(patient_id=filters["patient"])
        if "status" in filters:
            referrals = referrals.filter(status=filters["status"])
        response, shown = self.paged(referrals, s.ReferralSerializer)
        audit(
            request,
            label=f"API: referrals ({_page_label(self.paginator, shown)})",
            patient_id=filters.get("patient"),
        )
        return response

    @extend_schema(
        summary="Register a referral (the intake)",
        request=s.ReferralCreateSerializer,
        responses={201: s.ReferralSerializer, **BAD_INPUT, **ERRORS},
    )
    def post(self, request):
        serializer = s.ReferralCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patient = None
        patient_form = None
        if "patient" in data:
            patient = Patient.objects.filter(pk=data.pop("patient")).first()
            if patient is None:
                raise ValidationError({"patient": "No such patient."})
        else:
            patient_form = patient_form_for(request, data.pop("new_patient"))
        if patient is not None:
            for name in ReferralForm.REFERRER_FIELDS:
                data.setdefault(name, getattr(patient, name))
        referral_form = ReferralForm(data, patient_form=patient_form)
        # Both forms, so that every mistake is answered at once; the patient's first (the referral
        # takes its GP practice from it), as on the intake page.
        errors = {}
        if patient_form is not None and not patient_form.is_valid():
            errors["new_patient"] = validation_error_body(refused(patient_form))
        if not referral_form.is_valid():
            errors.update(validation_error_body(refused(referral_form)))
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            referral = patient_services.register_referral(
                created_by=request.user,
                patient=patient,
                patient_fields=patient_form.cleaned_data if patient_form else None,
                referral_fields=referral_form.cleaned_data,
            )
        except ValidationError as exc:
            body = validation_error_body(exc)
            if patient_form is not None:
                mine = [k for k in body if k in patient_form.fields and k not in referral_form.fields]
                if mine:
                    body["new_patient"] = {k: body.pop(k) for k in mine}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        referral = _referral_queryset().get(pk=referral.pk)
        audit(
            request,
            label=f"API: registered a referral for {referral.patient.full_name}",
            obj=referral,
            patient_id=referral.patient_id,
        )
        return Response(s.ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


class ReferralDetail(ApiView):
    required_perms = {"GET": (VIEW_REFERRAL,)}
    serializer_class = s.ReferralSerializer

    @extend_schema(summary="Read a referral", responses={200: s.ReferralSerializer, **ERRORS, **NOT_FOUND})
    def get(self, request, pk):
        referral = get_object_or_404(_referral_queryset(), pk=pk)
        audit(
            request,
            label=f"API: referral {referral.pk} of {referral.patient.full_name}",
            obj=referral,
            patient_id=referral.patient_id,
        )
        return Response(s.ReferralSerializer(referral).data)


# --- sessions --------------------------------------------------------------------------------------


def _session_queryset():
    return InfusionSession.objects.select_related("patient", "chair__location", "protocol_version")


def _day_range(day):
    start = timezone.make_aware(datetime.combine(day, time()))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))
    return start, end


class SessionList(ApiView):
    required_perms = {"GET": (VIEW_SESSION,), "POST": (BOOK,)}
    serializer_class = s.SessionSerializer

    @extend_schema(
        summary="List sessions",
        parameters=[s.SessionFilterSerializer],
        responses={200: s.SessionSerializer(many=True), **BAD_QUERY, **ERRORS},
    )
    def get(self, request):
        filters = parse_query(s.SessionFilterSerializer, request)
        sessions = _session_queryset().order_by("start", "chair_id", "id")
        condition = Q()
        if "date" in filters:
            start, end = _day_range(filters["date"])
            condition &= Q(start__gte=start, start__lt=end)
        for name in ("patient", "chair", "course"):
            if name in filters:
                condition &= Q(**{f"{name}_id": filters[name]})
        if "status" in filters:
            condition &= Q(status=filters["status"])
        response, shown = self.paged(sessions.filter(condition), s.SessionSerializer)
        day = f" on {uk_date(filters['date'])}" if "date" in filters else ""
        audit(
            request,
            label=f"API: sessions{day} ({_page_label(self.paginator, shown)})",
            patient_id=filters.get("patient"),
        )
        return response

    @extend_schema(
        summary="Book a session (or the protocol's whole course)",
        request=s.BookSerializer,
        responses={201: s.SessionSerializer, **BAD_INPUT, **ERRORS},
    )
    def post(self, request):
        serializer = s.BookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = run_form(BookingForm(dict(serializer.validated_data)))
        if data["protocol_version"].course_sessions > 1:
            course = booking.book_course(**data, booked_by=request.user)
            session = course.sessions.order_by("start", "pk").first()
        else:
            session = booking.book_session(**data, booked_by=request.user)
        session = _session_queryset().get(pk=session.pk)
        label = f"API: booked {session.patient.full_name} on {uk_date(timezone.localtime(session.start))}"
        audit(request, label=label, obj=session, patient_id=session.patient_id)
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetail(ApiView):
    required_perms = {"GET": (VIEW_SESSION,)}
    serializer_class = s.SessionSerializer

    @extend_schema(summary="Read a session", responses={200: s.SessionSerializer, **ERRORS, **NOT_FOUND})
    def get(self, request, pk):
        session = get_object_or_404(_session_queryset(), pk=pk)
        label = f"API: session of {session.patient.full_name}, {uk_date(timezone.localtime(session.start))}"
        audit(request, label=label, obj=session, patient_id=session.patient_id)
        return Response(s.SessionSerializer(session).data)


class SessionCancel(ApiView):
    required_perms = {"POST": (BOOK,)}
    serializer_class = s.CancelSerializer

    @extend_schema(
        summary="Cancel a session",
        request=s.CancelSerializer,
        responses={200: s.SessionSerializer, **NOT_FOUND, **BAD_INPUT, **ERRORS},
    )
    def post(self, request, pk):
        session = get_object_or_404(InfusionSession, pk=pk)
        serializer = s.CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = run_form(ReasonForm(dict(serializer.validated_data)))
        booking.cancel_session(session=session, by=request.user, reason=data["reason"])
        session = _session_queryset().get(pk=pk)
        label = f"API: cancelled the session of {session.patient.full_name}"
        audit(request, label=label, obj=session, patient_id=session.patient_id)
        return Response(s.SessionSerializer(session).data)


# --- observations ----------------------------------------------------------------------------------


class ObservationList(ApiView):
    required_perms = {"GET": (VIEW_VITALS,), "POST": CHART}
    serializer_class = s.ObservationSerializer

    def _session(self, pk):
        return get_object_or_404(InfusionSession.objects.select_related("patient"), pk=pk)

    @extend_schema(
        summary="A session's observations (vital signs with NEWS2)",
        responses={200: s.ObservationSerializer(many=True), **ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk):
        session = self._session(pk)
        vitals = VitalSigns.objects.filter(session=session).order_by("observed_at", "id")
        response, shown = self.paged(vitals, s.ObservationSerializer)
        label = (
            f"API: observations of {session.patient.full_name}, {uk_date(timezone.localtime(session.start))}"
        )
        audit(request, label=label, obj=session, patient_id=session.patient_id)
        return response

    @extend_schema(
        summary="Chart one set of observations",
        request=s.ObservationCreateSerializer,
        responses={201: s.ObservationSerializer, **NOT_FOUND, **BAD_INPUT, **ERRORS},
    )
    def post(self, request, pk):
        session = self._session(pk)
        serializer = s.ObservationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        observed_at = data.pop("observed_at", None) or timezone.now().replace(second=0, microsecond=0)
        form = VitalSignsForm(data)
        del form.fields["observed_at"]  # a full date and time here, checked by the service
        run_form(form)
        vitals = record_services.record_vital_signs(
            session=session, by=request.user, observed_at=observed_at, **form.service_values()
        )
        label = f"API: charted observations for {session.patient.full_name}"
        audit(request, label=label, obj=session, patient_id=session.patient_id)
        return Response(s.ObservationSerializer(vitals).data, status=status.HTTP_201_CREATED)

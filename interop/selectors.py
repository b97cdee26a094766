"""The searches of the FHIR server: each turns parsed parameters into a filtered queryset, counts it,
reads one page of it with DB-level slicing and maps the page to resources.

Every search runs a fixed number of queries whatever the page size or the number of matches: one count,
one page (with its joins), and for some resources one more for the page's related rows (the
amendments of charted rows, the rate changes of infusions).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Func, Q, Subquery, Window
from django.utils import timezone

from patients.models import Patient, Referral, WeightRecord
from records.fhir import NHS_NUMBER_SYSTEM, local_patient_system
from records.models import Amendment, InfusionRecord, RateChange, VitalSigns
from records.selectors import delivered_so_far
from sessions.models import InfusionSession

from . import resources as res
from .search import Page, SearchError, parse_date, parse_id, parse_reference, parse_token


@dataclass
class Found:
    total: int
    resources: list[dict]
    patient_ids: set[int] = field(default_factory=set)
    rows: list = field(default_factory=list)


def _values(params, name) -> list[list[str]]:
    """Each occurrence of a parameter (AND), split on commas (OR)."""
    return [[v for v in raw.split(",") if v != ""] for raw in params.getlist(name)]


def _any(values, make_q) -> Q:
    q = Q()
    for value in values:
        q |= make_q(value)
    return q


def _patient_filter(params, names, field_name) -> Q:
    q = Q()
    for name in names:
        for values in _values(params, name):
            q &= _any(
                values,
                lambda v, n=name: Q(
                    **{field_name: parse_reference(n, v, resource_type="Patient", prefix=res.PATIENT_PREFIX)}
                ),
            )
    return q


def _date_filter(params, name, field_name, *, date_field=False) -> Q:
    q = Q()
    for values in _values(params, name):
        ranges = [parse_date(name, v) for v in values]
        q &= _any(ranges, lambda r: r.q_date(field_name) if date_field else r.q(field_name))
    return q


def _id_filter(params, prefix) -> Q:
    q = Q()
    for values in _values(params, "_id"):
        q &= _any(values, lambda v: Q(pk=parse_id(v, prefix=prefix)))
    return q


def _page(queryset, page: Page):
    total = queryset.count()
    rows = list(queryset[page.offset : page.offset + page.count]) if page.count else []
    return total, rows


# --- Patient ---------------------------------------------------------------------------------------

_DIGITS = re.compile(r"\s+")


def _identifier_q(raw: str) -> Q:
    system, value = parse_token(raw)
    value = _DIGITS.sub("", value)
    if system in (None, "", NHS_NUMBER_SYSTEM):
        return Q(nhs_number=value) if value else Q(pk__in=[])
    if system == local_patient_system():
        return Q(pk=int(value)) if value.isdigit() else Q(pk__in=[])
    return Q(pk__in=[])  # a system this server does not hold: nothing matches


def _name_q(raw: str, fields) -> Q:
    q = Q()
    for word in raw.split():
        q &= _any(fields, lambda f, w=word: Q(**{f"{f}__icontains": w}))
    return q


def search_patients(params, page: Page) -> Found:
    q = _id_filter(params, res.PATIENT_PREFIX)
    for values in _values(params, "identifier"):
        q &= _any(values, _identifier_q)
    for name, fields in (
        ("name", ("first_name", "last_name")),
        ("family", ("last_name",)),
        ("given", ("first_name",)),
    ):
        for values in _values(params, name):
            q &= _any(values, lambda v, f=fields: _name_q(v, f))
    q &= _date_filter(params, "birthdate", "date_of_birth", date_field=True)
    total, rows = _page(Patient.objects.filter(q).order_by("last_name", "first_name", "pk"), page)
    return Found(total, [res.patient(p) for p in rows], {p.pk for p in rows}, rows)


# --- ServiceRequest ----------------------------------------------------------------------------------


def _statuses(mapping, raw) -> Q:
    local = [key for key, code in mapping.items() if code == raw]
    return Q(status__in=local)


def search_service_requests(params, page: Page) -> Found:
    q = _id_filter(params, res.REFERRAL_PREFIX)
    q &= _patient_filter(params, ("patient", "subject"), "patient_id")
    for values in _values(params, "status"):
        q &= _any(values, lambda v: _statuses(res.REFERRAL_STATUS, v))
    q &= _date_filter(params, "authored", "received_on", date_field=True)
    queryset = Referral.objects.filter(q).select_related("patient").order_by("received_on", "pk")
    total, rows = _page(queryset, page)
    return Found(total, [res.service_request(r) for r in rows], {r.patient_id for r in rows}, rows)


# --- Appointment -------------------------------------------------------------------------------------


def search_appointments(params, page: Page) -> Found:
    q = _id_filter(params, res.SESSION_PREFIX)
    q &= _patient_filter(params, ("patient", "actor"), "patient_id")
    for values in _values(params, "status"):
        q &= _any(values, lambda v: _statuses(res.APPOINTMENT_STATUS, v))
    q &= _date_filter(params, "date", "start")
    for values in _values(params, "based-on"):
        q &= _any(
            values,
            lambda v: Q(
                referral_id=parse_reference(
                    "based-on", v, resource_type="ServiceRequest", prefix=res.REFERRAL_PREFIX
                )
            ),
        )
    queryset = (
        InfusionSession.objects.filter(q)
        .select_related("patient", "chair__location", "protocol_version")
        .order_by("start", "pk")
    )
    total, rows = _page(queryset, page)
    return Found(total, [res.appointment(s) for s in rows], {s.patient_id for s in rows}, rows)


# --- Observation -------------------------------------------------------------------------------------

_OBSERVATION_ID = re.compile(rf"{res.VITALS_PREFIX}-(\d{{1,18}})-([a-z0-9]+)")
_WEIGHT_ID = re.compile(rf"{res.WEIGHT_PREFIX}-(\d{{1,18}})")
_KEYS = (*res.ALL_OBSERVATION_KEYS, res.WEIGHT_KEY)


def _observation_keys(params) -> tuple[Q, Q, tuple[str, ...]]:
    """The charted rows to read, the weights to read, and the observations wanted: the keys of a
    charted row's observations (the same for every row) and WEIGHT_KEY when body weights are wanted."""
    keys = set(_KEYS)
    q, weights_q = Q(), Q()
    for values in _values(params, "_id"):
        ids, weight_ids, wanted = [], [], set()
        for value in values:
            match = _OBSERVATION_ID.fullmatch(value.strip())
            weight = _WEIGHT_ID.fullmatch(value.strip())
            if weight:
                weight_ids.append(int(weight.group(1)))
                wanted.add(res.WEIGHT_KEY)
                continue
            if not match or match.group(2) not in res.ALL_OBSERVATION_KEYS:
                raise SearchError(
                    f"'{value}' is not an Observation id of this server (e.g. vitals-12-hr, weight-3)."
                )
            ids.append(int(match.group(1)))
            wanted.add(match.group(2))
        row_keys = wanted - {res.WEIGHT_KEY}
        if len(row_keys) > 1 and len(set(ids)) > 1:
            raise SearchError("Several _id values must name observations of one kind or of one charted row.")
        q &= Q(pk__in=ids)
        weights_q &= Q(pk__in=weight_ids)
        keys &= wanted
    for values in _values(params, "code"):
        wanted = set()
        for value in values:
            system, code = parse_token(value)
            wanted |= {
                key for (s, c), key in res.OBSERVATION_CODES.items() if c == code and system in (None, s)
            }
        keys &= wanted
    for values in _values(params, "category"):
        wanted = set()
        for value in values:
            system, code = parse_token(value)
            if system in (None, res.OBSERVATION_CATEGORY):
                wanted |= set(res.CATEGORY_KEYS.get(code, ()))
        keys &= wanted
    return q, weights_q, tuple(k for k in _KEYS if k in keys)


def _count_expression(queryset):
    """The number of rows of `queryset` as a scalar subquery (COUNT without GROUP BY)."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def _counts(*querysets) -> list[int]:
    """The number of rows of each queryset, in one query."""
    parts, params = [], []
    for queryset in querysets:
        try:
            sql, part_params = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (e.g. pk__in=[])
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return [int(n) for n in cursor.fetchone()]


def search_observations(params, page: Page) -> Found:
    """The charted rows' observations (by when observed), then the recorded body weights (by the day
    recorded).

    Each charted row gives the same observations (one per key), so a page of its observations is a
    page of rows: rows [offset // k, (offset + count) // k] are read and the observations cut from
    them; the weights fill the rest of the page. The page of rows carries both totals (a window count
    and a subquery), so a search costs at most three queries whatever the number of rows: the page of
    rows (or, past them, the totals), the page's amendments, the page of weights."""
    q, weights_q, keys = _observation_keys(params)
    q &= _patient_filter(params, ("patient", "subject"), "session__patient_id")
    q &= _date_filter(params, "date", "observed_at")
    row_keys = tuple(k for k in keys if k != res.WEIGHT_KEY)
    k = len(row_keys)
    if not row_keys:
        q = Q(pk__in=[])
    if res.WEIGHT_KEY in keys:
        weights_q &= _patient_filter(params, ("patient", "subject"), "patient_id")
        weights_q &= _date_filter(params, "date", "recorded_on", date_field=True)
    else:
        weights_q = Q(pk__in=[])
    if not keys:
        return Found(0, [])
    queryset = (
        VitalSigns.objects.filter(q)
        .select_related("session__patient", "recorded_by")
        .order_by("observed_at", "pk")
    )
    weights = (
        WeightRecord.objects.filter(weights_q)
        .select_related("patient", "recorded_by")
        .order_by("recorded_on", "pk")
    )
    vitals = []
    if k and page.count:
        first_row = page.offset // k
        last_row = (page.offset + page.count - 1) // k
        vitals = list(
            queryset.annotate(rows_total=Window(Count("pk")), weights_total=_count_expression(weights))[
                first_row : last_row + 1
            ]
        )
    if vitals:
        row_total, weight_total = vitals[0].rows_total, vitals[0].weights_total or 0
    else:
        row_total, weight_total = _counts(queryset, weights)
    charted = row_total * k
    total = charted + weight_total
    if not page.count or page.offset >= total:
        return Found(total, [])
    resources, patient_ids = [], set()
    if vitals:
        by_row = defaultdict(list)
        for amendment in Amendment.objects.filter(vital_signs__in=[r.pk for r in vitals]):
            by_row[amendment.vital_signs_id].append(amendment)
        observations = [
            o for row in vitals for o in res.row_observations(row, keys=row_keys, amendments=by_row[row.pk])
        ]
        skip = page.offset - first_row * k
        resources += observations[skip : skip + page.count]
        patient_ids |= {r.session.patient_id for r in vitals}
    rows = list(vitals)
    left = page.count - len(resources)
    if weight_total and left > 0:
        start = max(page.offset - charted, 0)
        found = list(weights[start : start + left])
        resources += [res.body_weight(w) for w in found]
        rows += found
        patient_ids |= {w.patient_id for w in found}
    return Found(total, resources, patient_ids, rows)


# --- MedicationAdministration -----------------------------------------------------------------------

_INFUSION_ID = re.compile(rf"{res.SESSION_PREFIX}-(\d{{1,18}})-{res.INFUSION_SUFFIX}")


def infusions_given(records, *, now=None) -> list[dict]:
    """MedicationAdministrations of InfusionRecords (their sessions joined): one query for the rate changes."""
    changes = defaultdict(list)
    for change in RateChange.objects.filter(session_id__in=[r.session_id for r in records]):
        changes[change.session_id].append(change)
    now = now or timezone.now()
    given = []
    for record in records:
        delivered = delivered_so_far(
            record=record, changes=changes[record.session_id], until=record.stopped_at or now
        )
        resource = res.medication_administration(record, delivered=delivered)
        if resource is not None:
            given.append(resource)
    return given


def search_medication_administrations(params, page: Page) -> Found:
    q = Q()
    for values in _values(params, "_id"):
        ids = []
        for value in values:
            match = _INFUSION_ID.fullmatch(value.strip())
            if not match:
                raise SearchError(
                    f"'{value}' is not a MedicationAdministration id of this server (e.g. session-3-infusion)."
                )
            ids.append(int(match.group(1)))
        q &= Q(session_id__in=ids)
    q &= _patient_filter(params, ("patient", "subject"), "session__patient_id")
    q &= _date_filter(params, "effective-time", "started_at")
    q &= _date_filter(params, "date", "started_at")
    queryset = (
        InfusionRecord.objects.filter(q)
        .select_related("session__patient", "session__protocol_version", "started_by")
        .order_by("started_at", "pk")
    )
    total, rows = _page(queryset, page)
    return Found(total, infusions_given(rows), {r.session.patient_id for r in rows}, rows)


@dataclass(frozen=True)
class Search:
    """One resource type of the server: its search, its parameters and the permission it needs."""

    resource_type: str
    run: Callable
    params: dict[str, str]  # name -> FHIR search parameter type, with a line for the CapabilityStatement
    permission: str
    model_label: str


SEARCHES = {
    "Patient": Search(
        "Patient",
        search_patients,
        {
            "_id": "token",
            "identifier": "token",
            "name": "string",
            "family": "string",
            "given": "string",
            "birthdate": "date",
        },
        "patients.view_patient",
        "patient",
    ),
    "ServiceRequest": Search(
        "ServiceRequest",
        search_service_requests,
        {
            "_id": "token",
            "patient": "reference",
            "subject": "reference",
            "status": "token",
            "authored": "date",
        },
        "patients.view_referral",
        "referral",
    ),
    "Appointment": Search(
        "Appointment",
        search_appointments,
        {
            "_id": "token",
            "patient": "reference",
            "actor": "reference",
            "date": "date",
            "status": "token",
            "based-on": "reference",
        },
        "infusion_sessions.view_infusionsession",
        "session",
    ),
    "Observation": Search(
        "Observation",
        search_observations,
        {
            "_id": "token",
            "patient": "reference",
            "subject": "reference",
            "date": "date",
            "code": "token",
            "category": "token",
        },
        "records.view_vitalsigns",
        "observation",
    ),
    "MedicationAdministration": Search(
        "MedicationAdministration",
        search_medication_administrations,
        {
            "_id": "token",
            "patient": "reference",
            "subject": "reference",
            "date": "date",
            "effective-time": "date",
        },
        "records.view_vitalsigns",
        "infusion",
    ),
}

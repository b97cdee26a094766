"""Reads for the patients pages, and for other apps (a patient's prescriptions and latest weight). Each
returns what a page needs in a fixed number of queries."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import DateField, DurationField, ExpressionWrapper, F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from protocols.dosing import prepare

from .eligibility import lapse_reason, valid_until
from .models import (
    OPEN_STATUSES,
    EligibilityAssessment,
    EligibilityDecision,
    Patient,
    Prescription,
    Referral,
    ReferralEvent,
    ReferralStatus,
    WeightRecord,
)
from .validators import normalise_nhs_number

SEARCH_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def parse_search_date(text: str) -> date | None:
    for fmt in SEARCH_DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def search_patients(query: str) -> QuerySet[Patient]:
    """One box: a date of birth (14/03/1961 or 1961-03-14), an NHS number (spaces allowed, or its
    first digits), or names (every word must start or appear in the first or last name).

    Names are matched with icontains; on PostgreSQL the trigram GIN indexes of migration 0003 serve
    exactly those UPPER(col) LIKE '%...%' expressions.
    """
    query = (query or "").strip()
    patients = Patient.objects.all()
    if not query:
        return patients.none()
    dob = parse_search_date(query)
    if dob is not None:
        return patients.filter(date_of_birth=dob)
    digits = normalise_nhs_number(query)
    if digits.isdigit():
        if len(digits) == 10:
            return patients.filter(nhs_number=digits)
        return patients.filter(nhs_number__startswith=digits)
    condition = Q()
    for word in re.split(r"[\s,]+", query):
        if word:
            condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return patients.filter(condition)


def pick_patients(query: str, *, limit: int = 10) -> tuple[list[Patient], bool]:
    """The first `limit` patients search_patients finds (only the columns a label needs), and whether
    there are more: one query. Fewer than two characters find nobody (every other patient matches)."""
    query = (query or "").strip()
    if len(query) < 2:
        return [], False
    rows = list(
        search_patients(query).only("first_name", "last_name", "date_of_birth", "nhs_number")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def patient_for_detail(pk: int) -> Patient:
    return Patient.objects.prefetch_related(
        Prefetch(
            "referrals",
            queryset=Referral.objects.select_related("commissioner", "insurer").order_by(
                "-received_on", "-id"
            ),
        ),
        "weights",
        Prefetch(
            "eligibility_assessments",
            queryset=EligibilityAssessment.objects.select_related(
                "protocol_family", "assessed_by", "referral"
            ),
        ),
    ).get(pk=pk)


@dataclass
class EligibilityRow:
    assessment: EligibilityAssessment
    lapse_reason: str | None
    valid_until: date

    @property
    def family(self):
        return self.assessment.protocol_family

    @property
    def is_current_eligible(self) -> bool:
        return self.assessment.decision == EligibilityDecision.ELIGIBLE and not self.lapse_reason


def eligibility_summary(patient: Patient, *, today: date) -> list[EligibilityRow]:
    """The latest assessment per protocol family, with its lapse (uses the prefetched rows)."""
    weights = list(patient.weights.all())
    latest = {}
    for assessment in sorted(
        patient.eligibility_assessments.all(), key=lambda a: (a.assessed_on, a.pk), reverse=True
    ):
        if assessment.assessed_on <= today:
            latest.setdefault(assessment.protocol_family_id, assessment)
    rows = [
        EligibilityRow(
            assessment=a,
            lapse_reason=lapse_reason(assessment=a, on_date=today, weights=weights)
            if a.decision == EligibilityDecision.ELIGIBLE
            else None,
            valid_until=valid_until(a),
        )
        for a in latest.values()
    ]
    rows.sort(key=lambda r: (r.family.display_order, r.family.name))
    return rows


def referral_for_detail(pk: int) -> Referral:
    return (
        Referral.objects.select_related("patient", "commissioner", "insurer", "created_by")
        .prefetch_related(
            Prefetch("events", queryset=ReferralEvent.objects.select_related("by").order_by("at", "id")),
            Prefetch(
                "eligibility_assessments",
                queryset=EligibilityAssessment.objects.select_related("protocol_family", "assessed_by"),
            ),
        )
        .get(pk=pk)
    )


def with_wait(queryset: QuerySet[Referral], *, today: date) -> QuerySet[Referral]:
    """Annotate `wait`: time from received to the clock stop (or today, while it runs)."""
    return queryset.annotate(
        wait=ExpressionWrapper(
            Coalesce(F("rtt_stopped_on"), Value(today, output_field=DateField())) - F("received_on"),
            output_field=DurationField(),
        )
    )


WAITING = "open"  # the status filter's default: every referral still waiting for first treatment


def waiting_list(
    *, today: date, condition: str = "", funding_route: str = "", status: str = WAITING
) -> QuerySet[Referral]:
    """Referrals sorted by wait, longest first, filtered by condition, funding route and status."""
    referrals = Referral.objects.select_related("patient", "commissioner", "insurer")
    if status == WAITING or not status:
        referrals = referrals.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        referrals = referrals.filter(status=status)
    if condition:
        referrals = referrals.filter(condition=condition)
    if funding_route:
        referrals = referrals.filter(funding_route=funding_route)
    return with_wait(referrals, today=today).order_by("-wait", "received_on", "id")


def triage_queue() -> QuerySet[Referral]:
    """New referrals for a specialist to read, oldest first."""
    return (
        Referral.objects.filter(status=ReferralStatus.RECEIVED)
        .select_related("patient", "commissioner", "insurer")
        .order_by("received_on", "id")
    )


def awaiting_assessment() -> QuerySet[Referral]:
    return (
        Referral.objects.filter(status__in=[ReferralStatus.TRIAGED, ReferralStatus.AWAITING_ASSESSMENT])
        .select_related("patient")
        .order_by("received_on", "id")
    )


def current_prescription(*, patient, family=None) -> Prescription | None:
    """The patient's active prescription (for one family when given), newest first."""
    qs = Prescription.objects.filter(patient=patient, is_active=True).select_related(
        "protocol_version__protocol__family", "weight_record", "prescribed_by"
    )
    if family is not None:
        qs = qs.filter(family=family) if not isinstance(family, str) else qs.filter(family__slug=family)
    return qs.order_by("-prescribed_at", "-id").first()


def prescriptions_for(*, patient, limit=10) -> list[Prescription]:
    """The patient's latest prescriptions, each with the bag's preparation (the record's function)."""
    rows = list(
        Prescription.objects.filter(patient=patient)
        .select_related("protocol_version__protocol__family", "prescribed_by", "weight_record")
        .order_by("-prescribed_at", "-id")[:limit]
    )
    for row in rows:
        weight = row.weight_record.weight_kg if row.weight_record else None
        row.preparation = prepare(version=row.protocol_version, dose_mg=row.dose_mg, weight_kg=weight)
    return rows


def latest_weight(*, patient):
    """The patient's most recent weight record, or None. The calculator judges whether it is recent enough."""
    return WeightRecord.objects.filter(patient=patient).order_by("-recorded_on", "-id").first()

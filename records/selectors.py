"""Reads for the session record: the record page, the chart data, the day-board badge and the dashboard.

Each runs a fixed number of queries whatever the number of observations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from infusion_clinic.dates import on_day, uk_time
from protocols import dosing
from sessions.models import InfusionSession, SessionStatus

from .escalation_rules import has_unescalated_alert
from .models import (
    EVENT_FIELDS,
    RATE_CHANGE_FIELDS,
    RATE_KINDS,
    VITAL_FIELDS,
    Addendum,
    AdverseEvent,
    Amendment,
    InfusionRecord,
    RateChange,
    VitalSigns,
)
from .news2 import AlertLevel


@dataclass
class ObservationDue:
    due_at: datetime | None
    overdue: bool
    minutes_overdue: int = 0
    interval_minutes: int = 0
    during_alert: bool = False  # the protocol's shorter interval applies until NEWS2 falls


def observation_due(
    *,
    status,
    started_at,
    last_observed_at,
    interval_minutes,
    now=None,
    alert_level=None,
    alert_interval_minutes=None,
) -> ObservationDue:
    """While the infusion is in progress, the next observation falls due one interval after the
    last one (or after the start); past that it is overdue. While the last observation is at an
    alert level the protocol version's shorter alert interval applies, and the record says so."""
    during_alert = bool(alert_level and alert_level >= AlertLevel.ALERT and alert_interval_minutes)
    if during_alert:
        interval_minutes = min(interval_minutes or alert_interval_minutes, alert_interval_minutes)
    if status != SessionStatus.IN_PROGRESS or started_at is None or not interval_minutes:
        return ObservationDue(
            due_at=None, overdue=False, interval_minutes=interval_minutes or 0, during_alert=during_alert
        )
    now = now or timezone.now()
    base = max(t for t in (started_at, last_observed_at) if t is not None)
    due_at = base + timedelta(minutes=interval_minutes)
    overdue = now > due_at
    minutes = int((now - due_at).total_seconds() // 60) if overdue else 0
    return ObservationDue(
        due_at=due_at,
        overdue=overdue,
        minutes_overdue=minutes,
        interval_minutes=interval_minutes,
        during_alert=during_alert,
    )


# --- the day board and the dashboard ----------------------------------------------------------


def with_record_summary(queryset):
    """Annotate sessions with their latest observation and infusion start (for badges and cards).

    Subqueries, not prefetches: the board and dashboard keep one query for any number of sessions.
    """
    latest = VitalSigns.objects.filter(session=OuterRef("pk")).order_by("-observed_at", "-id")
    return queryset.annotate(
        latest_news2=Subquery(latest.values("news2_total")[:1]),
        latest_news2_band=Subquery(latest.values("news2_band")[:1]),
        latest_alert_level=Subquery(latest.values("alert_level")[:1]),
        last_observed_at=Subquery(latest.values("observed_at")[:1]),
        infusion_started_at=F("record__started_at"),
        infusion_state=F("record__state"),
        observation_interval=F("protocol_version__observation_interval_minutes"),
        alert_observation_interval=F("protocol_version__alert_observation_interval_minutes"),
        unescalated_alert=has_unescalated_alert(),
    )


def badge_for(session, *, now=None) -> dict:
    """What the board badge shows for an annotated session (see with_record_summary)."""
    started_at = getattr(session, "infusion_started_at", None)
    due = observation_due(
        status=session.status,
        started_at=started_at,
        last_observed_at=getattr(session, "last_observed_at", None),
        interval_minutes=getattr(session, "observation_interval", None),
        now=now,
        alert_level=getattr(session, "latest_alert_level", None),
        alert_interval_minutes=getattr(session, "alert_observation_interval", None),
    )
    level = getattr(session, "latest_alert_level", None) or AlertLevel.NONE
    return {
        "news2": getattr(session, "latest_news2", None),
        "alert_level": level,
        "alert": level >= AlertLevel.ALERT,
        "urgent": level >= AlertLevel.URGENT,
        "due": due,
        "state": getattr(session, "infusion_state", None),
        "unescalated": bool(getattr(session, "unescalated_alert", False)),
    }


def sessions_in_progress(*, now=None):
    """Today's checked-in and in-progress sessions: unescalated alerts first, then worst first (nurse dashboard)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    qs = (
        InfusionSession.objects.select_related("patient", "chair", "protocol_version")
        .filter(status__in=[SessionStatus.CHECKED_IN, SessionStatus.IN_PROGRESS], **on_day("start", today))
        .order_by("start")
    )
    rows = [(s, badge_for(s, now=now)) for s in with_record_summary(qs)]
    rows.sort(
        key=lambda r: (not r[1]["unescalated"], -r[1]["alert_level"], not r[1]["due"].overdue, r[0].start)
    )
    return rows


def sessions_awaiting_signoff(*, limit=10):
    """Completed sessions not yet signed off, oldest first, and how many there are (specialist)."""
    qs = (
        InfusionSession.objects.filter(status=SessionStatus.COMPLETED)
        .select_related("patient", "protocol_version", "record__completed_by")
        .order_by("record__completed_at", "start")
    )
    rows = list(with_record_summary(qs)[: limit + 1])
    return rows[:limit], (qs.count() if len(rows) > limit else len(rows))


# --- the record page ------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    item: str  # "Observation 09:50", "Adverse event 09:50" or "Infusion started 09:50"
    field_label: str
    old: str
    new: str
    by: object
    at: datetime
    reason: str


def rate_basis(session, record) -> dict:
    """What protocols.dosing needs to judge a rate for this record's bag."""
    return {
        "version": session.protocol_version,
        "dose_mg": record.dose_mg,
        "volume_ml": record.volume_ml,
        "weight_kg": record.weight_kg,
        "duration_minutes": record.duration_minutes,
    }


def pump_limits(session, record) -> dosing.RateLimits:
    """The pump settings shown to the nurse: the same rule that judges every rate."""
    return dosing.rate_limits(**rate_basis(session, record))


def timeline(changes) -> list[tuple]:
    """A record's rate changes as protocols.dosing.delivered() takes them."""
    return [(c.changed_at, c.kind, c.rate_ml_per_h) for c in changes]


def delivered_so_far(*, record, changes, until=None) -> dosing.Delivered:
    """Volume and dose given, from the charted start, rate changes, pauses and stop."""
    until = until or record.stopped_at or timezone.now()
    return dosing.delivered(
        timeline=timeline(changes),
        until=until,
        volume_ml=record.volume_ml,
        dose_mg=record.dose_mg,
        weight_kg=record.weight_kg,
    )


PUMP_DISCREPANCY_PERCENT = 10


def record_preparation(session, record) -> dosing.Preparation:
    """The bag as the record holds it (the dose, drug volume and final volume of the start)."""
    version = session.protocol_version
    drug_volume = record.drug_volume_ml
    return dosing.Preparation(
        dose_mg=record.dose_mg,
        drug=version.drug,
        concentration_mg_per_ml=version.concentration_mg_per_ml if drug_volume is not None else None,
        drug_volume_ml=drug_volume,
        diluent=version.diluent,
        diluent_volume_ml=record.volume_ml - (drug_volume or 0),
        final_volume_ml=record.volume_ml,
        duration_minutes=record.duration_minutes,
        rate_ml_per_h=pump_limits(session, record).planned_ml_per_h,
    )


@dataclass
class RecordPage:
    session: InfusionSession
    record: InfusionRecord | None
    vitals: list[VitalSigns]
    rate_changes: list[RateChange]
    events: list[AdverseEvent]
    amendments: list[Amendment]
    addenda: list[Addendum]
    history: list[HistoryEntry]
    due: ObservationDue
    chart: dict = field(default_factory=dict)
    limits: dosing.RateLimits | None = None  # the pump settings of a started infusion
    delivered: dosing.Delivered | None = None  # volume and dose given so far (or in all, once stopped)
    preparation: dosing.Preparation | None = None  # how the bag was made up

    @property
    def stopped_early(self) -> bool:
        record, given = self.record, self.delivered
        return bool(
            record
            and given
            and record.stopped_at
            and not given.is_complete(rate_ml_per_h=record.rate_ml_per_h)
        )

    @property
    def pump_difference_percent(self) -> int | None:
        """How far the pump's volume infused is from the record's, when the nurse entered it."""
        record, given = self.record, self.delivered
        if not record or record.pump_volume_ml is None or given is None:
            return None
        if not given.volume_ml:
            return 100 if record.pump_volume_ml else 0
        return round(abs(record.pump_volume_ml - given.volume_ml) * 100 / given.volume_ml)

    @property
    def pump_discrepancy(self) -> bool:
        """More than 10% between the pump and the record is flagged for the specialist."""
        record, given = self.record, self.delivered
        if not record or record.pump_volume_ml is None or given is None:
            return False
        return abs(record.pump_volume_ml - given.volume_ml) * 100 > PUMP_DISCREPANCY_PERCENT * given.volume_ml

    @property
    def latest(self) -> VitalSigns | None:
        return self.vitals[-1] if self.vitals else None

    @property
    def worst(self) -> VitalSigns | None:
        """The session's most worrying observation (for the specialist reviewing a completed record)."""
        if not self.vitals:
            return None
        return max(self.vitals, key=lambda v: (v.alert_level, v.news2_total, v.observed_at))

    @property
    def alert_vitals(self) -> VitalSigns | None:
        latest = self.latest
        return latest if latest is not None and latest.alert_level >= AlertLevel.ALERT else None

    @property
    def is_locked(self) -> bool:
        return self.session.status in (SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)

    @property
    def is_open(self) -> bool:
        return self.session.status in (SessionStatus.CHECKED_IN, SessionStatus.IN_PROGRESS)


def record_session(*, pk) -> InfusionSession:
    return InfusionSession.objects.select_related(
        "patient",
        "referral",
        "chair__location",
        "protocol_version__protocol__family",
        "record__started_by",
        "record__completed_by",
        "record__signed_off_by",
    ).get(pk=pk)


def _session_record(session) -> InfusionRecord | None:
    try:
        return session.record
    except InfusionRecord.DoesNotExist:
        return None


def _display(model, field_name, value):
    model_field = model._meta.get_field(field_name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _changes(*, model, rows, fields, item):
    """Compare consecutive versions of each row; yield a HistoryEntry per changed field."""
    previous = {}
    for row in rows:
        before = previous.get(row.id)
        previous[row.id] = row
        if before is None or row.history_type != "~":
            continue
        for name in fields:
            old, new = getattr(before, name), getattr(row, name)
            if old == new:
                continue
            if name == "news2_total":
                label, old, new = "NEWS2", str(old), str(new)
            else:
                label = str(model._meta.get_field(name).verbose_name)
                if isinstance(old, datetime):
                    old, new = uk_time(old), uk_time(new)
                else:
                    old, new = _display(model, name, old), _display(model, name, new)
            yield HistoryEntry(
                item=item(row),
                field_label=label,
                old=old,
                new=new,
                by=row.history_user,
                at=row.history_date,
                reason=(row.history_change_reason or "").removeprefix("Amendment: "),
            )


def _changed_versions(model, session):
    """Every version of the session's rows of `model` that were changed after their first save."""
    history = model.history.filter(session_id=session.pk)
    changed = history.filter(history_type="~").values("id")
    return (
        history.filter(id__in=changed)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )


def record_history(*, session) -> list[HistoryEntry]:
    """Changes to charted observations, adverse events and rate changes after they were first saved:
    original, amended, who, when, why. Read from django-simple-history in three queries.

    Only the versions of rows that were changed are read (a subquery picks the ids with a "~"
    version): a record of 200 observations, none amended, loads no history rows at all."""
    vitals = _changed_versions(VitalSigns, session)
    events = _changed_versions(AdverseEvent, session)
    rate_changes = _changed_versions(RateChange, session)
    entries = [
        *_changes(
            model=VitalSigns,
            rows=vitals,
            fields=(*VITAL_FIELDS, "news2_total", "observed_at"),
            item=lambda r: f"Observation {uk_time(r.observed_at)}",
        ),
        *_changes(
            model=AdverseEvent,
            rows=events,
            fields=(*EVENT_FIELDS, "occurred_at"),
            item=lambda r: f"Adverse event {uk_time(r.occurred_at)}",
        ),
        *_changes(
            model=RateChange,
            rows=rate_changes,
            fields=RATE_CHANGE_FIELDS,
            item=lambda r: f"Infusion {r.get_kind_display().lower()} {uk_time(r.changed_at)}",
        ),
    ]
    entries.sort(key=lambda e: e.at)
    return entries


def _iso(moment):
    return timezone.localtime(moment).isoformat()


def chart_data(*, vitals, rate_changes, events) -> dict:
    """The chart's data for json_script (the record page's Chart.js chart) and for the printed chart
    (records.chart_svg): every reading, and markers for rate changes and events with their reason or note."""
    return {
        "points": [
            {
                "t": _iso(v.observed_at),
                "systolic": v.systolic,
                "diastolic": v.diastolic,
                "heart_rate": v.heart_rate,
                "spo2": v.spo2,
                "pain": v.pain,
                "news2": v.news2_total,
                "alert": v.alert_level,
            }
            for v in vitals
        ],
        "markers": [
            {
                "t": _iso(c.changed_at),
                "kind": "rate",
                "label": (
                    f"{c.get_kind_display()} {format(c.rate_ml_per_h.normalize(), 'f')} mL/h"
                    if c.kind in RATE_KINDS
                    else c.get_kind_display()
                ),
                "detail": c.reason,
            }
            for c in rate_changes
        ]
        + [
            {
                "t": _iso(e.occurred_at),
                "kind": "event",
                "label": f"{e.label} ({e.get_severity_display().lower()})",
                "detail": e.notes,
            }
            for e in events
        ],
    }


def record_page(*, pk, now=None) -> RecordPage:
    session = record_session(pk=pk)
    record = _session_record(session)
    vitals = list(VitalSigns.objects.filter(session=session).select_related("recorded_by"))
    rate_changes = list(RateChange.objects.filter(session=session).select_related("changed_by"))
    events = list(AdverseEvent.objects.filter(session=session).select_related("recorded_by"))
    amendments = list(
        Amendment.objects.filter(session=session).select_related(
            "amended_by", "vital_signs", "adverse_event", "rate_change"
        )
    )
    amended_vitals = {a.vital_signs_id for a in amendments}
    amended_events = {a.adverse_event_id for a in amendments}
    amended_changes = {a.rate_change_id for a in amendments}
    for v in vitals:
        v.is_amended = v.pk in amended_vitals
    for e in events:
        e.is_amended = e.pk in amended_events
    for c in rate_changes:
        c.is_amended = c.pk in amended_changes
    due = observation_due(
        status=session.status,
        started_at=record.started_at if record else None,
        last_observed_at=vitals[-1].observed_at if vitals else None,
        interval_minutes=session.protocol_version.observation_interval_minutes,
        now=now,
        alert_level=vitals[-1].alert_level if vitals else None,
        alert_interval_minutes=session.protocol_version.alert_observation_interval_minutes,
    )
    return RecordPage(
        session=session,
        record=record,
        vitals=vitals,
        rate_changes=rate_changes,
        events=events,
        amendments=amendments,
        addenda=list(Addendum.objects.filter(session=session).select_related("added_by")),
        history=record_history(session=session),
        due=due,
        chart=chart_data(vitals=vitals, rate_changes=rate_changes, events=events),
        limits=pump_limits(session, record) if record else None,
        preparation=record_preparation(session, record) if record else None,
        delivered=delivered_so_far(record=record, changes=rate_changes, until=record.stopped_at or now)
        if record
        else None,
    )


# --- the FHIR export ------------------------------------------------------------------------


@dataclass
class RecordExport:
    session: InfusionSession
    record: InfusionRecord | None
    vitals: list[VitalSigns]
    amendments: list[Amendment]
    delivered: dosing.Delivered | None = None


def record_for_export(*, pk, now=None) -> RecordExport:
    """What records/fhir.py maps to a Bundle, in four queries whatever the number of observations."""
    session = InfusionSession.objects.select_related("patient", "record__started_by", "protocol_version").get(
        pk=pk
    )
    record = _session_record(session)
    delivered = None
    if record is not None:
        changes = list(RateChange.objects.filter(session=session))
        delivered = delivered_so_far(record=record, changes=changes, until=record.stopped_at or now)
    return RecordExport(
        session=session,
        record=record,
        vitals=list(VitalSigns.objects.filter(session=session).select_related("recorded_by")),
        amendments=list(Amendment.objects.filter(session=session, vital_signs__isnull=False)),
        delivered=delivered,
    )

"""The clinic reports' queries. Each computes in SQL with aggregates, so its query count does not grow
with the data. The monthly NHS activity per commissioner is billing's (billing/selectors.py), not here.

Every report returns a Report: the rows for the table and the CSV, the columns, totals and chart data.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from followup.models import OutcomeReview
from infusion_clinic.dates import days_bounds, uk_format
from patients.models import FundingRoute, Referral, ReferralStatus
from patients.rtt import BREACH_AFTER_DAYS, rtt_clock
from records.models import AdverseEvent
from sessions.models import ACTIVE_STATUSES, Chair, Closure, InfusionSession, OpeningHours, SessionStatus

DONE = (SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)
CLOSED_REFERRAL_STATUSES = (ReferralStatus.DECLINED, ReferralStatus.DISCHARGED)


@dataclass
class Report:
    columns: list[tuple[str, str]]  # (key, heading)
    rows: list[dict]
    totals: dict = field(default_factory=dict)
    chart: dict = field(default_factory=dict)
    available: bool = True
    unavailable_reason: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def table(self) -> list[list[tuple[str, object]]]:
        return [[(key, row.get(key)) for key, _ in self.columns] for row in self.rows]

    @property
    def totals_row(self) -> list[tuple[str, object]]:
        return [(key, self.totals.get(key, "")) for key, _ in self.columns[1:]]


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's [start, end) in Europe/London (infusion_clinic/dates.py: days_bounds)."""
    return days_bounds(start, end)


def _days(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


# --- chair utilisation ------------------------------------------------------------------------------


@dataclass
class Usage:
    """Booked and open chair-minutes of a chair, a location or the clinic over a day or a week."""

    booked: int = 0
    open: int = 0

    def add(self, booked: int, open_: int) -> None:
        self.booked += booked
        self.open += open_

    @property
    def booked_hours(self) -> float:
        return round(self.booked / 60, 1)

    @property
    def open_hours(self) -> float:
        return round(self.open / 60, 1)

    @property
    def utilisation(self) -> Decimal | None:
        return _pct(self.booked, self.open)

    def figures(self) -> dict:
        """The report's three columns of this usage."""
        return {
            "booked_hours": self.booked_hours,
            "open_hours": self.open_hours,
            "utilisation": self.utilisation,
        }


@dataclass
class ChairUsage:
    """One row of the breakdown (a location, or one of its chairs) with a Usage per day and per week."""

    name: str
    location: str
    is_chair: bool
    days: list[Usage]
    weeks: list[Usage]
    total: Usage = field(default_factory=Usage)
    months: list[Usage] = field(default_factory=list)  # filled by utilisation() for long periods


def _open_minutes(start: date, end: date, location_ids) -> tuple[dict, set]:
    """Minutes open per (location, weekday) and the closed (location, day) pairs (two queries)."""
    hours: dict[tuple[int, int], int] = {}
    for location_id, weekday, opens, closes in OpeningHours.objects.filter(
        location_id__in=location_ids
    ).values_list("location_id", "weekday", "opens", "closes"):
        hours[(location_id, weekday)] = (
            hours.get((location_id, weekday), 0) + _minutes(closes) - _minutes(opens)
        )
    closed = set()
    for location_id, s, e in Closure.objects.filter(
        location_id__in=location_ids, starts_on__lte=end, ends_on__gte=start
    ).values_list("location_id", "starts_on", "ends_on"):
        for d in _days(max(s, start), min(e, end)):
            closed.add((location_id, d))
    return hours, closed


def chair_capacity(start: date, end: date) -> dict[date, int]:
    """Chair-minutes open per day: active chairs x opening hours, less closures (three queries)."""
    chairs = dict(
        Chair.objects.filter(is_active=True, location__is_active=True)
        .values_list("location_id")
        .annotate(n=Count("id"))
        .values_list("location_id", "n")
    )
    hours, closed = _open_minutes(start, end, chairs)
    capacity = {}
    for d in _days(start, end):
        capacity[d] = sum(
            n * hours.get((loc, d.weekday()), 0) for loc, n in chairs.items() if (loc, d) not in closed
        )
    return capacity


def _booked_minutes(start: date, end: date) -> dict[tuple[int, date], int]:
    """Booked chair-minutes per (chair, day) of the sessions that hold a chair (one query)."""
    lo, hi = _bounds(start, end)
    rows = (
        InfusionSession.objects.filter(start__gte=lo, start__lt=hi, status__in=ACTIVE_STATUSES)
        .annotate(day=TruncDate("start"))
        .values("chair_id", "day")
        .annotate(minutes=Sum(ExpressionWrapper(F("end") - F("start"), output_field=DurationField())))
        .values_list("chair_id", "day", "minutes")
    )
    return {(chair_id, day): int(minutes.total_seconds() // 60) for chair_id, day, minutes in rows}


def _usage_row(name, location, is_chair, used, cap, week_of_day, week_count) -> ChairUsage:
    """A breakdown row from its booked and open minutes per day."""
    weeks = [Usage() for _ in range(week_count)]
    for i, w in enumerate(week_of_day):
        weeks[w].booked += used[i]
        weeks[w].open += cap[i]
    return ChairUsage(
        name=name,
        location=location,
        is_chair=is_chair,
        days=[Usage(b, c) for b, c in zip(used, cap, strict=True)],
        weeks=weeks,
        total=Usage(sum(used), sum(cap)),
    )


def chair_usage(start: date, end: date) -> tuple[list[date], list[date], list[ChairUsage]]:
    """Utilisation per location and per chair, per day and per week (four queries whatever the data).

    Returns the days, the weeks (Mondays) and the rows: each location followed by its chairs. A chair
    counts as open during its location's opening hours while it and the location are active and the
    location is not closed; an inactive chair with bookings in the period is listed with nothing open.
    """
    booked = _booked_minutes(start, end)
    booked_chairs = {chair_id for chair_id, _ in booked}
    chairs = list(
        Chair.objects.filter(Q(is_active=True, location__is_active=True) | Q(pk__in=booked_chairs))
        .order_by("location__name", "location_id", "display_order", "name", "id")
        .values_list("pk", "name", "is_active", "location_id", "location__name", "location__is_active")
    )
    hours, closed = _open_minutes(start, end, {c[3] for c in chairs})
    days = list(_days(start, end))
    weeks = list(OrderedDict.fromkeys(d - timedelta(days=d.weekday()) for d in days))
    week_index = {w: i for i, w in enumerate(weeks)}

    # Per chair, a list of booked and open minutes per day; weeks, totals and the location rows are
    # sums of those lists (chairs x days of work, whatever the number of sessions).
    week_of_day = [week_index[d - timedelta(days=d.weekday())] for d in days]
    rows, by_location = [], {}
    for chair_id, name, active, location_id, location_name, location_active in chairs:
        open_here = active and location_active
        used = [booked.get((chair_id, d), 0) for d in days]
        cap = [
            hours.get((location_id, d.weekday()), 0) if open_here and (location_id, d) not in closed else 0
            for d in days
        ]
        if location_id not in by_location:
            by_location[location_id] = ([0] * len(days), [0] * len(days), location_name, [])
        place_used, place_cap, _name, members = by_location[location_id]
        for i in range(len(days)):
            place_used[i] += used[i]
            place_cap[i] += cap[i]
        members.append(_usage_row(name, location_name, True, used, cap, week_of_day, len(weeks)))
    for place_used, place_cap, location_name, members in by_location.values():
        rows.append(
            _usage_row(location_name, location_name, False, place_used, place_cap, week_of_day, len(weeks))
        )
        rows.extend(members)
    return days, weeks, rows


BREAKDOWN_COLUMNS = [
    ("location", "Location"),
    ("chair", "Chair"),
    ("period", "Period"),
    ("date", "Day or week commencing"),
    ("booked_hours", "Chair hours booked"),
    ("open_hours", "Chair hours open"),
    ("utilisation", "Utilisation %"),
]


def chair_usage_rows(days, weeks, rows) -> list[dict]:
    """The breakdown as CSV rows: per location (chair "All chairs") and per chair, each week then each day."""
    out = []
    for row in rows:
        chair = row.name if row.is_chair else "All chairs"
        for period, dates, cells in (("week", weeks, row.weeks), ("day", days, row.days)):
            for d, cell in zip(dates, cells, strict=True):
                out.append(
                    {"location": row.location, "chair": chair, "period": period, "date": d, **cell.figures()}
                )
    return out


# A long period is shown in weeks or months, not days (docs/performance.md#reports): a year in days was
# 365 rows and a chairs x 365 grid (429 KB). The CSV keeps the day rows.
DAYS_UP_TO = 35  # a period of up to 5 weeks is shown per day
WEEKS_UP_TO = 26 * 7  # up to 26 weeks per week; longer, per month


def utilisation_grain(start: date, end: date) -> str:
    """ "day", "week" or "month": the rows of the page and the columns of its breakdown."""
    length = (end - start).days + 1
    if length <= DAYS_UP_TO:
        return "day"
    return "week" if length <= WEEKS_UP_TO else "month"


def _by_month(days: list[date], cells: list[Usage]) -> tuple[list[date], list[Usage]]:
    """Day cells summed per calendar month (the 1st of each), in the period's order."""
    months: dict[date, Usage] = {}
    for d, cell in zip(days, cells, strict=True):
        months.setdefault(d.replace(day=1), Usage()).add(cell.booked, cell.open)
    return list(months), list(months.values())


def _summary(key: str, heading: str, dates, cells, totals: dict) -> Report:
    """The page's table of a long period: a row per week or month, the same totals."""
    return Report(
        columns=[
            (key, heading),
            ("booked_hours", "Chair hours booked"),
            ("open_hours", "Chair hours open"),
            ("utilisation", "Utilisation %"),
        ],
        rows=[{key: d, **cell.figures()} for d, cell in zip(dates, cells, strict=True)],
        totals=totals,
    )


def utilisation(start: date, end: date) -> Report:
    days, weeks, breakdown = chair_usage(start, end)
    grain = utilisation_grain(start, end)
    clinic_days = [Usage() for _ in days]
    clinic_weeks = [Usage() for _ in weeks]
    for place in (r for r in breakdown if not r.is_chair):
        for total, cell in zip(clinic_days, place.days, strict=True):
            total.add(cell.booked, cell.open)
        for total, cell in zip(clinic_weeks, place.weeks, strict=True):
            total.add(cell.booked, cell.open)
    rows = [{"day": d, **cell.figures()} for d, cell in zip(days, clinic_days, strict=True)]
    week_rows = [{"week": w, **cell.figures()} for w, cell in zip(weeks, clinic_weeks, strict=True)]
    # From minutes, not from the rounded daily hours, so that it matches the per-location totals.
    total = Usage()
    for cell in clinic_days:
        total.add(cell.booked, cell.open)
    months, clinic_months = _by_month(days, clinic_days)
    if grain == "month":
        for row in breakdown:
            row.months = _by_month(days, row.days)[1]
    chart = {
        "labels": [uk_format(r["day"], "day_month") for r in rows],
        "values": [float(r["utilisation"]) if r["utilisation"] is not None else None for r in rows],
        "label": "Utilisation per day (%)",
        "week_labels": [f"w/c {w['week']:%-d %b}" for w in week_rows],
        "week_values": [float(w["utilisation"]) if w["utilisation"] is not None else None for w in week_rows],
    }
    summary = None
    if grain == "week":
        summary = _summary("week", "Week commencing", weeks, clinic_weeks, total.figures())
        chart.update(
            labels=chart["week_labels"], values=chart["week_values"], label="Utilisation per week (%)"
        )
    elif grain == "month":
        summary = _summary("month", "Month", months, clinic_months, total.figures())
        chart.update(
            labels=[uk_format(m, "short_month") for m in months],
            values=[float(r["utilisation"]) if r["utilisation"] is not None else None for r in summary.rows],
            label="Utilisation per month (%)",
        )
    return Report(
        columns=[
            ("day", "Day"),
            ("booked_hours", "Chair hours booked"),
            ("open_hours", "Chair hours open"),
            ("utilisation", "Utilisation %"),
        ],
        rows=rows,
        totals=total.figures(),
        chart=chart,
        extra={
            "weeks": week_rows,
            "grain": grain,
            # The page's table when the period is long (rows per week or month); the CSV keeps the days.
            "summary": summary,
            "breakdown": {
                "days": days,
                "weeks": weeks,
                "months": months,
                "grain": grain,
                "columns": months if grain == "month" else weeks,
                "rows": breakdown,
            },
        },
    )


# --- attendance: did-not-attend and late cancellations ----------------------------------------------


def attendance(start: date, end: date) -> Report:
    lo, hi = _bounds(start, end)
    data = list(
        InfusionSession.objects.filter(start__gte=lo, start__lt=hi)
        .annotate(week=TruncWeek("start"))
        .values("week")
        .annotate(
            attended=Count("id", filter=Q(status__in=DONE)),
            dna=Count("id", filter=Q(status=SessionStatus.DID_NOT_ATTEND)),
            cancelled=Count("id", filter=Q(status=SessionStatus.CANCELLED)),
            late=Count("id", filter=Q(status=SessionStatus.CANCELLED, late_cancellation=True)),
        )
        .order_by("week")
    )
    rows = []
    for row in data:
        week = timezone.localtime(row["week"]).date() if isinstance(row["week"], datetime) else row["week"]
        due = row["attended"] + row["dna"]
        appointments = due + row["cancelled"]
        rows.append(
            {
                "week": week,
                "attended": row["attended"],
                "dna": row["dna"],
                "cancelled": row["cancelled"],
                "late_cancelled": row["late"],
                "dna_rate": _pct(row["dna"], due),
                "late_cancellation_rate": _pct(row["late"], appointments),
            }
        )
    t = {k: sum(r[k] for r in rows) for k in ("attended", "dna", "cancelled", "late_cancelled")}
    t["dna_rate"] = _pct(t["dna"], t["attended"] + t["dna"])
    t["late_cancellation_rate"] = _pct(t["late_cancelled"], t["attended"] + t["dna"] + t["cancelled"])
    return Report(
        columns=[
            ("week", "Week commencing"),
            ("attended", "Attended"),
            ("dna", "Did not attend"),
            ("cancelled", "Cancelled"),
            ("late_cancelled", "Late cancellations"),
            ("dna_rate", "DNA rate %"),
            ("late_cancellation_rate", "Late cancellation rate %"),
        ],
        rows=rows,
        totals=t,
        chart={
            "labels": [f"w/c {r['week']:%-d %b}" for r in rows],
            "dna": [float(r["dna_rate"] or 0) for r in rows],
            "late": [float(r["late_cancellation_rate"] or 0) for r in rows],
        },
    )


# --- waiting list and RTT -------------------------------------------------------------------------


BAND_LABELS = ["under 6 weeks", "6-12 weeks", "12-18 weeks", "over 18 weeks (breach)"]


def _band_filters(today: date) -> list[Q]:
    """Days waited = today - received_on (the clock of patients/rtt.py, still running on these
    pathways); the last band is the breaches, past BREACH_AFTER_DAYS (126 days: day 127 on)."""
    d = lambda n: today - timedelta(days=n)  # noqa: E731
    return [
        Q(received_on__gt=d(42)),
        Q(received_on__lte=d(42), received_on__gt=d(84)),
        Q(received_on__lte=d(84), received_on__gte=d(BREACH_AFTER_DAYS)),
        Q(received_on__lt=d(BREACH_AFTER_DAYS)),
    ]


def waiting_list_queryset():
    """Open NHS pathways: the RTT clock has not stopped and the referral is not closed."""
    return (
        Referral.objects.filter(funding_route=FundingRoute.NHS, rtt_stopped_on__isnull=True)
        .exclude(status__in=CLOSED_REFERRAL_STATUSES)
        .select_related("patient", "commissioner")
        .order_by("received_on", "id")
    )


def waiting_list(*, today: date | None = None) -> Report:
    today = today or timezone.localdate()
    aggregates = {f"b{i}": Count("id", filter=q) for i, q in enumerate(_band_filters(today))}
    counts = waiting_list_queryset().order_by().aggregate(**aggregates)
    rows = [{"band": label, "referrals": counts[f"b{i}"]} for i, label in enumerate(BAND_LABELS)]
    total = sum(r["referrals"] for r in rows)
    breaches = rows[-1]["referrals"]
    return Report(
        columns=[("band", "Weeks waited"), ("referrals", "Referrals")],
        rows=rows,
        totals={"referrals": total, "breaches": breaches, "breach_rate": _pct(breaches, total)},
        chart={"labels": [r["band"] for r in rows], "values": [r["referrals"] for r in rows]},
    )


def waiting_list_rows(referrals, *, today: date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    rows = []
    for r in referrals:
        clock = rtt_clock(r, today=today)
        rows.append(
            {
                "referral": r,
                "patient": str(r.patient),
                "nhs_number": r.patient.nhs_number,
                "received_on": r.received_on,
                "status": r.get_status_display(),
                "commissioner": r.commissioner.ods_code if r.commissioner else "",
                "days_waited": clock.days_waited,
                "weeks_waited": clock.weeks_waited,
                "breach": clock.breached,
            }
        )
    return rows


WAITING_LIST_COLUMNS = [
    ("patient", "Patient"),
    ("nhs_number", "NHS number"),
    ("received_on", "Received"),
    ("status", "Status"),
    ("commissioner", "Commissioner"),
    ("weeks_waited", "Weeks waited"),
    ("breach", "RTT breach"),
]


# --- outcomes by protocol -------------------------------------------------------------------------


def outcomes(start: date, end: date) -> Report:
    columns = [
        ("protocol", "Protocol"),
        ("review", "Review"),
        ("reviews", "Reviews completed"),
        ("responders_30", "30% responders"),
        ("share_30", "Share at 30% (%)"),
        ("responders_50", "50% responders"),
        ("share_50", "Share at 50% (%)"),
    ]
    lo, hi = _bounds(start, end)
    data = (
        OutcomeReview.objects.filter(status="completed", completed_at__gte=lo, completed_at__lt=hi)
        .values("course__protocol_version__protocol__name", "offset_days")
        .annotate(
            reviews=Count("id"),
            r30=Count("id", filter=Q(responder_30=True)),
            r50=Count("id", filter=Q(responder_50=True)),
        )
        .order_by("course__protocol_version__protocol__name", "offset_days")
    )
    rows = []
    for row in data:
        rows.append(
            {
                "protocol": row["course__protocol_version__protocol__name"],
                "review": _offset_label(row["offset_days"]),
                "reviews": row["reviews"],
                "responders_30": row["r30"],
                "share_30": _pct(row["r30"], row["reviews"]),
                "responders_50": row["r50"],
                "share_50": _pct(row["r50"], row["reviews"]),
            }
        )
    by_protocol = OrderedDict()
    for r in rows:
        p = by_protocol.setdefault(r["protocol"], {"reviews": 0, "r30": 0, "r50": 0})
        p["reviews"] += r["reviews"]
        p["r30"] += r["responders_30"]
        p["r50"] += r["responders_50"]
    total = sum(p["reviews"] for p in by_protocol.values())
    return Report(
        columns=columns,
        rows=rows,
        totals={
            "reviews": total,
            "responders_30": sum(p["r30"] for p in by_protocol.values()),
            "responders_50": sum(p["r50"] for p in by_protocol.values()),
            "share_30": _pct(sum(p["r30"] for p in by_protocol.values()), total),
            "share_50": _pct(sum(p["r50"] for p in by_protocol.values()), total),
        },
        chart={
            "labels": list(by_protocol),
            "share_30": [float(_pct(p["r30"], p["reviews"]) or 0) for p in by_protocol.values()],
            "share_50": [float(_pct(p["r50"], p["reviews"]) or 0) for p in by_protocol.values()],
        },
    )


def _offset_label(days: int) -> str:
    if days % 7 == 0 and days < 70:
        return f"{days // 7} weeks"
    if days >= 80:
        return f"{round(days / 30)} months"
    return f"{days} days"


# --- adverse events per 100 infusions ---------------------------------------------------------------


def adverse_events(start: date, end: date) -> Report:
    columns = [
        ("protocol", "Protocol"),
        ("infusions", "Infusions given"),
        ("events", "Adverse events"),
        ("severe", "Severe"),
        ("per_100", "Events per 100 infusions"),
    ]
    lo, hi = _bounds(start, end)
    infusions = dict(
        InfusionSession.objects.filter(start__gte=lo, start__lt=hi, status__in=DONE)
        .values_list("protocol_version__protocol__name")
        .annotate(n=Count("id"))
        .values_list("protocol_version__protocol__name", "n")
    )
    events = {
        row["session__protocol_version__protocol__name"]: row
        for row in AdverseEvent.objects.filter(
            session__start__gte=lo, session__start__lt=hi, session__status__in=DONE
        )
        .values("session__protocol_version__protocol__name")
        .annotate(events=Count("id"), severe=Count("id", filter=Q(severity="severe")))
    }
    rows = []
    for protocol in sorted(set(infusions) | set(events)):
        n = infusions.get(protocol, 0)
        e = events.get(protocol, {"events": 0, "severe": 0})
        rows.append(
            {
                "protocol": protocol,
                "infusions": n,
                "events": e["events"],
                "severe": e["severe"],
                "per_100": _pct(e["events"], n),
            }
        )
    total_n = sum(r["infusions"] for r in rows)
    total_e = sum(r["events"] for r in rows)
    return Report(
        columns=columns,
        rows=rows,
        totals={
            "infusions": total_n,
            "events": total_e,
            "severe": sum(r["severe"] for r in rows),
            "per_100": _pct(total_e, total_n),
        },
        chart={"labels": [r["protocol"] for r in rows], "values": [float(r["per_100"] or 0) for r in rows]},
    )

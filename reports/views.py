"""The clinic reports for clinic admins (`billing.view_reports`): a page with a chart and a CSV each.

Each view reads inside `read_from_replica()` (infusion_clinic/db_router.py), under its permission
check: with DATABASE_REPLICA_URL set, the report's queries run on the read replica, while the session,
the permission check and the access audit row of a CSV export stay on the primary."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from audit.models import AccessKind
from audit.services import record_access
from infusion_clinic.csv_export import table_csv_response
from infusion_clinic.db_router import read_from_replica
from infusion_clinic.permissions import role_required
from patients.rtt import BREACH_AFTER_DAYS

from . import selectors
from .forms import DateRangeForm

VIEW_REPORTS = "billing.view_reports"

REPORTS = {
    "utilisation": (
        "Chair utilisation",
        "Chair hours booked against chair hours open, for the clinic and per location and chair: per day "
        "and week up to five weeks, per week or month over longer periods.",
        selectors.utilisation,
    ),
    "attendance": (
        "Did not attend and late cancellations",
        "DNA rate = did not attend / (attended + did not attend). Late cancellation rate = late "
        "cancellations / all appointments.",
        selectors.attendance,
    ),
    "outcomes": (
        "Outcomes by protocol",
        "Completed outcome reviews: share of patients with at least 30% and "
        "50% pain reduction from baseline (IMMPACT thresholds).",
        selectors.outcomes,
    ),
    "adverse-events": (
        "Adverse events per 100 infusions",
        "Adverse events recorded during infusions given in the period, per 100 infusions, by protocol.",
        selectors.adverse_events,
    ),
}


def _wants_csv(request):
    return request.GET.get("format") == "csv"


def _csv(request, filename, columns, rows, totals=None):
    """A report's CSV, its download recorded in the access audit."""
    record_access(request, kind=AccessKind.EXPORT, label=f"Report CSV {filename}")
    return table_csv_response(filename, columns, rows, totals)


@role_required(VIEW_REPORTS)
@read_from_replica()
def report_index(request):
    return render(request, "reports/index.html", {"reports": REPORTS})


@role_required(VIEW_REPORTS)
@read_from_replica()
def report(request, slug):
    if slug not in REPORTS:
        raise Http404("No such report")
    title, description, func = REPORTS[slug]
    form = DateRangeForm(request.GET)
    context = {"form": form, "title": title, "description": description, "slug": slug, "result": None}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    period = form.cleaned_data
    result = func(period["start"], period["end"])
    breakdown = result.extra.get("breakdown") if result.available else None
    if _wants_csv(request) and breakdown and request.GET.get("by") == "chair":
        return _csv(
            request,
            f"{slug}-by-chair-{period['start']}-{period['end']}",
            selectors.BREAKDOWN_COLUMNS,
            selectors.chair_usage_rows(breakdown["days"], breakdown["weeks"], breakdown["rows"]),
        )
    if _wants_csv(request) and result.available:
        return _csv(
            request, f"{slug}-{period['start']}-{period['end']}", result.columns, result.rows, result.totals
        )
    if not request.GET:
        context["form"] = DateRangeForm(initial=period)
    csv_query = f"start={period['start']}&end={period['end']}&format=csv"
    # A long utilisation period shows a row per week or month; its CSV (above) keeps a row per day.
    table = result.extra.get("summary") or result
    context.update(result=result, table=table, period=period, csv_query=csv_query, breakdown=breakdown)
    return render(request, "reports/report.html", context)


@role_required(VIEW_REPORTS)
@read_from_replica()
def waiting_list_report(request):
    summary = selectors.waiting_list()
    qs = selectors.waiting_list_queryset()
    if _wants_csv(request):
        return _csv(request, "waiting-list", selectors.WAITING_LIST_COLUMNS, selectors.waiting_list_rows(qs))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/waiting_list.html",
        {
            "summary": summary,
            "page": page,
            "rows": selectors.waiting_list_rows(page.object_list),
            "breach_days": BREACH_AFTER_DAYS,
        },
    )

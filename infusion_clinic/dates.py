"""Dates and times for people, in one spelling: 25 Nov 2026, Wed 25 Nov 2026, 14:30, Europe/London.

The formats are named in infusion_clinic/formats/en_GB/formats.py; templates reach the same functions
as filters (`{{ d|uk_date }}`, `{{ dt|uk_datetime }}`, `{{ t|uk_time }}`, ..., see
infusion_clinic/templatetags/uk_dates.py). Machine formats (ISO, FHIR, CSV, input values) are not
for these functions.
"""

from datetime import date, datetime, time, timedelta

from django.utils import dateformat, timezone

from infusion_clinic.formats.en_GB import formats

# style -> the name of its format in the formats module
STYLES = {
    "date": "DATE_FORMAT",
    "datetime": "DATETIME_FORMAT",
    "time": "TIME_FORMAT",
    "month": "YEAR_MONTH_FORMAT",
    "short_month": "SHORT_MONTH_FORMAT",
    "weekday": "WEEKDAY_DATE_FORMAT",
    "weekday_datetime": "WEEKDAY_DATETIME_FORMAT",
    "weekday_day_month": "WEEKDAY_DAY_MONTH_FORMAT",
    "day_month": "DAY_MONTH_FORMAT",
    "day_month_time": "DAY_MONTH_TIME_FORMAT",
    "long_date": "LONG_DATE_FORMAT",
    "long_day_month": "LONG_DAY_MONTH_FORMAT",
    "full_date": "FULL_DATE_FORMAT",
}


def uk_format(value, style: str = "date") -> str:
    """`value` (a date, time or datetime; an aware datetime in Europe/London) in the named style."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    spelling = getattr(formats, STYLES[style])
    if style == "time":
        return dateformat.time_format(value, spelling)
    return dateformat.format(value, spelling)


def uk_date(value) -> str:
    """25 Nov 2026"""
    return uk_format(value, "date")


def uk_datetime(value) -> str:
    """25 Nov 2026 14:30"""
    return uk_format(value, "datetime")


def uk_time(value) -> str:
    """14:30"""
    return uk_format(value, "time")


def uk_weekday(value) -> str:
    """Wed 25 Nov 2026"""
    return uk_format(value, "weekday")


def uk_weekday_datetime(value) -> str:
    """Wed 25 Nov 2026 14:30"""
    return uk_format(value, "weekday_datetime")


# --- the bounds of UK days, for queries ---------------------------------------------------------
# docs/performance.md#day-bounds: a `start__date=day` lookup makes PostgreSQL convert every row's
# timestamp to the local date before comparing, so no index on `start` can serve it. Compare the
# column itself with the day's bounds instead: `start__gte=lo, start__lt=hi`.


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UK day `day` as the aware [start, end) it covers: local midnight to the next local midnight.

    23 hours on the spring-forward Sunday, 25 on the autumn one: the bounds are midnights on the
    wall clock, not 24 hours apart."""
    tz = timezone.get_default_timezone()
    return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=tz
    )


def days_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UK days `first` to `last` (both included) as one aware [start, end)."""
    return day_bounds(first)[0], day_bounds(last)[1]


def on_day(field: str, day: date) -> dict:
    """Filter keywords for "`field` (a DateTimeField) falls on the UK day `day`", index-friendly:
    `Model.objects.filter(**on_day("start", day))` instead of `start__date=day`."""
    lo, hi = day_bounds(day)
    return {f"{field}__gte": lo, f"{field}__lt": hi}


def today_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Today's bounds in Europe/London (of `now` when given)."""
    return day_bounds(timezone.localdate(now))

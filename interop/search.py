"""FHIR search parameters: parsing, date prefixes, references, tokens and paging.

Pure parsing (no queries): a bad value raises SearchError, which the views answer as a 400
OperationOutcome. Dates are read in the clinic's time zone (Europe/London) when they carry no offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import timezone

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters every search takes besides its own.
PAGING_PARAMS = ("_count", "_offset")
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
SUPPORTED_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")


class SearchError(ValueError):
    """A parameter the server cannot take: `code` is the OperationOutcome issue type."""

    def __init__(self, message, *, code="invalid", status=400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# --- dates ------------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class DateRange:
    """The implicit range of a FHIR date value: [start, end) as aware datetimes."""

    prefix: str
    start: datetime
    end: datetime

    def q(self, field: str):
        """A Q object for a DateTimeField `field` (the FHIR rules for a point in time against a range)."""
        if self.prefix == "eq":
            return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
        if self.prefix == "ne":
            return Q(**{f"{field}__lt": self.start}) | Q(**{f"{field}__gte": self.end})
        if self.prefix == "gt":
            return Q(**{f"{field}__gte": self.end})
        if self.prefix == "ge":
            return Q(**{f"{field}__gte": self.start})
        if self.prefix == "lt":
            return Q(**{f"{field}__lt": self.start})
        return Q(**{f"{field}__lt": self.end})  # le

    def q_date(self, field: str):
        """The same for a DateField: the range's days in the clinic's time zone."""
        first = timezone.localtime(self.start).date()
        end_local = timezone.localtime(self.end)
        after = end_local.date() if end_local.time() == time(0) else end_local.date() + timedelta(days=1)
        if self.prefix == "eq":
            return Q(**{f"{field}__gte": first, f"{field}__lt": after})
        if self.prefix == "ne":
            return Q(**{f"{field}__lt": first}) | Q(**{f"{field}__gte": after})
        if self.prefix == "gt":
            return Q(**{f"{field}__gte": after})
        if self.prefix == "ge":
            return Q(**{f"{field}__gte": first})
        if self.prefix == "lt":
            return Q(**{f"{field}__lt": first})
        return Q(**{f"{field}__lt": after})


def _local(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def parse_date(name: str, raw: str) -> DateRange:
    """`ge2026-11-01`, `2026-11`, `lt2026-11-25T14:30:00+00:00`: a prefix (default eq) and a value whose
    precision gives its range (a year, a month, a day, or the second of a dateTime)."""
    value = raw.strip()
    prefix = "eq"
    if value[:2] in PREFIXES and not value[:2].isdigit():
        prefix, value = value[:2], value[2:]
    if prefix not in SUPPORTED_PREFIXES:
        raise SearchError(
            f"The date prefix '{prefix}' of {name} is not supported (use eq, ne, gt, ge, lt or le)."
        )
    match = _DATE.match(value)
    try:
        if match:
            year, month, day = match.groups()
            if day:
                first = date(int(year), int(month), int(day))
                after = first + timedelta(days=1)
            elif month:
                first = date(int(year), int(month), 1)
                after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
            else:
                first = date(int(year), 1, 1)
                after = date(first.year + 1, 1, 1)
            start = _local(datetime.combine(first, time(0)))
            end = _local(datetime.combine(after, time(0)))
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if "T" not in value:
                raise ValueError(value)
            start = _local(moment.replace(microsecond=0))
            end = start + timedelta(seconds=1)
    except ValueError as exc:
        raise SearchError(
            f"'{raw}' is not a FHIR date for {name} (e.g. 2026-11-25, ge2026-11, lt2026-11-25T14:30:00Z)."
        ) from exc
    return DateRange(prefix=prefix, start=start, end=end)


# --- tokens and references ----------------------------------------------------------------------


def parse_token(raw: str) -> tuple[str | None, str]:
    """`system|code` -> (system, code); `code` -> (None, code); `|code` -> ("", code)."""
    if "|" in raw:
        system, code = raw.split("|", 1)
        return system, code
    return None, raw


def parse_reference(name: str, raw: str, *, resource_type: str, prefix: str) -> int:
    """`Patient/patient-3`, `patient-3` or an absolute URL ending in `Patient/patient-3` -> 3."""
    value = raw.strip().rstrip("/")
    tail = value.rsplit("/", 2)
    if len(tail) >= 2:
        if tail[-2] != resource_type:
            raise SearchError(f"{name} must refer to a {resource_type} (e.g. {resource_type}/{prefix}-3).")
        value = tail[-1]
    return parse_id(value, prefix=prefix, name=name)


def parse_id(value: str, *, prefix: str, name: str = "_id") -> int:
    match = re.fullmatch(rf"{re.escape(prefix)}-(\d{{1,18}})", value.strip())
    if not match:
        raise SearchError(f"'{value}' is not an id of this server for {name} (e.g. {prefix}-3).")
    return int(match.group(1))


# --- paging ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    count: int
    offset: int


def _non_negative_int(name, raw):
    if not re.fullmatch(r"\d{1,9}", raw.strip()):
        raise SearchError(f"{name} must be a whole number of 0 or more, not '{raw}'.")
    return int(raw)


def parse_page(params) -> Page:
    count = DEFAULT_COUNT
    if "_count" in params:
        count = min(_non_negative_int("_count", params["_count"]), MAX_COUNT)
    offset = _non_negative_int("_offset", params["_offset"]) if "_offset" in params else 0
    return Page(count=count, offset=offset)


def page_links(*, base_url: str, params: list[tuple[str, str]], page: Page, total: int) -> list[dict]:
    """self, and next/previous where there is such a page: the same search with another _offset."""
    kept = [(k, v) for k, v in params if k not in PAGING_PARAMS]

    def url(offset):
        return f"{base_url}?{urlencode([*kept, ('_count', str(page.count)), ('_offset', str(offset))])}"

    links = [{"relation": "self", "url": url(page.offset)}]
    if page.count and page.offset + page.count < total:
        links.append({"relation": "next", "url": url(page.offset + page.count)})
    if page.count and page.offset > 0:
        links.append({"relation": "previous", "url": url(max(page.offset - page.count, 0))})
    return links

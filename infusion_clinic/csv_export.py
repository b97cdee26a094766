"""CSV downloads that a spreadsheet opens safely.

A cell that starts with = + - @ (or a tab or carriage return) is read by Excel and LibreOffice as a
formula: a patient registered as `=HYPERLINK("http://evil.example","Click")` would become a live link
in the clinic's spreadsheet (CSV injection). Text cells that start so are prefixed with an apostrophe,
which spreadsheets show as text; numbers and dates are written as they are.
"""

import csv
from datetime import date
from decimal import Decimal

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return f"{value}"
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header, rows) -> HttpResponse:
    """An attachment `filename`.csv of `header` and `rows` (iterables of cells), each cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response


def table_csv_response(filename: str, columns, rows, totals=None) -> HttpResponse:
    """A report table as CSV: `columns` are (key, heading) pairs, `rows` dicts by key, and `totals` (a
    dict by key, the first column excepted) a last row headed "Total"."""
    lines = [[row.get(key) for key, _ in columns] for row in rows]
    if totals:
        lines.append(["Total"] + [totals.get(key) for key, _ in columns[1:]])
    return csv_response(filename, [heading for _, heading in columns], lines)

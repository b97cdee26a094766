"""CSV exports are safe to open in a spreadsheet: a text cell that starts like a formula is written as
text (prefixed with an apostrophe); numbers, including negative ones, and dates stay as they are."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from infusion_clinic.csv_export import csv_response, safe_cell, table_csv_response
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("Lovelace", "Lovelace"),
        (Decimal("-12.50"), "-12.50"),
        (-3, "-3"),
        (date(2026, 11, 24), "2026-11-24"),
        (None, ""),
        (True, "yes"),
    ],
)
def test_it_writes_formula_like_text_as_text_and_numbers_as_numbers(value, cell):
    assert safe_cell(value) == cell


def test_the_response_is_a_csv_attachment_of_safe_cells():
    response = csv_response("x", ["Name", "Amount"], [["=1+1", Decimal("-5")]])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Name", "Amount"], ["'=1+1", "-5"]]


def test_a_report_table_is_a_csv_of_its_headings_rows_and_a_total_row_of_safe_cells():
    columns = [("name", "Name"), ("n", "Sessions")]
    response = table_csv_response(
        "t", columns, [{"name": "=cmd", "n": 2}, {"name": "Ward", "n": 3}], {"n": 5}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Name", "Sessions"], ["'=cmd", "2"], ["Ward", "3"], ["Total", "5"]]


def test_a_patient_named_like_a_formula_is_text_in_the_waiting_list_csv(admin_client_role):
    patient = factories.PatientFactory(last_name='=HYPERLINK("http://evil.example","Click")')
    factories.ReferralFactory(patient=patient)
    response = admin_client_role.get(reverse("reports:waiting_list") + "?format=csv")
    assert response.status_code == 200
    body = response.content.decode()
    assert "=HYPERLINK" in body
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)

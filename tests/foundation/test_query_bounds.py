"""Dates and ids from a request are checked against one sane range (infusion_clinic/bounds.py) before
any arithmetic or query: an out-of-range value is a 400 with a message, never an OverflowError."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from infusion_clinic import bounds
from tests import factories

pytestmark = pytest.mark.django_db

TOO_BIG = str(2**64)
EDGE_DATES = ["0001-01-01", "9999-12-31"]
RANGE_MESSAGE = "Enter a date between 01/01/1900 and 31/12/2199."


@pytest.fixture(autouse=True)
def wednesday_morning(time_machine):
    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/London")), tick=False)


@pytest.fixture
def location(db):
    return factories.LocationFactory()


@pytest.mark.parametrize("value", EDGE_DATES)
@pytest.mark.parametrize(("url", "param"), [("/sessions/", "date"), ("/sessions/week/", "week")])
def test_it_answers_400_with_a_message_for_a_day_board_or_week_date_out_of_range(
    reception_client, location, url, param, value
):
    response = reception_client.get(url, {param: value})
    assert response.status_code == 400
    assert RANGE_MESSAGE in response.content.decode()


def test_it_still_shows_todays_board_for_no_date(reception_client, location):
    response = reception_client.get("/sessions/")
    assert response.status_code == 200
    assert response.context["day"] == date(2026, 11, 25)


def test_it_refuses_the_day_board_to_a_role_without_the_permission(client, location):
    client.force_login(factories.UserFactory())
    assert client.get("/sessions/", {"date": "9999-12-31"}).status_code == 403


@pytest.mark.parametrize("value", ["9999-12-31", "2200-01-01"])
def test_it_shows_the_range_next_to_the_earliest_date_on_the_slot_finder(reception_client, location, value):
    patient = factories.PatientFactory()
    version = factories.ProtocolVersionFactory()
    response = reception_client.get(
        "/sessions/book/", {"patient": patient.pk, "protocol_version": version.pk, "earliest": value}
    )
    assert response.status_code == 200
    assert response.context["search"].errors["earliest"] == [RANGE_MESSAGE]


@pytest.mark.parametrize("value", [TOO_BIG, str(2**63), "0", "-3"])
def test_it_treats_a_patient_id_beyond_64_bits_on_the_slot_finder_as_no_choice(reception_client, value):
    version = factories.ProtocolVersionFactory()
    response = reception_client.get(
        "/sessions/book/", {"patient": value, "protocol_version": version.pk, "earliest": "2026-11-26"}
    )
    assert response.status_code == 200
    assert "patient" in response.context["search"].errors
    assert reception_client.get("/sessions/book/", {"patient": value}).status_code == 200


@pytest.mark.parametrize("value", EDGE_DATES)
def test_it_refuses_a_rota_week_out_of_range_next_to_the_field_and_saves_nothing(
    admin_client_role, location, value
):
    from sessions.models import NurseShift

    response = admin_client_role.post(
        "/sessions/setup/rota-week/",
        {
            "location": location.pk,
            "week_starting": value,
            "band_split": "13:00",
            "morning_nurses": 2,
            "afternoon_nurses": 2,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["week_starting"] == [RANGE_MESSAGE]
    assert not NurseShift.objects.exists()


@pytest.mark.parametrize("slug", ["utilisation", "attendance", "outcomes", "adverse-events"])
@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "0001-12-31"), ("9999-01-01", "9999-12-31")])
def test_it_answers_400_with_the_message_next_to_a_report_date_out_of_range(
    admin_client_role, slug, start, end
):
    response = admin_client_role.get(f"/reports/{slug}/", {"start": start, "end": end})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["start"] == [RANGE_MESSAGE]
    assert errors["end"] == [RANGE_MESSAGE]


def test_it_refuses_reports_to_reception(reception_client):
    assert reception_client.get("/reports/utilisation/", {"end": "9999-12-31"}).status_code == 403


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2200-01"])
def test_it_answers_400_for_an_nhs_activity_month_out_of_range(admin_client_role, month):
    response = admin_client_role.get("/billing/reports/nhs-activity/", {"month": month})
    assert response.status_code == 400
    assert "Choose a month between 1900-01 and 2199-12." in response.content.decode()


@pytest.mark.parametrize("value", [TOO_BIG, str(2**63)])
@pytest.mark.parametrize(
    "url",
    ["/sessions/?location={}", "/sessions/week/?location={}", "/billing/preauthorisations/?referral={}"],
)
def test_it_answers_404_or_ignores_an_id_beyond_64_bits_in_a_query(
    admin_client_role, reception_client, url, value
):
    for client in (admin_client_role, reception_client):
        assert client.get(url.format(value)).status_code in (200, 403, 404)


def test_the_bounds_accept_the_edges_and_refuse_beyond_them():
    field = bounds.DateField()
    assert field.clean("1900-01-01") == date(1900, 1, 1)
    assert field.clean("2199-12-31") == date(2199, 12, 31)
    for value in ("1899-12-31", "2200-01-01", "0001-01-01", "9999-12-31"):
        with pytest.raises(ValidationError):
            field.clean(value)
    assert bounds.parse_id(str(bounds.MAX_ID)) == bounds.MAX_ID
    for value in (str(bounds.MAX_ID + 1), "0", "-1", "1e3", "", None, "٣"):
        assert bounds.parse_id(value) is None

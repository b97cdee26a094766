"""NHS activity per commissioner: billing's monthly count for each ICB (NHS care is not invoiced)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.selectors import nhs_activity

from .. import factories
from .conftest import referral, session

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _weekday_before(d):
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def test_nhs_activity_per_commissioner_for_a_month_as_page_and_csv(admin_client_role):
    month = date(TODAY.year, TODAY.month, 1) - timedelta(days=1)
    month = date(month.year, month.month, 1)
    day = _weekday_before(month + timedelta(days=14))
    qop = referral("nhs")
    other = referral(
        "nhs",
        commissioner=factories.CommissionerFactory(name="NHS Cheshire and Merseyside ICB", ods_code="QYG"),
    )
    session(referral=qop, on=day, hour=9)
    session(referral=qop, on=day + timedelta(days=1), hour=9, status="signed_off")
    session(referral=qop, on=day + timedelta(days=2), hour=9, status="dna")
    session(referral=other, on=day, hour=11, slug="ketamine")
    session(referral=referral("self_pay"), on=day, hour=13)  # private: not NHS activity
    session(referral=qop, on=month - timedelta(days=3), hour=9)  # previous month
    result = nhs_activity(month)
    assert [(r["ods_code"], r["protocol"], r["sessions"], r["patients"], r["dna"]) for r in result.rows] == [
        ("QYG", "Ketamine", 1, 1, 0),
        ("QOP", "Lidocaine", 2, 1, 1),
    ]
    response = admin_client_role.get(
        reverse("billing:nhs_activity"),
        {"month": f"{month:%Y-%m}", "commissioner": qop.commissioner.pk, "format": "csv"},
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0] == "Month,ODS code,Commissioner,Protocol,Sessions given,Patients treated,Did not attend"
    assert lines[1] == f"{month:%Y-%m},QOP,NHS Greater Manchester Integrated Care Board,Lidocaine,2,1,1"
    page = admin_client_role.get(
        reverse("billing:nhs_activity"), {"month": f"{month:%Y-%m}"}
    ).content.decode()
    assert "NHS Cheshire and Merseyside ICB" in page


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("fmt", ["", "csv"])
def test_the_nhs_activity_page_and_csv_keep_a_constant_query_count(
    size, fmt, admin_client_role, django_assert_max_num_queries
):
    day = _weekday_before(TODAY - timedelta(days=1))
    for i in range(size):
        ref = referral("nhs", commissioner=factories.CommissionerFactory(ods_code=f"Q{i:02d}"))
        session(referral=ref, on=day, status="completed", slug=("lidocaine", "ketamine")[i % 2])
        session(referral=ref, on=day, status="dna", hour=13)
    admin_client_role.get(reverse("dashboard"))  # warm the session and permission caches alike
    with django_assert_max_num_queries(14):
        response = admin_client_role.get(
            reverse("billing:nhs_activity"), {"month": f"{day:%Y-%m}", "format": fmt}
        )
    assert response.status_code == 200
    body = response.content.decode()
    if fmt == "csv":
        assert body.strip().splitlines()[-1] == f"Total,,,,{size},,{size}"
    else:
        assert f'data-testid="activity-total">{size}<' in body

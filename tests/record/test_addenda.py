"""Addenda: a note added to a completed or signed-off record that changes no charted value."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from records import services
from records.models import Addendum, VitalSigns
from sessions.models import SessionStatus

from .conftest import chart, finish

pytestmark = pytest.mark.django_db


def url(name, session):
    namespace = "records" if name.startswith("session_record") else "infusion_sessions"
    return reverse(f"{namespace}:{name}", args=[session.pk])


def test_an_addendum_follows_a_completed_record_and_changes_no_value(started_session, nurse):
    chart(started_session, nurse, minutes_ago=10)
    finish(started_session, nurse)
    before = list(VitalSigns.objects.filter(session=started_session).values())
    addendum = services.add_addendum(
        session=started_session, by=nurse, text="  Phoned the next day: nausea settled.  "
    )
    assert addendum.text == "Phoned the next day: nausea settled."
    assert addendum.added_by == nurse and addendum.added_at is not None
    assert list(VitalSigns.objects.filter(session=started_session).values()) == before
    started_session.refresh_from_db()
    assert started_session.status == SessionStatus.COMPLETED


def test_an_open_record_takes_no_addendum_and_an_empty_one_is_refused(started_session, nurse):
    with pytest.raises(ValidationError, match="chart it directly"):
        services.add_addendum(session=started_session, by=nurse, text="Too early")
    finish(started_session, nurse)
    with pytest.raises(ValidationError) as refused:
        services.add_addendum(session=started_session, by=nurse, text="   ")
    assert refused.value.message_dict == {"text": ["Write the addendum."]}
    assert not Addendum.objects.exists()


def test_a_nurse_adds_an_addendum_on_the_record_page_and_it_prints(started_session, nurse, nurse_client):
    finish(started_session, nurse)
    page = nurse_client.get(url("session_record", started_session)).content.decode()
    assert 'data-testid="open-addendum"' in page and "No addenda." in page
    response = nurse_client.post(
        url("session_record_addendum", started_session), {"addendum-text": "Late result: potassium 4.1"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#addenda")
    page = nurse_client.get(url("session_record", started_session)).content.decode()
    assert page.count('data-testid="addendum"') == 1 and "Late result: potassium 4.1" in page
    printed = nurse_client.get(url("session_record_print", started_session)).content.decode()
    assert "Addenda" in printed and "Late result: potassium 4.1" in printed


def test_an_empty_addendum_is_shown_next_to_the_field_and_nothing_is_saved(
    started_session, nurse, specialist_client
):
    finish(started_session, nurse)
    response = specialist_client.post(url("session_record_addendum", started_session), {"addendum-text": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "This field is required." in body and 'id="addendum-panel" class="collapse show' in body
    assert not Addendum.objects.exists()


def test_an_addendum_on_an_open_record_is_refused_on_the_page(started_session, nurse_client):
    response = nurse_client.post(url("session_record_addendum", started_session), {"addendum-text": "Early"})
    assert response.status_code == 422
    assert "chart it directly" in response.content.decode()
    assert not Addendum.objects.exists()


@pytest.mark.parametrize("who", ["reception_client", "admin_client_role"])
def test_reception_and_clinic_admins_may_not_add_addenda(request, started_session, nurse, who):
    finish(started_session, nurse)
    response = request.getfixturevalue(who).post(
        url("session_record_addendum", started_session), {"addendum-text": "Not mine to write"}
    )
    assert response.status_code == 403
    assert not Addendum.objects.exists()

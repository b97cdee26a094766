"""Pages: who may use each, bad input on the booking form, htmx check-in, day board query budget."""

from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions import booking
from sessions.models import Chair, Closure, InfusionSession, NurseShift, SessionStatus

from .. import factories
from .conftest import at, eligible_patient

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def session(patient, lidocaine, chair, monday, booker):
    return booking.book_session(
        patient=patient, protocol_version=lidocaine, chair=chair, start=at(monday, 9), booked_by=booker
    )


@pytest.fixture
def today_session(clinic_morning, patient, lidocaine, chair, booker):
    """A session later today: the clock is pinned to a Wednesday morning."""
    from sessions.models import OpeningHours

    OpeningHours.objects.filter(location=chair.location).delete()
    for d in range(7):
        OpeningHours.objects.create(location=chair.location, weekday=d, opens="00:00", closes="23:59")
    now = timezone.localtime()
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    return booking.book_session(
        patient=patient, protocol_version=lidocaine, chair=chair, start=start, booked_by=booker
    )


# --- permissions: one role that may, one that may not ---------------------------------------


@pytest.mark.parametrize(
    "name, allowed, refused",
    [
        ("day_board", "nurse", "norole"),
        ("week_view", "reception", "norole"),
        ("book", "reception", "nurse"),
        ("setup", "clinic_admin", "reception"),
        ("rota_week", "clinic_admin", "nurse"),
    ],
)
def test_page_permissions(name, allowed, refused, request, location):
    users = {
        "nurse": lambda: request.getfixturevalue("nurse"),
        "reception": lambda: request.getfixturevalue("reception"),
        "clinic_admin": lambda: request.getfixturevalue("clinic_admin"),
        "norole": lambda: factories.UserFactory(username="norole"),
    }
    url = reverse(f"infusion_sessions:{name}")
    assert client_for(users[allowed]()).get(url).status_code == 200
    assert client_for(users[refused]()).get(url).status_code == 403


def test_setup_edit_pages_are_for_clinic_admins(admin_client_role, reception_client, chair):
    url = reverse("infusion_sessions:setup_edit", args=["chair", chair.pk])
    assert admin_client_role.get(url).status_code == 200
    assert reception_client.get(url).status_code == 403
    assert admin_client_role.get(reverse("infusion_sessions:setup_add", args=["nonsense"])).status_code == 404


def test_session_pages_permissions(session, reception_client, nurse_client, specialist_client):
    detail = reverse("infusion_sessions:session_detail", args=[session.pk])
    assert specialist_client.get(detail).status_code == 200
    assert client_for(factories.UserFactory(username="nobody")).get(detail).status_code == 403
    move = reverse("infusion_sessions:move", args=[session.pk])
    assert reception_client.get(move).status_code == 200
    assert nurse_client.get(move).status_code == 403
    cancel = reverse("infusion_sessions:cancel", args=[session.pk])
    assert nurse_client.post(cancel, {"reason": "x"}).status_code == 403
    assert reception_client.post(cancel, {"reason": "Unwell"}).status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED


def test_reschedule_course_page_permissions(
    patient, ketamine, chair, monday, booker, reception_client, nurse_client
):
    course = booking.book_course(
        patient=patient, protocol_version=ketamine, chair=chair, start=at(monday, 9), booked_by=booker
    )
    url = reverse("infusion_sessions:reschedule_course", args=[course.pk])
    assert reception_client.get(url).status_code == 200
    assert nurse_client.get(url).status_code == 403
    response = reception_client.post(
        url,
        {"chair": chair.pk, "start": f"{monday + timedelta(days=14):%Y-%m-%d}T10:00", "reason": "Holiday"},
    )
    assert response.status_code == 302
    assert course.sessions.filter(status=SessionStatus.RESCHEDULED).count() == 5


def test_check_in_and_did_not_attend_permissions(today_session, admin_client_role, nurse_client):
    url = reverse("infusion_sessions:check_in", args=[today_session.pk])
    assert admin_client_role.post(url).status_code == 403
    dna = reverse("infusion_sessions:did_not_attend", args=[today_session.pk])
    assert admin_client_role.post(dna).status_code == 403
    response = nurse_client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"Checked in" in response.content
    today_session.refresh_from_db()
    assert today_session.status == SessionStatus.CHECKED_IN


def test_htmx_check_in_of_a_session_already_checked_in_is_a_json_409(today_session, nurse_client, nurse):
    booking.check_in(session=today_session, by=nurse)
    response = nurse_client.post(
        reverse("infusion_sessions:check_in", args=[today_session.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert "not booked" in response.json()["error"]


# --- the booking page ------------------------------------------------------------------------


def test_reception_finds_slots_and_books_a_course(patient, ketamine, chair, monday, reception_client):
    url = reverse("infusion_sessions:book")
    found = reception_client.get(
        url,
        {
            "patient": patient.pk,
            "protocol_version": ketamine.pk,
            "earliest": monday.isoformat(),
            "preference": "morning",
        },
    )
    assert found.status_code == 200
    slots = found.context["found"].slots
    assert len(slots) == 10 and "Book course" in found.content.decode()
    slot = slots[0]
    response = reception_client.post(
        url,
        {
            "patient": patient.pk,
            "protocol_version": ketamine.pk,
            "chair": slot.chair.pk,
            "start": f"{timezone.localtime(slot.start):%Y-%m-%dT%H:%M}",
        },
    )
    assert response.status_code == 302
    assert InfusionSession.objects.filter(patient=patient, status=SessionStatus.BOOKED).count() == 5


@pytest.mark.parametrize(
    "case, field, message",
    [
        ("outside_hours", "start", "outside opening hours"),
        ("past", "start", "in the past"),
        ("closure", "start", "closed on"),
        ("taken", "chair", "already booked"),
        ("ineligible", "patient", "no eligibility assessment"),
    ],
)
def test_bad_booking_input_shows_a_message_saves_nothing_and_keeps_the_input(
    case, field, message, patient, lidocaine, chair, monday, booker, reception_client, location
):
    start = at(monday, 9)
    who = patient
    if case == "outside_hours":
        start = at(monday, 17, 30)
    elif case == "past":
        past_day = timezone.localdate() - timedelta(days=1)
        while past_day.weekday() >= 5:  # an open weekday, so "in the past" is the only problem
            past_day -= timedelta(days=1)
        start = at(past_day, 9)
    elif case == "closure":
        Closure.objects.create(location=location, starts_on=monday, ends_on=monday, reason="Training day")
    elif case == "taken":
        booking.book_session(
            patient=eligible_patient(lidocaine),
            protocol_version=lidocaine,
            chair=chair,
            start=start,
            booked_by=booker,
        )
    elif case == "ineligible":
        who = factories.PatientFactory()
    before = InfusionSession.objects.count()
    typed = f"{timezone.localtime(start):%Y-%m-%dT%H:%M}"
    response = reception_client.post(
        reverse("infusion_sessions:book"),
        {"patient": who.pk, "protocol_version": lidocaine.pk, "chair": chair.pk, "start": typed},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    html = response.content.decode()
    assert f'value="{typed}"' in html  # the typed start is still there
    assert f'<option value="{who.pk}" selected' in html
    assert "invalid-feedback" in html  # crispy puts the message next to the field
    assert InfusionSession.objects.count() == before


def test_an_unparseable_start_is_refused_with_a_message(patient, lidocaine, chair, reception_client):
    response = reception_client.post(
        reverse("infusion_sessions:book"),
        {"patient": patient.pk, "protocol_version": lidocaine.pk, "chair": chair.pk, "start": "next tuesday"},
    )
    assert response.status_code == 400
    assert "start" in response.context["form"].errors
    assert 'value="next tuesday"' in response.content.decode()


# --- the day board ---------------------------------------------------------------------------


def fill_day(*, day, location, lidocaine, booker, count):
    """count sessions on day: four a chair (08:00, 10:00, 12:00, 14:00), as many chairs as needed."""
    chairs = list(Chair.objects.filter(location=location))
    while len(chairs) * 4 < count:
        chairs.append(factories.ChairFactory(location=location, name=f"Extra {len(chairs)}"))
    starts = [at(day, c) for c in (8, 10, 12, 14)]
    sessions = [
        InfusionSession(
            patient=factories.PatientFactory(),
            protocol_version=lidocaine,
            chair=chairs[i // 4],
            start=starts[i % 4],
            end=starts[i % 4] + lidocaine.chair_time,
            booked_by=booker,
        )
        for i in range(count)
    ]
    InfusionSession.objects.bulk_create(sessions)


@pytest.mark.parametrize("count", [10, 100])
def test_the_day_board_makes_the_same_number_of_queries_for_10_and_100_sessions(
    count, location, lidocaine, booker, monday, nurse_client, django_assert_max_num_queries
):
    fill_day(day=monday, location=location, lidocaine=lidocaine, booker=booker, count=count)
    NurseShift.objects.create(location=location, date=monday, starts="08:00", ends="18:00", nurses=3)
    with django_assert_max_num_queries(13):  # 12 + the second-factor device
        response = nurse_client.get(reverse("infusion_sessions:day_board"), {"date": monday.isoformat()})
    assert response.status_code == 200
    assert response.context["board"].session_count == count
    assert response.content.decode().count('data-testid="board-session"') == count


def test_the_day_board_query_count_is_exactly_the_same_for_10_and_100_sessions(
    location, lidocaine, booker, monday, nurse_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("infusion_sessions:day_board")
    counts = []
    for count in (10, 100):
        InfusionSession.objects.all().delete()
        fill_day(day=monday, location=location, lidocaine=lidocaine, booker=booker, count=count)
        with CaptureQueriesContext(connection) as queries:
            response = nurse_client.get(url, {"date": monday.isoformat()})
        assert response.context["board"].session_count == count
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("count", [10, 100])
def test_the_week_view_makes_the_same_number_of_queries_at_two_sizes(
    count, location, lidocaine, booker, monday, reception_client, django_assert_max_num_queries
):
    fill_day(day=monday, location=location, lidocaine=lidocaine, booker=booker, count=count)
    with django_assert_max_num_queries(11):
        response = reception_client.get(reverse("infusion_sessions:week_view"), {"week": monday.isoformat()})
    assert response.status_code == 200
    assert sum(len(d.sessions) for d in response.context["days"]) == count


def test_the_day_board_shows_nurse_load_against_the_rota(session, nurse_client, monday, location):
    NurseShift.objects.create(location=location, date=monday, starts="08:00", ends="18:00", nurses=1)
    response = nurse_client.get(reverse("infusion_sessions:day_board"), {"date": monday.isoformat()})
    hours = {h.hour: h for h in response.context["board"].hours}
    assert hours[9].patients == 1 and hours[9].nurses_on_duty == 1
    assert hours[9].nurses_needed == pytest.approx(0.33, abs=0.01)
    assert "from the rota" in response.content.decode()


def test_the_day_board_has_an_empty_state(location, nurse_client):
    response = nurse_client.get(reverse("infusion_sessions:day_board"))
    assert "No sessions booked" in response.content.decode()


# --- patient page and dashboard --------------------------------------------------------------


def test_the_patient_page_fragment_lists_upcoming_sessions(session, reception, rf):
    request = rf.get("/")
    request.user = reception
    html = render_to_string(
        "infusion_sessions/_patient_sessions.html", {"patient": session.patient}, request=request
    )
    assert timezone.localtime(session.start).strftime("%H:%M") in html
    assert session.chair.name in html


def test_dashboard_cards_show_todays_arrivals_and_sessions(today_session, reception_client, nurse_client):
    name = today_session.patient.full_name
    assert name in reception_client.get(reverse("dashboard")).content.decode()
    assert name in nurse_client.get(reverse("dashboard")).content.decode()


def test_on_a_closed_day_the_dashboard_points_at_the_next_day_with_sessions(
    time_machine, lidocaine, chair, booker, reception, nurse
):
    """Saturday evening: nothing today, Monday's sessions are booked; the cards say so and link there."""
    time_machine.move_to(at(date(2026, 12, 5), 23, 50), tick=False)
    patient = eligible_patient(lidocaine)  # assessed the day before the pinned Saturday, whatever the clock
    reception_client, nurse_client = client_for(reception), client_for(nurse)
    booking.book_session(
        patient=patient,
        protocol_version=lidocaine,
        chair=chair,
        start=at(date(2026, 12, 7), 9),
        booked_by=booker,
    )
    for client in (reception_client, nurse_client):
        html = client.get(reverse("dashboard")).content.decode()
        assert "The next sessions are on <strong>Monday 7 December 2026</strong>" in html
        assert "?date=2026-12-07" in html
        assert "Open the board for Mon 7 Dec" in html


def test_with_nothing_booked_the_dashboard_cards_keep_the_plain_empty_state(clinic_morning, nurse_client):
    html = nurse_client.get(reverse("dashboard")).content.decode()
    assert "No infusions booked today." in html
    assert "The next sessions are on" not in html


# --- clinic set-up ---------------------------------------------------------------------------


def test_a_clinic_admin_fills_a_weeks_rota(admin_client_role, location, monday):
    response = admin_client_role.post(
        reverse("infusion_sessions:rota_week"),
        {
            "location": location.pk,
            "week_starting": (monday + timedelta(days=2)).isoformat(),
            "band_split": "13:00",
            "morning_nurses": 3,
            "afternoon_nurses": 2,
        },
    )
    assert response.status_code == 302
    shifts = NurseShift.objects.filter(location=location).order_by("date", "starts")
    assert shifts.count() == 10  # five weekdays, two bands each
    assert shifts.first().date == monday and shifts.first().nurses == 3


def test_a_clinic_admin_adds_a_closure_and_bad_dates_are_refused(admin_client_role, location, monday):
    url = reverse("infusion_sessions:setup_add", args=["closure"])
    bad = admin_client_role.post(
        url,
        {"location": location.pk, "starts_on": monday, "ends_on": monday - timedelta(days=1), "reason": "x"},
    )
    assert bad.status_code == 400 and "cannot be before" in bad.content.decode()
    assert not Closure.objects.exists()
    ok = admin_client_role.post(
        url, {"location": location.pk, "starts_on": monday, "ends_on": monday, "reason": "Bank holiday"}
    )
    assert ok.status_code == 302 and Closure.objects.get().reason == "Bank holiday"


def test_a_clinic_admin_takes_a_chair_out_of_use(admin_client_role, chair):
    response = admin_client_role.post(
        reverse("infusion_sessions:setup_edit", args=["chair", chair.pk]),
        {"location": chair.location_id, "name": chair.name, "display_order": 1},
    )
    assert response.status_code == 302
    chair.refresh_from_db()
    assert chair.is_active is False


def test_reception_marks_a_past_session_as_did_not_attend(
    patient, lidocaine, chair, booker, reception_client
):
    start = timezone.localtime().replace(second=0, microsecond=0) - timedelta(hours=1)
    session = InfusionSession.objects.create(
        patient=patient,
        protocol_version=lidocaine,
        chair=chair,
        start=start,
        end=start + lidocaine.chair_time,
        booked_by=booker,
    )
    response = reception_client.post(
        reverse("infusion_sessions:did_not_attend", args=[session.pk]), {"reason": ""}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.DID_NOT_ATTEND and session.cancelled_by.username == "reception"


def test_deleting_a_closure_is_for_clinic_admins_and_chairs_are_never_deleted(
    admin_client_role, reception_client, location, chair, monday
):
    closure = Closure.objects.create(location=location, starts_on=monday, ends_on=monday, reason="Training")
    url = reverse("infusion_sessions:setup_delete", args=["closure", closure.pk])
    assert reception_client.post(url).status_code == 403
    assert admin_client_role.post(url).status_code == 302
    assert not Closure.objects.exists()
    assert (
        admin_client_role.post(
            reverse("infusion_sessions:setup_delete", args=["chair", chair.pk])
        ).status_code
        == 404
    )
    assert Chair.objects.filter(pk=chair.pk).exists()


def test_a_refused_move_keeps_what_was_typed_and_changes_nothing(session, reception_client, chairs, monday):
    typed = f"{monday:%Y-%m-%d}T17:45"
    response = reception_client.post(
        reverse("infusion_sessions:move", args=[session.pk]),
        {"chair": chairs[1].pk, "start": typed, "reason": "Bus"},
    )
    assert response.status_code == 400
    assert "outside opening hours" in " ".join(response.context["form"].errors["start"])
    assert f'value="{typed}"' in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED and InfusionSession.objects.count() == 1


def test_a_move_rebooks_and_links_the_old_session(session, reception_client, chairs, monday):
    response = reception_client.post(
        reverse("infusion_sessions:move", args=[session.pk]),
        {"chair": chairs[1].pk, "start": f"{monday:%Y-%m-%d}T13:00", "reason": "Patient asked"},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.RESCHEDULED
    assert response["Location"] == session.rescheduled_to.get_absolute_url()
    detail = reception_client.get(session.get_absolute_url()).content.decode()
    assert "New booking" in detail and "Patient asked" in detail


def test_cancelling_without_a_reason_shows_the_message_next_to_the_field(session, reception_client):
    response = reception_client.post(reverse("infusion_sessions:cancel", args=[session.pk]), {"reason": ""})
    assert response.status_code == 400
    assert response.context["cancel_form"].errors["reason"]
    assert "invalid-feedback" in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED


def test_the_setup_page_shows_closure_dates_as_a_compact_range(admin_client_role, location):
    year = timezone.localdate().year + 1
    Closure.objects.create(
        location=location, starts_on=date(year, 12, 25), ends_on=date(year, 12, 26), reason="Christmas"
    )
    Closure.objects.create(
        location=location, starts_on=date(year, 4, 30), ends_on=date(year, 5, 1), reason="Training"
    )
    Closure.objects.create(
        location=location, starts_on=date(year, 8, 31), ends_on=date(year, 8, 31), reason="Bank holiday"
    )
    page = admin_client_role.get(reverse("infusion_sessions:setup")).content.decode()
    assert f"25–26 Dec {year}" in page
    assert f"30 Apr–1 May {year}" in page
    assert f"31 Aug {year}</td>" in page


def test_the_wide_board_pages_align_the_footer_with_their_content(reception_client, location):
    for name in ("infusion_sessions:day_board", "infusion_sessions:week_view", "patients:waiting_list"):
        page = reception_client.get(reverse(name)).content.decode()
        assert '<main id="main" class="container-fluid px-lg-4 py-4">' in page, name
        assert '<footer class="container-fluid px-lg-4 pb-4' in page, name

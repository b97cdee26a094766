"""The access audit: a row for each kind of opening, append-only, and the clinic admin's pages."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, AccessKind
from billing.services import create_price, session_completed
from followup import outcomes
from sessions.models import SessionStatus

from .. import factories
from ..billing.conftest import family, referral, session
from ..followup.conftest import make_course

pytestmark = pytest.mark.django_db


def _only_event(**filters):
    events = list(AccessEvent.objects.filter(**filters))
    assert len(events) == 1, events
    return events[0]


def test_it_records_who_opened_the_patient_page_and_from_where(clinic_morning, nurse, nurse_client):
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    response = nurse_client.get(
        reverse("patients:patient_detail", args=[patient.pk]),
        REMOTE_ADDR="10.1.2.3",
        HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400,
        HTTP_X_FORWARDED_FOR="6.6.6.6",  # no trusted proxy: ignored
    )
    assert response.status_code == 200
    event = _only_event(kind=AccessKind.PATIENT)
    assert event.user == nurse and event.patient_id == patient.pk and event.object_id == patient.pk
    assert event.content_type.model == "patient" and event.label == "Ada Lovelace"
    assert event.at == clinic_morning and event.method == "GET"
    assert event.path == f"/patients/{patient.pk}/"
    assert event.ip == "10.1.2.3" and len(event.user_agent) == 300


def test_it_believes_x_forwarded_for_only_behind_a_trusted_proxy(settings, nurse_client):
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    patient = factories.PatientFactory()
    nurse_client.get(
        reverse("patients:patient_detail", args=[patient.pk]),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="81.2.69.160, 10.0.0.1",
    )
    assert _only_event(kind=AccessKind.PATIENT).ip == "81.2.69.160"


def test_an_htmx_refresh_of_a_page_is_not_recorded_again(nurse_client):
    patient = factories.PatientFactory()
    url = reverse("patients:patient_detail", args=[patient.pk])
    nurse_client.get(url)
    nurse_client.get(url, HTTP_HX_REQUEST="true")
    assert AccessEvent.objects.count() == 1
    nurse_client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true")  # a boosted navigation
    assert AccessEvent.objects.count() == 2


def test_it_records_the_session_record_its_print_pdf_and_fhir_export(clinic_morning, nurse, nurse_client):
    course = make_course(starts=[timezone.now() - timedelta(days=2)])
    record = course.sessions.get()
    patient = record.patient
    for name in ("records:session_record", "records:session_record_print", "records:session_record_pdf"):
        assert nurse_client.get(reverse(name, args=[record.pk])).status_code == 200
    assert nurse_client.get(reverse("records:session_record_fhir", args=[record.pk])).status_code == 200
    rows = list(AccessEvent.objects.filter(patient_id=patient.pk).order_by("id"))
    assert [r.kind for r in rows] == [AccessKind.SESSION_RECORD] * 3 + [AccessKind.EXPORT]
    assert all(r.object_id == record.pk and r.content_type.model == "infusionsession" for r in rows)
    assert rows[0].label == f"Session record: {patient.full_name}, 23 Nov 2026"
    assert "(print)" in rows[1].label and "(PDF)" in rows[2].label and "FHIR export" in rows[3].label


def test_it_records_the_patients_fhir_export(reception_client):
    patient = factories.PatientFactory()
    assert reception_client.get(reverse("records:patient_fhir", args=[patient.pk])).status_code == 200
    event = _only_event(kind=AccessKind.EXPORT)
    assert event.patient_id == patient.pk and "FHIR" in event.label


def test_it_records_the_diary_page(nurse_client):
    patient = factories.PatientFactory(first_name="Grace", last_name="Hopper")
    assert nurse_client.get(reverse("followup:patient_diary", args=[patient.pk])).status_code == 200
    event = _only_event(kind=AccessKind.DIARY)
    assert event.patient_id == patient.pk and event.label == "Pain diary: Grace Hopper"


def test_it_records_the_gp_letter_and_its_pdf(specialist, specialist_client):
    course = make_course(starts=[timezone.now() - timedelta(days=20)])
    review = outcomes.schedule_outcome_reviews(course=course)[0]
    outcomes.record_outcome_review(
        review=review, user=specialist, current_pain=3, pgic=2, decision="discharge"
    )
    for name in ("followup:outcome_letter", "followup:outcome_letter_pdf"):
        assert specialist_client.get(reverse(name, args=[review.pk])).status_code == 200
    rows = list(AccessEvent.objects.filter(kind=AccessKind.LETTER).order_by("id"))
    assert [r.patient_id for r in rows] == [course.patient_id] * 2
    assert rows[0].content_type.model == "outcomereview" and "(PDF)" in rows[1].label


def test_it_records_the_outcome_review_form_and_page(specialist, specialist_client):
    course = make_course(starts=[timezone.now() - timedelta(days=20)])
    review = outcomes.schedule_outcome_reviews(course=course)[0]
    assert specialist_client.get(reverse("followup:outcome_record", args=[review.pk])).status_code == 200
    outcomes.record_outcome_review(
        review=review, user=specialist, current_pain=3, pgic=2, decision="discharge"
    )
    assert specialist_client.get(reverse("followup:outcome_detail", args=[review.pk])).status_code == 200
    rows = list(AccessEvent.objects.filter(kind=AccessKind.OUTCOME_REVIEW).order_by("id"))
    assert [(r.patient_id, r.object_id) for r in rows] == [(course.patient_id, review.pk)] * 2
    assert rows[0].label == f"Outcome review: {course.patient.full_name}"


def test_it_records_the_invoice_its_print_and_pdf(admin_client_role):
    create_price(
        protocol_family=family("lidocaine"),
        funding_route="self_pay",
        effective_from=date(2026, 1, 1),
        session_price=Decimal("450"),
        review_fee=Decimal("150"),
    )
    invoice = session_completed(
        session=session(referral=referral("self_pay"), status=SessionStatus.COMPLETED)
    )
    for name in ("billing:invoice_detail", "billing:invoice_print", "billing:invoice_pdf"):
        assert admin_client_role.get(reverse(name, args=[invoice.pk])).status_code == 200
    rows = list(AccessEvent.objects.filter(kind=AccessKind.INVOICE).order_by("id"))
    assert len(rows) == 3 and {r.patient_id for r in rows} == {invoice.patient_id}
    assert rows[0].label.startswith(f"Invoice {invoice.display_number}")


def test_it_records_csv_exports(admin_client_role):
    response = admin_client_role.get(reverse("reports:waiting_list"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    response = admin_client_role.get(reverse("billing:nhs_activity"), {"month": "2026-10", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    labels = list(AccessEvent.objects.filter(kind=AccessKind.EXPORT).values_list("label", flat=True))
    assert labels == ["NHS activity CSV all 2026-10", "Report CSV waiting-list"]


# --- append-only --------------------------------------------------------------------------------


def _event(user):
    return AccessEvent.objects.create(
        user=user, at=timezone.now(), kind=AccessKind.PATIENT, patient_id=1, label="x", path="/", method="GET"
    )


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_accessevent SET label = 'edited'", "DELETE FROM audit_accessevent"]
)
def test_the_database_refuses_to_change_or_remove_an_access_event(nurse, sql):
    event = _event(nurse)
    with pytest.raises((InternalError, IntegrityError), match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    event.refresh_from_db()
    assert event.label == "x"
    with pytest.raises((InternalError, IntegrityError), match="append-only"):
        with transaction.atomic():
            AccessEvent.objects.filter(pk=event.pk).update(label="edited")
    assert AccessEvent.objects.get().label == "x"


def test_the_model_refuses_to_save_changes_or_delete(nurse):
    event = _event(nurse)
    event.label = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AccessEvent.objects.get().label == "x"


# --- the clinic admin's pages -------------------------------------------------------------------


def test_the_admin_sees_who_opened_a_patient_newest_first_and_downloads_it(
    time_machine, clinic_morning, nurse, nurse_client, specialist_client, admin_client_role
):
    patient = factories.PatientFactory(first_name="Ada", last_name="Lovelace")
    other = factories.PatientFactory()
    nurse_client.get(reverse("patients:patient_detail", args=[patient.pk]))
    time_machine.move_to(clinic_morning + timedelta(minutes=5), tick=False)
    specialist_client.get(reverse("followup:patient_diary", args=[patient.pk]))
    nurse_client.get(reverse("patients:patient_detail", args=[other.pk]))
    page = admin_client_role.get(reverse("audit:patient", args=[patient.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "Who opened Ada Lovelace" in text
    assert text.count('data-testid="access-event-row"') == 2
    assert text.index("Pain diary: Ada Lovelace") < text.index("25 Nov 2026 11:00")  # newest first
    assert "25 Nov 2026 11:05" in text

    response = admin_client_role.get(reverse("audit:patient", args=[patient.pk]), {"format": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="access-audit-patient-{patient.pk}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["When", "Who", "Username", "Kind", "What"]
    assert [r[4] for r in rows[1:]] == ["Pain diary: Ada Lovelace", "Ada Lovelace"]
    assert rows[2][0] == "2026-11-25T11:00:00+00:00" and rows[2][2] == nurse.username
    assert AccessEvent.objects.filter(kind=AccessKind.EXPORT, patient_id=patient.pk).exists()


def test_the_admin_sees_what_a_staff_member_opened(nurse, nurse_client, admin_client_role):
    patients = factories.PatientFactory.create_batch(3)
    for p in patients:
        nurse_client.get(reverse("patients:patient_detail", args=[p.pk]))
    page = admin_client_role.get(reverse("audit:user", args=[nurse.pk]))
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="access-event-row"') == 3
    response = admin_client_role.get(reverse("audit:user", args=[nurse.pk]), {"format": "csv"})
    assert len(list(csv.reader(io.StringIO(response.content.decode())))) == 4


def test_the_audit_pages_paginate(nurse, admin_client_role):
    for n in range(55):
        AccessEvent.objects.create(
            user=nurse,
            at=timezone.now(),
            kind=AccessKind.PATIENT,
            patient_id=7,
            label=f"p{n}",
            path="/",
            method="GET",
        )
    page = admin_client_role.get(reverse("audit:patient", args=[7]))
    assert (
        page.content.decode().count('data-testid="access-event-row"') == 50
        and "Page 1 of 2" in page.content.decode()
    )
    second = admin_client_role.get(reverse("audit:patient", args=[7]), {"page": 2})
    assert second.content.decode().count('data-testid="access-event-row"') == 5


def test_an_empty_audit_says_so(admin_client_role, clinic_admin):
    page = admin_client_role.get(reverse("audit:patient", args=[12345]))
    assert page.status_code == 200 and "Nobody has opened" in page.content.decode()


def test_only_clinic_admins_may_read_the_audit(nurse, nurse_client, reception_client, specialist_client):
    for client in (nurse_client, reception_client, specialist_client):
        for url in (reverse("audit:patient", args=[1]), reverse("audit:user", args=[nurse.pk])):
            assert client.get(url).status_code == 403
            assert client.get(url, {"format": "csv"}).status_code == 403


def test_the_patient_and_staff_pages_link_to_the_audit_for_admins_only(
    nurse, nurse_client, admin_client_role
):
    patient = factories.PatientFactory()
    admin_page = admin_client_role.get(reverse("patients:patient_detail", args=[patient.pk])).content.decode()
    assert reverse("audit:patient", args=[patient.pk]) in admin_page
    nurse_page = nurse_client.get(reverse("patients:patient_detail", args=[patient.pk])).content.decode()
    assert reverse("audit:patient", args=[patient.pk]) not in nurse_page
    staff_page = admin_client_role.get(reverse("staff:detail", args=[nurse.pk])).content.decode()
    assert reverse("audit:user", args=[nurse.pk]) in staff_page

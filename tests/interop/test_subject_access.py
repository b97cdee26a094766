"""The subject access export: one patient's whole record as a FHIR collection Bundle plus their letters
in a zip, from the clinic admin's page and from `manage.py export_subject_access`; both audited."""

import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent, AccessKind
from followup.models import OutcomeReview, PainDiaryEntry
from records.models import AdverseEvent
from sessions.models import Course
from tests import factories

from .conftest import validate

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
REASON = "Subject access request of 20 Nov 2026, ref SAR-42"


@pytest.fixture
def record(clinic, nurse, specialist):
    """Ada's record made whole: an uploaded referral letter, a diary entry, an adverse event and a
    completed outcome review with its GP letter."""
    clinic.ada_referral.letter_file.save("letter.pdf", ContentFile(PDF_BYTES), save=True)
    PainDiaryEntry.objects.create(
        patient=clinic.ada,
        recorded_at=timezone.now() - timedelta(days=1),
        pain_now=6,
        pain_average=5,
        pain_worst=8,
        sleep="disturbed",
        activity="reduced",
        rescue_medication=True,
        rescue_medication_detail="Paracetamol 1 g",
        notes="Worse in the cold",
    )
    AdverseEvent.objects.create(
        session=clinic.ada_session,
        occurred_at=timezone.now() - timedelta(minutes=35),
        event_type="dizziness",
        severity="mild",
        action_taken="rate_reduced",
        recorded_by=nurse,
    )
    course = Course.objects.create(
        patient=clinic.ada,
        referral=clinic.ada_referral,
        protocol_version=clinic.ada_session.protocol_version,
        created_by=specialist,
    )
    clinic.review = OutcomeReview.objects.create(
        patient=clinic.ada,
        course=course,
        offset_days=14,
        due_on=timezone.localdate(),
        status="completed",
        current_pain=3,
        pgic=2,
        baseline_pain=Decimal("7"),
        percent_reduction=Decimal("57.1"),
        responder_30=True,
        responder_50=True,
        decision="continue",
        notes="Much better sleep.",
        completed_at=timezone.now(),
        completed_by=specialist,
    )
    return clinic


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def check_export(files, clinic):
    assert set(files) == {
        "README.txt",
        "record.json",
        f"letters/referral-{clinic.ada_referral.pk}-2026-10-01.pdf",
        f"letters/gp-letter-{clinic.review.pk}-2026-11-25.pdf",
    }
    assert files[f"letters/referral-{clinic.ada_referral.pk}-2026-10-01.pdf"] == PDF_BYTES
    assert files[f"letters/gp-letter-{clinic.review.pk}-2026-11-25.pdf"].startswith(b"%PDF")
    bundle = validate(json.loads(files["record.json"]))
    assert bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = {}
    for resource in resources:
        kinds.setdefault(resource["resourceType"], []).append(resource)
    assert [p["id"] for p in kinds["Patient"]] == [f"patient-{clinic.ada.pk}"]
    assert [s["id"] for s in kinds["ServiceRequest"]] == [f"referral-{clinic.ada_referral.pk}"]
    assert {a["id"] for a in kinds["Appointment"]} == {
        f"session-{clinic.ada_session.pk}",
        f"session-{clinic.ada_next.pk}",
    }
    assert [m["id"] for m in kinds["MedicationAdministration"]] == [
        f"session-{clinic.ada_session.pk}-infusion"
    ]
    observation_ids = {o["id"] for o in kinds["Observation"]}
    assert len([i for i in observation_ids if i.startswith("vitals-")]) == 21
    assert any(i.startswith("weight-") for i in observation_ids)
    assert f"outcome-{clinic.review.pk}" in observation_ids
    assert len(kinds["QuestionnaireResponse"]) == 1
    assert kinds["QuestionnaireResponse"][0]["item"][0]["answer"] == [{"valueInteger": 6}]
    assert len(kinds["AdverseEvent"]) == 1
    assert kinds["AdverseEvent"][0]["event"]["text"] == "Dizziness"
    # Nothing of Bob's.
    everything = files["record.json"].decode()
    assert "Babbage" not in everything and f'patient-{clinic.bob.pk}"' not in everything
    readme = files["README.txt"].decode()
    assert "Ada Lovelace" in readme and REASON in readme
    for name in files:
        if name != "README.txt":
            assert name in readme, "the manifest lists every file"


# --- the page ------------------------------------------------------------------------------------------


def test_the_patient_page_links_the_export_for_clinic_admins_only(
    record, admin_client_role, reception_client
):
    page = admin_client_role.get(reverse("patients:patient_detail", args=[record.ada.pk]))
    url = reverse("subject_access:export", args=[record.ada.pk])
    assert url in page.content.decode()
    other = reception_client.get(reverse("patients:patient_detail", args=[record.ada.pk]))
    assert other.status_code == 200 and url not in other.content.decode()


def test_a_clinic_admin_downloads_the_zip_with_a_reason_and_it_is_audited(
    record, clinic_admin, admin_client_role
):
    url = reverse("subject_access:export", args=[record.ada.pk])
    form = admin_client_role.get(url)
    assert form.status_code == 200 and "Reason" in form.content.decode()
    response = admin_client_role.post(url, {"reason": REASON})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="subject-access-lovelace-{record.ada.pk}-2026-11-25.zip"'
    )
    assert "no-store" in response["Cache-Control"]
    check_export(unzip(response.content), record)
    event = AccessEvent.objects.get(kind=AccessKind.SUBJECT_ACCESS)
    assert (event.user, event.patient_id, event.object_id, event.method) == (
        clinic_admin,
        record.ada.pk,
        record.ada.pk,
        "POST",
    )
    assert event.label == f"Subject access export: Ada Lovelace. Reason: {REASON}"


def test_no_reason_no_export(record, admin_client_role):
    url = reverse("subject_access:export", args=[record.ada.pk])
    response = admin_client_role.post(url, {"reason": "   "})
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert not AccessEvent.objects.filter(kind=AccessKind.SUBJECT_ACCESS).exists()


@pytest.mark.parametrize("role_client", ["reception_client", "nurse_client", "specialist_client"])
def test_other_roles_are_refused(record, request, role_client):
    client = request.getfixturevalue(role_client)
    url = reverse("subject_access:export", args=[record.ada.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": REASON}).status_code == 403
    assert not AccessEvent.objects.filter(kind=AccessKind.SUBJECT_ACCESS).exists()


def test_an_unknown_patient_is_404(admin_client_role):
    assert admin_client_role.get(reverse("subject_access:export", args=[999999])).status_code == 404


def test_without_pdf_the_gp_letter_comes_as_html_and_the_readme_says_so(
    record, admin_client_role, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a machine where it cannot load
    response = admin_client_role.post(
        reverse("subject_access:export", args=[record.ada.pk]), {"reason": REASON}
    )
    files = unzip(response.content)
    letter = f"letters/gp-letter-{record.review.pk}-2026-11-25.html"
    assert b"Dear Colleague" in files[letter]
    assert "cannot draw PDFs" in files["README.txt"].decode()


# --- the command -------------------------------------------------------------------------------------


def test_the_command_writes_the_zip_by_nhs_number_and_records_who_ran_it(record, clinic_admin, tmp_path):
    out = tmp_path / "ada.zip"
    call_command(
        "export_subject_access",
        "943 476 5919",
        "--out",
        str(out),
        "--by",
        clinic_admin.username,
        "--reason",
        REASON,
    )
    check_export(unzip(out.read_bytes()), record)
    event = AccessEvent.objects.get(kind=AccessKind.SUBJECT_ACCESS)
    assert (event.user, event.patient_id, event.method, event.ip) == (
        clinic_admin,
        record.ada.pk,
        "COMMAND",
        None,
    )
    assert event.path == f"/manage.py/export_subject_access/{record.ada.pk}"


def test_the_command_takes_a_patient_id(record, clinic_admin, tmp_path):
    out = tmp_path / "bob.zip"
    call_command(
        "export_subject_access", str(record.bob.pk), "--out", str(out), "--by", clinic_admin.username
    )
    bundle = json.loads(unzip(out.read_bytes())["record.json"])
    assert bundle["entry"][0]["resource"]["id"] == f"patient-{record.bob.pk}"
    assert (
        AccessEvent.objects.get().label
        == "Subject access export: Bob Babbage. Reason: Subject access request"
    )


def test_the_command_refuses_without_a_permitted_user_or_a_patient(record, nurse, clinic_admin, tmp_path):
    out = tmp_path / "x.zip"
    with pytest.raises(CommandError, match="No active user"):
        call_command("export_subject_access", str(record.ada.pk), "--out", str(out), "--by", "nobody")
    with pytest.raises(CommandError, match="may not export"):
        call_command("export_subject_access", str(record.ada.pk), "--out", str(out), "--by", nurse.username)
    with pytest.raises(CommandError, match="No patient"):
        call_command("export_subject_access", "999999", "--out", str(out), "--by", clinic_admin.username)
    with pytest.raises(CommandError, match="--by"):
        call_command("export_subject_access", str(record.ada.pk), "--out", str(out))
    assert not out.exists()
    assert not AccessEvent.objects.exists()


def test_the_role_holds_the_permission(clinic_admin, nurse):
    assert clinic_admin.has_perm("interop.export_subject_access")
    assert not nurse.has_perm("interop.export_subject_access")
    assert not factories.reception_user().has_perm("interop.export_subject_access")


def test_the_page_lists_earlier_exports_in_few_queries(
    record, clinic_admin, admin_client_role, django_assert_max_num_queries
):
    url = reverse("subject_access:export", args=[record.ada.pk])
    with django_assert_max_num_queries(12):
        page = admin_client_role.get(url).content.decode()
    assert "None yet for Ada Lovelace" in page
    assert "record.json" in page and "access audit" in page
    for n in range(3):
        assert admin_client_role.post(url, {"reason": f"{REASON} ({n})"}).status_code == 200
    with django_assert_max_num_queries(12):
        page = admin_client_role.get(url).content.decode()
    assert page.count(REASON) == 3
    assert "25 Nov 2026" in page  # the pinned morning, in UK form

"""Referral letter uploads: accepted by content (PDF, JPEG, PNG, DOCX), limited in size, stored through
Django's storage API and served only by a role-checked download view as an attachment."""

import importlib
import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from PIL import Image

from patients.models import Referral

from .. import factories
from .test_pages import assert_field_error

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/London"))

MB = 1024 * 1024
PDF_BYTES = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
HTML_BYTES = b"<!doctype html><html><script>fetch('/x?c='+document.cookie)</script></html>"
SVG_BYTES = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"PE\x00\x00"


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format=fmt)
    return out.getvalue()


def _docx(*, macros: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("docProps/core.xml", '<?xml version="1.0"?><coreProperties/>')
        z.writestr("docProps/app.xml", '<?xml version="1.0"?><Properties/>')
        z.writestr("word/_rels/document.xml.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        if macros:
            z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "not a letter")
    return out.getvalue()


ACCEPTED = [
    ("letter.pdf", PDF_BYTES, "pdf", "application/pdf"),
    ("scan.jpg", _image("JPEG"), "jpg", "image/jpeg"),
    ("scan.png", _image("PNG"), "png", "image/png"),
    (
        "letter.docx",
        _docx(),
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    # By content, not by name: a PDF named .txt is a PDF.
    ("letter.txt", PDF_BYTES, "pdf", "application/pdf"),
]
REFUSED = [
    ("letter.html", HTML_BYTES),
    ("letter.svg", SVG_BYTES),
    ("letter.exe", EXE_BYTES),
    ("letter.pdf", HTML_BYTES),  # an HTML page named .pdf
    ("letter.docm", _docx(macros=True)),
    ("letter.docx", _zip()),  # a ZIP that is no Word document
]


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def patient():
    return factories.PatientFactory()


def _intake(patient, upload, **changes):
    data = {
        "patient": patient.pk,
        "referral-source": "gp",
        "referral-gp_practice_name": "Riverside Medical Practice",
        "referral-gp_practice_ods": "P84001",
        "referral-received_on": "2026-11-20",
        "referral-condition": "crps",
        "referral-funding_route": "nhs",
        "referral-commissioner": str(factories.CommissionerFactory().pk),
        "referral-letter_file": upload,
    }
    data.update(changes)
    return reverse("patients:referral_intake") + f"?patient={patient.pk}", data


def _upload(client, patient, name, content, **changes):
    url, data = _intake(patient, SimpleUploadedFile(name, content, content_type="application/pdf"), **changes)
    return client.post(url, data)


def _stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


def _referral_with_letter(name, content):
    referral = factories.ReferralFactory()
    referral.letter_file.save(name, ContentFile(content), save=True)
    return referral


# --- accepted and refused by content ---------------------------------------------------------


@pytest.mark.parametrize("name,content,extension,content_type", ACCEPTED)
def test_it_accepts_each_letter_type_by_its_content(
    reception_client, patient, media, name, content, extension, content_type
):
    response = _upload(reception_client, patient, name, content)

    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == referral.get_absolute_url()
    stored = referral.letter_file.name
    assert stored.startswith("referrals/2026/11/") and stored.endswith(f".{extension}")
    assert name.rsplit(".", 1)[0] not in stored  # a random name, nothing from the uploader's
    assert default_storage.open(stored).read() == content

    download = reception_client.get(reverse("patients:referral_letter", args=[referral.pk]))
    assert download["Content-Type"] == content_type
    assert b"".join(download.streaming_content) == content


@pytest.mark.parametrize("name,content", REFUSED)
def test_it_refuses_anything_else_next_to_the_field_and_saves_nothing(
    reception_client, patient, media, name, content
):
    response = _upload(reception_client, patient, name, content)

    assert response.status_code == 200
    assert_field_error(response, "id_referral-letter_file", "PDF, JPEG, PNG or Word (.docx)")
    assert not Referral.objects.exists()
    assert _stored_files(media) == []


def test_it_refuses_a_letter_over_the_default_10_mb_and_saves_nothing(reception_client, patient, media):
    too_big = PDF_BYTES + b"\0" * (10 * MB + 1 - len(PDF_BYTES))

    response = _upload(reception_client, patient, "letter.pdf", too_big)

    assert_field_error(response, "id_referral-letter_file", "at most 10 MB")
    assert not Referral.objects.exists() and _stored_files(media) == []


def test_the_size_limit_is_a_setting(reception_client, patient, settings):
    settings.REFERRAL_LETTER_MAX_MB = 1
    letter = PDF_BYTES + b"\0" * MB

    response = _upload(reception_client, patient, "letter.pdf", letter)

    assert_field_error(response, "id_referral-letter_file", "at most 1 MB")
    assert "PDF, JPEG, PNG or Word (.docx), at most 1 MB." in response.content.decode()
    assert not Referral.objects.exists()


def test_editing_a_referral_refuses_a_bad_letter_and_keeps_the_old_one(reception_client):
    referral = _referral_with_letter("old.pdf", PDF_BYTES)
    old_name = referral.letter_file.name
    url = reverse("patients:referral_edit", args=[referral.pk])
    form = reception_client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, "")}
    data.update({"received_on": "2026-11-01", "letter_file": SimpleUploadedFile("new.pdf", SVG_BYTES)})
    data.pop("commissioner", None)
    data["commissioner"] = referral.commissioner_id

    response = reception_client.post(url, data)

    assert_field_error(response, "id_letter_file", "PDF, JPEG, PNG or Word (.docx)")
    referral.refresh_from_db()
    assert referral.letter_file.name == old_name


def test_the_service_refuses_a_bad_letter_too(reception, patient):
    from django.core.exceptions import ValidationError

    from patients import services

    with pytest.raises(ValidationError) as refused:
        services.create_referral(
            patient=patient,
            created_by=reception,
            source="self",
            received_on=datetime(2026, 11, 20).date(),
            condition="crps",
            funding_route="self_pay",
            letter_file=SimpleUploadedFile("letter.pdf", HTML_BYTES),
        )
    assert "letter_file" in refused.value.message_dict
    assert not Referral.objects.exists()


# --- the download view -------------------------------------------------------------------------


def test_the_download_is_an_attachment_with_nosniff_and_a_sandboxing_csp(reception_client):
    referral = _referral_with_letter("letter.pdf", PDF_BYTES)

    response = reception_client.get(reverse("patients:referral_letter", args=[referral.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="referral-letter-{referral.pk}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("role", ["reception", "nurse", "specialist", "admin"])
def test_every_role_that_may_open_the_referral_may_open_its_letter(role):
    referral = _referral_with_letter("letter.pdf", PDF_BYTES)
    user = getattr(factories, f"{role}_user")(username=f"{role}1")
    client = Client()
    client.force_login(user)
    assert client.get(reverse("patients:referral_detail", args=[referral.pk])).status_code == 200

    assert client.get(reverse("patients:referral_letter", args=[referral.pk])).status_code == 200


def test_a_user_without_a_role_gets_403_and_an_anonymous_one_the_login_page(client):
    referral = _referral_with_letter("letter.pdf", PDF_BYTES)
    url = reverse("patients:referral_letter", args=[referral.pk])

    assert client.get(url).status_code == 302 and "/accounts/login/" in client.get(url)["Location"]
    client.force_login(factories.UserFactory(username="norole"))
    assert client.get(url).status_code == 403


def test_the_referral_page_links_to_the_download_view_never_to_the_storage(reception_client):
    referral = _referral_with_letter("letter.pdf", PDF_BYTES)
    letter_url = reverse("patients:referral_letter", args=[referral.pk])

    page = reception_client.get(referral.get_absolute_url()).content.decode()
    form = reception_client.get(reverse("patients:referral_edit", args=[referral.pk])).content.decode()

    assert f'href="{letter_url}"' in page and f'href="{letter_url}"' in form
    assert referral.letter_file.name not in page
    assert referral.letter_file.url == letter_url


def test_a_referral_without_a_letter_or_with_a_lost_file_answers_404(reception_client, media):
    assert (
        reception_client.get(
            reverse("patients:referral_letter", args=[factories.ReferralFactory().pk])
        ).status_code
        == 404
    )
    referral = _referral_with_letter("letter.pdf", PDF_BYTES)
    (media / referral.letter_file.name).unlink()
    assert reception_client.get(reverse("patients:referral_letter", args=[referral.pk])).status_code == 404


def test_it_works_with_debug_off(reception_client, settings):
    settings.DEBUG = False
    referral = _referral_with_letter("letter.pdf", PDF_BYTES)

    response = reception_client.get(reverse("patients:referral_letter", args=[referral.pk]))

    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES


def test_an_upload_from_before_the_check_still_opens_as_plain_bytes(reception_client, media):
    """Older uploads kept their names and may be anything: they still open, as a harmless download."""
    referral = factories.ReferralFactory()
    (media / "referrals/2025/03").mkdir(parents=True)
    (media / "referrals/2025/03/letter from GP.pdf").write_bytes(PDF_BYTES)
    (media / "referrals/2025/03/old.html").write_bytes(HTML_BYTES)
    Referral.objects.filter(pk=referral.pk).update(letter_file="referrals/2025/03/letter from GP.pdf")
    url = reverse("patients:referral_letter", args=[referral.pk])

    response = reception_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES

    Referral.objects.filter(pk=referral.pk).update(letter_file="referrals/2025/03/old.html")
    response = reception_client.get(url)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="referral-letter-{referral.pk}.bin"'
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_the_download_view_uses_the_storage_api_whatever_the_backend(reception_client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    referral = _referral_with_letter("letter.pdf", PDF_BYTES)

    response = reception_client.get(reverse("patients:referral_letter", args=[referral.pk]))

    assert b"".join(response.streaming_content) == PDF_BYTES


def test_the_download_view_queries_do_not_grow(reception_client, django_assert_max_num_queries):
    for _ in range(2):
        referral = _referral_with_letter("letter.pdf", PDF_BYTES)
        # 5 + the user's roles (does this role sign in with a second factor?)
        with django_assert_max_num_queries(7):  # 6, plus the access audit's one INSERT
            reception_client.get(reverse("patients:referral_letter", args=[referral.pk]))


def test_there_is_no_media_route_even_with_debug_on(settings, media):
    (media / "referrals").mkdir()
    (media / "referrals/x.svg").write_bytes(SVG_BYTES)
    import infusion_clinic.urls

    settings.DEBUG = True
    try:
        urls = importlib.reload(infusion_clinic.urls)
        with pytest.raises(Resolver404):
            resolve("/media/referrals/x.svg", urlconf=urls)
    finally:
        settings.DEBUG = False
        importlib.reload(infusion_clinic.urls)


# --- storage configured from the environment ---------------------------------------------------


def test_letters_go_to_local_disk_without_a_bucket():
    from infusion_clinic.storage import default_storage_from_env

    assert default_storage_from_env({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_an_s3_compatible_bucket_is_configured_from_the_environment():
    from django.utils.module_loading import import_string

    from infusion_clinic.storage import default_storage_from_env

    config = default_storage_from_env(
        {
            "AWS_STORAGE_BUCKET_NAME": "clinic-letters",
            "AWS_S3_ENDPOINT_URL": "http://minio.internal:9000",
            "AWS_S3_REGION_NAME": "eu-west-2",
            "AWS_ACCESS_KEY_ID": "letters",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_S3_ADDRESSING_STYLE": "path",
        }
    )
    storage = import_string(config["BACKEND"])(**config["OPTIONS"])

    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (storage.bucket_name, storage.endpoint_url, storage.region_name, storage.location) == (
        "clinic-letters",
        "http://minio.internal:9000",
        "eu-west-2",
        "media",
    )
    assert (storage.access_key, storage.secret_key, storage.addressing_style) == ("letters", "secret", "path")
    # Private: no public ACL, signed URLs only, never overwriting another letter.
    assert storage.default_acl is None and storage.querystring_auth and not storage.file_overwrite


def test_the_settings_read_the_bucket_from_the_environment():
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings_test",
        "AWS_STORAGE_BUCKET_NAME": "clinic-letters",
    }
    out = subprocess.run(
        [sys.executable, "-c", "from infusion_clinic import settings; print(settings.STORAGES['default'])"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "storages.backends.s3.S3Storage" in out and "clinic-letters" in out


def test_an_upload_and_its_download_go_through_an_s3_bucket(reception_client, patient, settings, monkeypatch):
    """The whole path on an S3 bucket (moto's in-process S3): what several web servers would share."""
    import boto3
    from moto import mock_aws

    from infusion_clinic.storage import default_storage_from_env

    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-2")
        s3.create_bucket(
            Bucket="clinic-letters", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": default_storage_from_env(
                {"AWS_STORAGE_BUCKET_NAME": "clinic-letters", "AWS_S3_REGION_NAME": "eu-west-2"}
            ),
        }

        _upload(reception_client, patient, "letter.pdf", PDF_BYTES)
        refused = _upload(reception_client, patient, "letter.pdf", HTML_BYTES)

        referral = Referral.objects.get()
        key = f"media/{referral.letter_file.name}"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="clinic-letters")["Contents"]] == [key]
        assert s3.get_object(Bucket="clinic-letters", Key=key)["Body"].read() == PDF_BYTES
        assert_field_error(refused, "id_referral-letter_file", "PDF, JPEG, PNG or Word (.docx)")
        response = reception_client.get(reverse("patients:referral_letter", args=[referral.pk]))
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF_BYTES
